"""Model vs real Go: the Go workload programs (``gosrc/``), the recorder of real runs
(:mod:`.record`), the model-side mirrors of those programs (:mod:`.workloads`) and the
comparison behind ``gomem validate`` (:mod:`.compare`)."""
