"""gomem.tuning"""
