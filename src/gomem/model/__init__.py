"""gomem.model"""
