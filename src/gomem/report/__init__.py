"""gomem.report"""
