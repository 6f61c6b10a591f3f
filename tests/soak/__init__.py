"""Fault-injection helpers shared by the fault tests and bench/soak.py: a mixed workload, a
whole system of processes on a server stack, and the after-the-storm checks."""
