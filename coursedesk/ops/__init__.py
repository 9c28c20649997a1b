"""Operator commands (manage.py …): imports, erasure, demo and benchmark data, and the periodic jobs
(the scheduler, sandbox renewals, webhook replay)."""
