"""Grader tests of stage `drivers` (imported by stage_drivers.py)."""
