"""Detection: find spans of personal data in records (no replacement here)."""
