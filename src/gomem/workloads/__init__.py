"""gomem.workloads"""
