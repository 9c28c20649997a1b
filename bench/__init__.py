"""Benchmarks of make bench (bench/run.py); figures are printed, never asserted in tests."""
