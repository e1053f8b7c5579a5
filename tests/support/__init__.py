"""Helpers shared by the test suites and the benchmarks (no fixtures, no test files)."""
