"""Benchmarks: each script writes its own section of RESULTS.md."""
