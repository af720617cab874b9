"""The review store: users, sessions, verdicts, sign-offs and login attempts in SQLite.

Default path `RUN/review/review.sqlite`. The dashboard writes it; the gate reads it through
this class only (`latest_verdicts()`, `signoffs()`).

- Passwords: argon2id (slow, salted). Unknown users cost the same time as known ones.
- Sessions: only the sha256 of the session token is stored, with the session's CSRF token
  and an expiry; disabling a user ends their sessions.
- Verdicts and sign-offs are append-only: every change is a new row; the latest row per
  item and reviewer (sign-off: per reviewer) counts.
- Comments stay here; audit events hold only their sha256.

Every call opens its own connection, so one store can be shared between threads.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from redact.errors import UsageError

ROLES = ("reviewer", "admin")
VERDICTS = ("ok", "missed_pii", "over_redaction", "other")
DECISIONS = ("approve", "reject")
SESSION_HOURS = 8
MIN_PASSWORD_CHARS = 8
MAX_COMMENT_CHARS = 4000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('reviewer', 'admin')),
    active INTEGER NOT NULL DEFAULT 1,
    created TEXT NOT NULL,
    updated TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    user_name TEXT NOT NULL REFERENCES users(name),
    csrf_token TEXT NOT NULL,
    created TEXT NOT NULL,
    expires TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id INTEGER NOT NULL,
    reviewer TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('ok', 'missed_pii', 'over_redaction', 'other')),
    entity_type TEXT,
    comment TEXT,
    time TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_item ON verdicts(item_id, reviewer, id);
CREATE TABLE IF NOT EXISTS signoffs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reviewer TEXT NOT NULL,
    role TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment TEXT,
    sample_hash TEXT NOT NULL,
    time TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS login_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    ip TEXT NOT NULL,
    success INTEGER NOT NULL,
    time REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS login_attempts_key ON login_attempts(username, ip, time);
"""


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(t: datetime) -> str:
    return t.isoformat(timespec="microseconds").replace("+00:00", "Z")


def _parse(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def default_db_path(run_dir: str | Path) -> Path:
    return Path(run_dir) / "review" / "review.sqlite"


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 64 or not all(c.isalnum() or c in "._-@" for c in name):
        raise UsageError(
            "user name must be 1-64 characters: letters, digits and . _ - @ (no spaces)"
        )
    return name


def check_password(password: str) -> str:
    if password is None or len(password) < MIN_PASSWORD_CHARS:
        raise UsageError(f"password must have at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > 1024:
        raise UsageError("password is longer than 1024 characters")
    return password


class ReviewStore:
    def __init__(self, path: str | Path, hasher: PasswordHasher | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.hasher = hasher or PasswordHasher()
        self._dummy: str | None = None
        with self._connect() as db:
            db.executescript(_SCHEMA)

    @property
    def _dummy_hash(self) -> str:
        """A real hash to verify against when the user does not exist (same cost either way)."""
        if self._dummy is None:
            self._dummy = self.hasher.hash(secrets.token_hex(16))
        return self._dummy

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA busy_timeout = 30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # -- users -------------------------------------------------------------------------
    def add_user(self, name: str, password: str, role: str) -> dict[str, Any]:
        """Create a user, or set a new password and role (and re-enable) an existing one."""
        name = check_name(name)
        check_password(password)
        if role not in ROLES:
            raise UsageError(f"role must be one of {', '.join(ROLES)}")
        digest = self.hasher.hash(password)
        now = _iso(_now())
        with self._tx() as db:
            db.execute(
                "INSERT INTO users (name, password_hash, role, active, created, updated) "
                "VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT(name) DO UPDATE SET "
                "password_hash = excluded.password_hash, role = excluded.role, active = 1, "
                "updated = excluded.updated",
                (name, digest, role, now, now),
            )
            # A changed password ends every open session of that user.
            db.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
        return self.get_user(name)

    def get_user(self, name: str) -> dict[str, Any] | None:
        with self._connect() as db:
            row = db.execute(
                "SELECT name, role, active, created, updated FROM users WHERE name = ?", (name,)
            ).fetchone()
        return None if row is None else {**dict(row), "active": bool(row["active"])}

    def users(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT name, role, active, created, updated FROM users ORDER BY name"
            ).fetchall()
        return [{**dict(r), "active": bool(r["active"])} for r in rows]

    def set_active(self, name: str, active: bool) -> dict[str, Any] | None:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE users SET active = ?, updated = ? WHERE name = ?",
                (1 if active else 0, _iso(_now()), name),
            )
            if not active:
                db.execute("DELETE FROM sessions WHERE user_name = ?", (name,))
        return self.get_user(name) if cur.rowcount else None

    def verify_password(self, name: str, password: str) -> dict[str, Any] | None:
        """The user when the name exists, is active and the password matches; else None."""
        with self._connect() as db:
            row = db.execute(
                "SELECT name, password_hash, role, active FROM users WHERE name = ?", (name,)
            ).fetchone()
        stored = row["password_hash"] if row else self._dummy_hash
        try:
            self.hasher.verify(stored, password or "")
            ok = row is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok or not row["active"]:
            return None
        if self.hasher.check_needs_rehash(stored):
            with self._tx() as db:
                db.execute(
                    "UPDATE users SET password_hash = ? WHERE name = ?",
                    (self.hasher.hash(password), name),
                )
        return {"name": row["name"], "role": row["role"], "active": True}

    # -- sessions ----------------------------------------------------------------------
    def create_session(self, name: str, hours: float = SESSION_HOURS) -> tuple[str, str]:
        """Start a session; returns (token for the cookie, CSRF token). Only sha256(token) is kept."""
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        now = _now()
        with self._tx() as db:
            db.execute("DELETE FROM sessions WHERE expires < ?", (_iso(now),))
            db.execute(
                "INSERT INTO sessions (token_hash, user_name, csrf_token, created, expires) "
                "VALUES (?, ?, ?, ?, ?)",
                (token_hash(token), name, csrf, _iso(now), _iso(now + timedelta(hours=hours))),
            )
        return token, csrf

    def session(self, token: str | None) -> dict[str, Any] | None:
        """The signed-in user for a session token: {name, role, csrf_token}; None if invalid."""
        if not token or len(token) > 256:
            return None
        with self._connect() as db:
            row = db.execute(
                "SELECT s.user_name, s.csrf_token, s.expires, u.role, u.active FROM sessions s "
                "JOIN users u ON u.name = s.user_name WHERE s.token_hash = ?",
                (token_hash(token),),
            ).fetchone()
        if row is None or not row["active"] or _parse(row["expires"]) < _now():
            return None
        return {"name": row["user_name"], "role": row["role"], "csrf_token": row["csrf_token"]}

    def delete_session(self, token: str | None) -> None:
        if token:
            with self._tx() as db:
                db.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))

    @staticmethod
    def csrf_matches(expected: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(expected.encode(), given.encode())

    # -- login attempts ------------------------------------------------------------------
    def record_login_attempt(self, username: str, ip: str, success: bool) -> None:
        now = _now().timestamp()
        with self._tx() as db:
            db.execute("DELETE FROM login_attempts WHERE time < ?", (now - 86400,))
            db.execute(
                "INSERT INTO login_attempts (username, ip, success, time) VALUES (?, ?, ?, ?)",
                (username[:256], ip, 1 if success else 0, now),
            )

    def recent_failures(self, ip: str, window_s: float, username: str | None = None) -> int:
        """Failed sign-ins from `ip` (for `username` when given) within the window, counted
        since the last success for that pair."""
        since = _now().timestamp() - window_s
        with self._connect() as db:
            if username is None:
                return db.execute(
                    "SELECT COUNT(*) FROM login_attempts WHERE ip = ? AND success = 0 AND time >= ?",
                    (ip, since),
                ).fetchone()[0]
            last_ok = db.execute(
                "SELECT MAX(time) FROM login_attempts WHERE username = ? AND ip = ? AND success = 1",
                (username[:256], ip),
            ).fetchone()[0]
            return db.execute(
                "SELECT COUNT(*) FROM login_attempts WHERE username = ? AND ip = ? AND success = 0 "
                "AND time >= ?",
                (username[:256], ip, max(since, last_ok or 0)),
            ).fetchone()[0]

    # -- verdicts ------------------------------------------------------------------------
    def record_verdict(
        self,
        item_id: int,
        reviewer: str,
        verdict: str,
        entity_type: str | None = None,
        comment: str | None = None,
    ) -> dict[str, Any]:
        if verdict not in VERDICTS:
            raise UsageError(f"verdict must be one of {', '.join(VERDICTS)}")
        if verdict == "missed_pii" and not entity_type:
            raise UsageError("a missed_pii verdict needs the entity type")
        if verdict != "missed_pii":
            entity_type = entity_type or None
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise UsageError(f"comment is longer than {MAX_COMMENT_CHARS} characters")
        now = _iso(_now())
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO verdicts (item_id, reviewer, verdict, entity_type, comment, time) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (int(item_id), reviewer, verdict, entity_type, comment or None, now),
            )
        return {
            "id": cur.lastrowid,
            "item_id": int(item_id),
            "reviewer": reviewer,
            "verdict": verdict,
            "entity_type": entity_type,
            "comment": comment or None,
            "time": now,
        }

    def verdict_history(self, item_id: int | None = None) -> list[dict[str, Any]]:
        """Every verdict ever recorded (oldest first), with comments."""
        sql = "SELECT id, item_id, reviewer, verdict, entity_type, comment, time FROM verdicts"
        args: tuple = ()
        if item_id is not None:
            sql += " WHERE item_id = ?"
            args = (int(item_id),)
        with self._connect() as db:
            return [dict(r) for r in db.execute(sql + " ORDER BY id", args).fetchall()]

    def latest_verdicts(self) -> list[dict[str, Any]]:
        """The latest verdict per item and reviewer: dict(item_id, reviewer, verdict, entity_type, time)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT v.item_id, v.reviewer, v.verdict, v.entity_type, v.time FROM verdicts v "
                "JOIN (SELECT MAX(id) AS id FROM verdicts GROUP BY item_id, reviewer) l "
                "ON v.id = l.id ORDER BY v.item_id, v.reviewer"
            ).fetchall()
        return [dict(r) for r in rows]

    # -- sign-offs -----------------------------------------------------------------------
    def record_signoff(
        self, reviewer: str, role: str, decision: str, comment: str | None, sample_hash: str
    ) -> dict[str, Any]:
        if decision not in DECISIONS:
            raise UsageError(f"decision must be one of {', '.join(DECISIONS)}")
        if comment is not None and len(comment) > MAX_COMMENT_CHARS:
            raise UsageError(f"comment is longer than {MAX_COMMENT_CHARS} characters")
        now = _iso(_now())
        with self._tx() as db:
            db.execute(
                "INSERT INTO signoffs (reviewer, role, decision, comment, sample_hash, time) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (reviewer, role, decision, comment or None, sample_hash, now),
            )
        return {
            "reviewer": reviewer,
            "role": role,
            "decision": decision,
            "time": now,
            "sample_hash": sample_hash,
        }

    def signoffs(self) -> list[dict[str, Any]]:
        """The latest sign-off per reviewer: dict(reviewer, role, decision, time, sample_hash)."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT s.reviewer, s.role, s.decision, s.time, s.sample_hash FROM signoffs s "
                "JOIN (SELECT MAX(id) AS id FROM signoffs GROUP BY reviewer) l ON s.id = l.id "
                "ORDER BY s.time"
            ).fetchall()
        return [dict(r) for r in rows]

    def signoff_history(self) -> list[dict[str, Any]]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT reviewer, role, decision, comment, sample_hash, time FROM signoffs ORDER BY id"
            ).fetchall()
        return [dict(r) for r in rows]
