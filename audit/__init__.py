"""Audit trail, review sampling and the reviewer dashboard."""
