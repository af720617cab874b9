"""redact: privacy redaction and release compliance for chat-conversation datasets."""

__version__ = "0.1.0"
