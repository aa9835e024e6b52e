"""pytest-benchmark suites (run with ``python -m pytest benchmarks --benchmark-only``)."""
