"""gomem.analysis"""
