"""Benchmarks of bayesreg against its peers; run ``python -m benchmarks.run``."""
