"""Replacement: a pure function of text, spans and policy (no NER, no I/O)."""
