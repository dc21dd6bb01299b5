"""gomem.web"""
