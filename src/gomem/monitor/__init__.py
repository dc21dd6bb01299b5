"""gomem.monitor"""
