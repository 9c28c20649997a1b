"""Operator commands (manage.py …) that call the use cases: imports, erasure, demo and benchmark data."""
