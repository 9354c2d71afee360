"""The benchmark harness behind bench/run.py (standard library only)."""
