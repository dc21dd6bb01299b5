"""gomem.traces"""
