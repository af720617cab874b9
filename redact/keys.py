"""The HMAC key that turns detected values into `value_hmac` in findings.

The key comes from `REDACT_HMAC_KEY` (hex or text) or from a key file (`REDACT_KEY_FILE`, by
default ~/.config/redact/hmac.key) created with mode 0600 on first use. Runs record only the
key's fingerprint, so a look-up can tell whether it holds the right key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from redact.errors import UsageError

ENV_KEY = "REDACT_HMAC_KEY"
ENV_KEY_FILE = "REDACT_KEY_FILE"


def key_file_path() -> Path:
    custom = os.environ.get(ENV_KEY_FILE)
    if custom:
        return Path(custom)
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "redact" / "hmac.key"


def load_key(create: bool = True) -> bytes:
    env = os.environ.get(ENV_KEY)
    if env:
        return env.encode("utf-8")
    path = key_file_path()
    if path.exists():
        data = path.read_bytes().strip()
        if len(data) < 16:
            raise UsageError(f"HMAC key file {path} is shorter than 16 bytes; delete it to create a new one")
        return data
    if not create:
        raise UsageError(f"no HMAC key: set {ENV_KEY} or provide the key file {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(secrets.token_hex(32).encode())
    return path.read_bytes().strip()


def value_hmac(key: bytes, normalized_value: str) -> str:
    return hmac.new(key, normalized_value.encode("utf-8"), hashlib.sha256).hexdigest()


def key_fingerprint(key: bytes) -> str:
    """Identifies a key without revealing it."""
    return hmac.new(key, b"redact-key-fingerprint", hashlib.sha256).hexdigest()[:16]
