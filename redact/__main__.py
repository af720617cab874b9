"""`python -m redact ...`: the same entry point as the `redact` script (used by `ray job submit`)."""

from redact.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
