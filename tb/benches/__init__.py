"""cocotb benches of whole kernels and of the split system, configured by the job files that
tb.jobs writes."""
