"""Errors by scope, each mapped to a CLI exit code.

- `UsageError` (exit 2): bad arguments, missing input, invalid policy. Stop and say how to fix.
- `IntegrityError` (exit 1): evidence or policy check failed (tampered run, gate failure).
- `RecordError`: one bad record; caught by the pipeline and quarantined with its reason.
Messages never include raw record text.
"""


class RedactError(Exception):
    exit_code = 1


class UsageError(RedactError):
    """The user asked for something that cannot work; the message says what and how to fix it."""

    exit_code = 2


class IntegrityError(RedactError):
    """A run's evidence does not hold (broken chain, changed file, failed policy check)."""

    exit_code = 1


class RecordError(Exception):
    """One input record cannot be processed; `reason` is safe to log (no raw text)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason
