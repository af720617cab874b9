"""`redact review add-user` and `redact review serve`."""

from __future__ import annotations

import getpass
import ipaddress
import sys
from pathlib import Path

from redact.errors import UsageError


def _read_password() -> str:
    """The password from stdin: one line when piped, prompted twice on a terminal."""
    if sys.stdin is None:
        raise UsageError("no password given: pipe it on stdin")
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if first != getpass.getpass("again: "):
            raise UsageError("the two passwords differ")
        return first
    line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise UsageError(
            'no password on stdin (pipe it, e.g. `printf %s "$PW" | redact review add-user ...`)'
        )
    return password


def _run_dir(path: str) -> Path:
    run = Path(path)
    if not (run / "run.json").is_file():
        raise UsageError(
            f"{run} is not a run folder (no run.json); pass the --output folder of `redact run`"
        )
    return run


def cmd_add_user(args) -> int:
    from audit.dashboard.store import ReviewStore, check_name, check_password, default_db_path
    from audit.log import AuditLog

    if not args.run and not args.db:
        raise UsageError("say where the user lives: --run RUN (its review store) or --db FILE")
    run = _run_dir(args.run) if args.run else None
    name = check_name(args.name)
    password = check_password(_read_password())
    db = Path(args.db) if args.db else default_db_path(run)
    store = ReviewStore(db)
    existed = store.get_user(name) is not None
    user = store.add_user(name, password, args.role)
    if run is not None:
        AuditLog(run).append(
            "user.added", getpass.getuser(), {"name": user["name"], "role": user["role"]}
        )
    print(f"{'updated' if existed else 'added'} {user['role']} {user['name']} in {db}")
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def cmd_serve(args) -> int:
    import uvicorn

    from audit.dashboard.app import create_app

    run = _run_dir(args.run)
    loopback = _is_loopback(args.host)
    hosts = sorted({args.host, "127.0.0.1", "localhost", "::1", "[::1]"}) if loopback else None
    app = create_app(run, db_path=args.db, policy=args.policy, allowed_hosts=hosts)
    store = app.state.store
    if not store.users():
        print(
            f"note: no dashboard users yet; add one with\n  redact review add-user NAME --role reviewer --run {run}",
            file=sys.stderr,
        )
    if app.state.run.sample() is None:
        print(
            f"note: no review sample yet; draw it with `redact sample --run {run}`", file=sys.stderr
        )
    if not loopback:
        print(
            f"warning: serving on {args.host} without TLS; put a TLS-terminating proxy in front "
            "(cookies get the Secure flag when the request arrives over https)",
            file=sys.stderr,
        )
    print(
        f"reviewer dashboard for {run} on http://{args.host}:{args.port}/ (Ctrl+C stops)",
        file=sys.stderr,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )
    return 0
