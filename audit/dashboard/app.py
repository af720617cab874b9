"""The reviewer dashboard: `create_app(run_dir, db_path=None, policy=None)`.

Server-rendered pages (Jinja2, autoescaped) plus the JSON API of DESIGN.md, same sessions.

Access rules, enforced in one middleware before any route runs:
- every path except `/login`, `/api/login` and `/static/*` needs a session: 401 JSON for
  `/api/*` and `/openapi.json`, a 303 redirect to `/login` for pages;
- every state change needs the session's CSRF token: the `X-CSRF-Token` header for the API
  (checked in the middleware), the hidden `csrf_token` form field for pages (checked by the
  `csrf_form` dependency every page POST declares); cross-origin requests are refused;
- sign-in is rate-limited per user name and IP (and per IP overall) -> 429.

Roles: `reviewer` reviews and may reveal original text; `admin` reviews, manages users and sees
every reviewer's progress but never sees original text. The run's operator may not approve
(two-person rule) unless the policy says `release.review.operator_may_approve`.
Verdicts, reveals and sign-offs are mirrored into the audit log (comments only as sha256).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import defaultdict
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import jinja2
from argon2 import PasswordHasher
from fastapi import Depends, FastAPI, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.templating import Jinja2Templates

from audit.dashboard import charts
from audit.dashboard.rundata import RawUnavailable, RunData
from audit.dashboard.security import (
    CSRF_FIELD,
    CSRF_HEADER,
    LOGIN_CSRF_COOKIE,
    SAFE_METHODS,
    SECURITY_HEADERS,
    SESSION_COOKIE,
    clear_cookie,
    client_ip,
    safe_next,
    same_origin,
    set_cookie,
)
from audit.dashboard.store import (
    MAX_COMMENT_CHARS,
    SESSION_HOURS,
    VERDICTS,
    ReviewStore,
    default_db_path,
)
from audit.log import AuditLog
from audit.stats import leak_bounds
from policies.model import Policy
from redact.errors import UsageError
from redact.records import ENTITY_TYPES

HERE = Path(__file__).parent
PUBLIC_PATHS = frozenset({"/login", "/api/login"})
PUBLIC_PREFIXES = ("/static/",)
VERDICT_LABELS = {
    "ok": "OK",
    "missed_pii": "Missed PII",
    "over_redaction": "Over-redaction",
    "other": "Other",
}
STATUSES = ("pending", "ok", "missed_pii", "over_redaction", "other", "disputed")
MISSED_ENTITY_TYPES = (*ENTITY_TYPES, "OTHER")


# -- API bodies ------------------------------------------------------------------------------
class LoginBody(BaseModel):
    username: str = Field(max_length=256)
    password: str = Field(max_length=1024)


class VerdictBody(BaseModel):
    verdict: Literal["ok", "missed_pii", "over_redaction", "other"]
    entity_type: str | None = Field(None, description="required for missed_pii")
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS)


class SignoffBody(BaseModel):
    decision: Literal["approve", "reject"]
    comment: str | None = Field(None, max_length=MAX_COMMENT_CHARS)


class UserBody(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=1024)
    role: Literal["reviewer", "admin"]


class LoginRequired(Exception):
    pass


def current_user(request: Request) -> dict[str, Any]:
    """The signed-in user the middleware found (it refuses anonymous requests first)."""
    user = getattr(request.state, "user", None)
    if user is None:  # a second lock on the door
        if request.url.path.startswith("/api/"):
            raise HTTPException(401, "sign in required")
        raise LoginRequired()
    return user


async def csrf_form(request: Request) -> None:
    """Page POSTs: the session's CSRF token must come as the hidden `csrf_token` field."""
    user = current_user(request)
    form = await request.form()
    if not request.app.state.store.csrf_matches(user["csrf_token"], form.get(CSRF_FIELD)):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page and try again")


def admin_user(request: Request) -> dict[str, Any]:
    user = current_user(request)
    if user["role"] != "admin":
        raise HTTPException(403, "only admins may do this")
    return user


CurrentUser = Annotated[dict[str, Any], Depends(current_user)]
AdminUser = Annotated[dict[str, Any], Depends(admin_user)]


def _sha256(text: str | None) -> str | None:
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["VERDICT_LABELS"] = VERDICT_LABELS
    env.filters["pct"] = lambda v, digits=1: f"{v * 100:.{digits}f}%"
    return Jinja2Templates(env=env)


def create_app(
    run_dir: str | Path,
    db_path: str | Path | None = None,
    policy: Policy | str | Path | None = None,
    *,
    login_max_failures: int = 5,
    login_window_s: float = 300,
    ip_max_failures: int = 50,
    password_hasher: PasswordHasher | None = None,
    allowed_hosts: list[str] | None = None,
) -> FastAPI:
    """The dashboard for one run. `db_path` defaults to RUN/review/review.sqlite and `policy`
    (a Policy or a path) to the policy recorded in RUN/run.json. The keyword options tune
    sign-in rate limiting, password hashing (tests use a cheap hasher) and the Host names
    accepted (None: any; `redact review serve` on a loopback address allows only loopback
    names, which stops DNS-rebinding pages from talking to the dashboard)."""
    run = RunData(run_dir, policy)
    store = ReviewStore(db_path or default_db_path(run_dir), hasher=password_hasher)
    audit = AuditLog(run_dir)
    templates = _templates()
    review_cfg = run.policy.release.review
    prefix_class = {p: f"ph-{i % 10}" for i, p in enumerate(run.prefixes)}
    write_lock = threading.Lock()

    app = FastAPI(
        title="redact reviewer dashboard",
        description="Review the redaction sample of one run, record verdicts and sign off.",
        version="1",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.run = run
    app.state.store = store
    app.state.audit = audit
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    # -- middleware: headers, sessions, CSRF for the API -----------------------------------
    @app.middleware("http")
    async def guard(request: Request, call_next):
        response = await _guarded(request, call_next)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.url.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    async def _guarded(request: Request, call_next):
        path = request.url.path
        is_api = path.startswith("/api/") or path == "/openapi.json"
        if request.method not in SAFE_METHODS and not same_origin(request):
            return _refuse(is_api, 403, "cross-origin request refused")
        if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
            request.state.user = None
            return await call_next(request)
        user = await run_in_threadpool(store.session, request.cookies.get(SESSION_COOKIE))
        if user is None:
            if is_api:
                return _refuse(True, 401, "sign in required")
            if request.method not in SAFE_METHODS:
                return RedirectResponse("/login", status_code=303)
            query = urlencode(
                {"next": path + (f"?{request.url.query}" if request.url.query else "")}
            )
            return RedirectResponse(f"/login?{query}", status_code=303)
        request.state.user = user
        if is_api and request.method not in SAFE_METHODS:
            if not store.csrf_matches(user["csrf_token"], request.headers.get(CSRF_HEADER)):
                return _refuse(
                    True, 403, f"missing or wrong CSRF token (send the {CSRF_HEADER} header)"
                )
        return await call_next(request)

    def _refuse(is_api: bool, status: int, detail: str) -> Response:
        if is_api:
            return JSONResponse({"detail": detail}, status_code=status)
        return HTMLResponse(
            f"<!doctype html><title>{status}</title><p>{status}: {detail}</p>", status_code=status
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # Like FastAPI's answer, without echoing the input (it may be a password or raw text).
        errors = [{k: e.get(k) for k in ("type", "loc", "msg")} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        return RedirectResponse("/login", status_code=303)

    # -- shared logic ------------------------------------------------------------------------
    def is_operator(name: str) -> bool:
        return bool(run.operator) and name.strip().casefold() == run.operator.strip().casefold()

    def may_view_raw(user: dict[str, Any]) -> bool:
        return user["role"] == "reviewer"

    def review_state(me: str | None = None) -> dict[str, Any]:
        items = run.items()
        ids = {int(i["id"]) for i in items}
        latest = store.latest_verdicts()
        by_item: dict[int, dict[str, dict]] = defaultdict(dict)
        for v in latest:
            if int(v["item_id"]) in ids:
                by_item[int(v["item_id"])][v["reviewer"]] = v
        status: dict[int, str] = {}
        for item in items:
            verdicts = {v["verdict"] for v in by_item.get(int(item["id"]), {}).values()}
            status[int(item["id"])] = (
                "pending" if not verdicts else verdicts.pop() if len(verdicts) == 1 else "disputed"
            )
        reviewers: dict[str, dict[str, Any]] = {}
        multi = agreed = 0
        for per in by_item.values():
            agree = len({v["verdict"] for v in per.values()}) == 1
            if len(per) >= 2:
                multi += 1
                agreed += agree
            for name in per:
                r = reviewers.setdefault(
                    name, {"name": name, "reviewed": 0, "shared": 0, "agreed": 0}
                )
                r["reviewed"] += 1
                if len(per) >= 2:
                    r["shared"] += 1
                    r["agreed"] += agree
        size = len(items)
        for r in reviewers.values():
            r["progress"] = r["reviewed"] / size if size else 0.0
            r["agreement"] = r["agreed"] / r["shared"] if r["shared"] else None
        counts = {s: 0 for s in STATUSES}
        for s in status.values():
            counts[s] += 1
        sample = run.sample()
        bounds = leak_bounds(sample, latest, review_cfg.confidence) if sample else None
        return {
            "items": items,
            "size": size,
            "status": status,
            "by_item": by_item,
            "counts": counts,
            "reviewed": size - counts["pending"],
            "reviewers": sorted(reviewers.values(), key=lambda r: r["name"]),
            "mine": sum(1 for per in by_item.values() if me in per),
            "agreement": {
                "items": multi,
                "agreed": agreed,
                "share": agreed / multi if multi else None,
            },
            "bounds": bounds,
            "target": review_cfg.target_leak_rate,
            "confidence": review_cfg.confidence,
        }

    def item_summary(item: dict[str, Any], status: str) -> dict[str, Any]:
        return {
            "id": int(item["id"]),
            "conversation_id": item["conversation_id"],
            "language": item.get("language"),
            "model": item.get("model"),
            "status": status,
        }

    def filtered(
        state: dict[str, Any],
        language: str | None,
        model: str | None,
        status: str | None,
        todo_for: str | None = None,
    ):
        out = []
        for item in state["items"]:
            iid = int(item["id"])
            if language and item.get("language") != language:
                continue
            if model and item.get("model") != model:
                continue
            if status and state["status"][iid] != status:
                continue
            if todo_for and todo_for in state["by_item"].get(iid, {}):
                continue
            out.append(item)
        return out

    def get_item(item_id: int) -> dict[str, Any]:
        item = run.item(item_id)
        if item is None:
            raise HTTPException(404, f"item {item_id} is not in the review sample")
        return item

    def load_conversation(item: dict[str, Any]) -> dict[str, Any]:
        try:
            return run.conversation(item)
        except (LookupError, RawUnavailable) as err:
            raise HTTPException(500, f"cannot read the redacted record: {err}") from None

    def history_for(item_id: int) -> list[dict[str, Any]]:
        return store.verdict_history(item_id)

    def save_verdict(
        user: dict, item: dict, verdict: str, entity_type: str | None, comment: str | None
    ) -> dict:
        if verdict not in VERDICTS:
            raise HTTPException(422, f"verdict must be one of {', '.join(VERDICTS)}")
        entity_type = (entity_type or "").strip() or None
        if verdict == "missed_pii":
            if entity_type not in MISSED_ENTITY_TYPES:
                raise HTTPException(
                    422,
                    f"a missed_pii verdict needs entity_type, one of {', '.join(MISSED_ENTITY_TYPES)}",
                )
        else:
            entity_type = None
        comment = (comment or "").strip() or None
        if comment and len(comment) > MAX_COMMENT_CHARS:
            raise HTTPException(422, f"comment is longer than {MAX_COMMENT_CHARS} characters")
        # Log first (no verdict without its audit event), store second, one at a time so the
        # store's latest verdict is always the log's latest for that item and reviewer.
        with write_lock:
            audit.append(
                "review.verdict",
                user["name"],
                {
                    "item_id": int(item["id"]),
                    "conversation_id": item["conversation_id"],
                    "verdict": verdict,
                    "entity_type": entity_type,
                    "comment_sha256": _sha256(comment),
                },
            )
            return store.record_verdict(
                int(item["id"]), user["name"], verdict, entity_type, comment
            )

    def signoff_check(user: dict, decision: str) -> tuple[int, str] | None:
        """(status, reason) when this sign-off must be refused."""
        sample_hash = run.sample_hash()
        if sample_hash is None:
            return 409, "no review sample has been drawn yet (run `redact sample --run RUN`)"
        if decision == "approve":
            if is_operator(user["name"]) and not review_cfg.operator_may_approve:
                return 403, (
                    f"{user['name']} is the operator of this run and may not approve its release "
                    "(two-person rule); another reviewer must approve. You may still reject."
                )
            state = review_state(user["name"])
            if state["counts"]["pending"]:
                return 409, (
                    f"approval refused: {state['counts']['pending']} of {state['size']} sample items "
                    "have no verdict yet; every item needs a verdict before the release can be approved"
                )
        return None

    def save_signoff(user: dict, decision: str, comment: str | None) -> dict:
        refused = signoff_check(user, decision)
        if refused:
            raise HTTPException(*refused)
        comment = (comment or "").strip() or None
        sample_hash = run.sample_hash()
        with write_lock:
            audit.append(
                "review.signoff",
                user["name"],
                {
                    "decision": decision,
                    "sample_hash": sample_hash,
                    "role": user["role"],
                    "comment_sha256": _sha256(comment),
                },
            )
            return store.record_signoff(user["name"], user["role"], decision, comment, sample_hash)

    def reveal(user: dict, item: dict) -> list[dict[str, Any]]:
        if not may_view_raw(user):
            raise HTTPException(403, "original text is shown to reviewers only")
        messages = run.raw_messages(item)  # raises RawUnavailable
        audit.append(
            "raw.viewed",
            user["name"],
            {"item_id": int(item["id"]), "conversation_id": item["conversation_id"]},
        )
        return messages

    def create_user(actor: dict, name: str, password: str, role: str) -> dict:
        if store.get_user((name or "").strip()) is not None:
            raise HTTPException(409, f"user {name.strip()} already exists")
        try:
            created = store.add_user(name, password, role)
        except UsageError as err:
            raise HTTPException(422, str(err)) from None
        audit.append(
            "user.added", actor["name"], {"name": created["name"], "role": created["role"]}
        )
        return created

    def set_user_active(actor: dict, name: str, active: bool) -> dict:
        if not active and name == actor["name"]:
            raise HTTPException(409, "you cannot disable your own account")
        updated = store.set_active(name, active)
        if updated is None:
            raise HTTPException(404, f"no user {name}")
        audit.append("user.enabled" if active else "user.disabled", actor["name"], {"name": name})
        return updated

    # -- pages -------------------------------------------------------------------------------
    def render(request: Request, name: str, status_code: int = 200, **context) -> HTMLResponse:
        user = getattr(request.state, "user", None)
        base = {
            "user": user,
            "csrf_token": user["csrf_token"] if user else "",
            "operator": run.operator,
            "run_id": run.info.get("run_id", ""),
            "page": name.removesuffix(".html"),
        }
        return templates.TemplateResponse(
            request, name, {**base, **context}, status_code=status_code
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if request.url.path.startswith("/api/") or request.url.path == "/openapi.json":
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            status=exc.status_code,
            message=str(exc.detail),
        )

    def login_page(
        request: Request, error: str | None = None, status_code: int = 200, next_url: str = ""
    ) -> HTMLResponse:
        # Reuse the pending token: a second GET /login (another tab, a redirected favicon
        # request) must not invalidate a form that is already on screen.
        token = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not (32 <= len(token) <= 64 and token.replace("-", "").replace("_", "").isalnum()):
            token = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            status_code=status_code,
            error=error,
            login_csrf=token,
            next_url=next_url,
        )
        set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
        return response

    def rate_limited(username: str, ip: str) -> bool:
        return (
            store.recent_failures(ip, login_window_s, username) >= login_max_failures
            or store.recent_failures(ip, login_window_s) >= ip_max_failures
        )

    def sign_in(request: Request, username: str, password: str) -> tuple[dict | None, int]:
        ip = client_ip(request)
        username = (username or "").strip()
        if rate_limited(username, ip):
            return None, 429
        user = store.verify_password(username, password)
        store.record_login_attempt(username, ip, user is not None)
        return user, 200 if user else 401

    def start_session(request: Request, user: dict) -> tuple[str, str]:
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            store.delete_session(old)
        return store.create_session(user["name"])

    def attach_session(request: Request, response: Response, token: str) -> None:
        set_cookie(response, request, SESSION_COOKIE, token, int(SESSION_HOURS * 3600))
        clear_cookie(response, request, LOGIN_CSRF_COOKIE)

    retry_after = {"Retry-After": str(int(login_window_s))}
    wait_msg = (
        f"too many failed sign-ins; wait {max(1, int(login_window_s // 60))} minutes and try again"
    )

    @app.get("/login", include_in_schema=False)
    def login_form(request: Request, next: str = ""):
        if store.session(request.cookies.get(SESSION_COOKIE)):
            return RedirectResponse(safe_next(next), status_code=303)
        return login_page(request, next_url=safe_next(next, ""))

    @app.post("/login", include_in_schema=False)
    def login_submit(
        request: Request,
        username: str = Form("", max_length=256),
        password: str = Form("", max_length=1024),
        csrf_token: str = Form(""),
        next: str = Form(""),
    ):
        expected = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
        if not expected or not store.csrf_matches(expected, csrf_token):
            return login_page(
                request, "Your sign-in form expired; please try again.", 403, safe_next(next, "")
            )
        user, status = sign_in(request, username, password)
        if status == 429:
            response = login_page(
                request, wait_msg[0].upper() + wait_msg[1:] + ".", 429, safe_next(next, "")
            )
            response.headers.update(retry_after)
            return response
        if user is None:
            return login_page(request, "Wrong user name or password.", 401, safe_next(next, ""))
        token, _ = start_session(request, user)
        response = RedirectResponse(safe_next(next), status_code=303)
        attach_session(request, response, token)
        return response

    @app.post("/logout", include_in_schema=False, dependencies=[Depends(csrf_form)])
    def logout_submit(request: Request):
        store.delete_session(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        clear_cookie(response, request, SESSION_COOKIE)
        return response

    @app.get("/", include_in_schema=False)
    def home(user: CurrentUser):
        return RedirectResponse("/queue", status_code=303)

    @app.get("/queue", include_in_schema=False)
    def queue_page(
        request: Request,
        user: CurrentUser,
        language: str = "",
        model: str = "",
        status: str = "",
        todo: str = "",
    ):
        state = review_state(user["name"])
        items = filtered(state, language, model, status, user["name"] if todo else None)
        rows = []
        for item in items:
            iid = int(item["id"])
            mine = state["by_item"].get(iid, {}).get(user["name"])
            rows.append(
                {
                    **item_summary(item, state["status"][iid]),
                    "mine": mine,
                    "reviewers": len(state["by_item"].get(iid, {})),
                }
            )
        query = urlencode(
            {
                k: v
                for k, v in (
                    ("language", language),
                    ("model", model),
                    ("status", status),
                    ("todo", todo),
                )
                if v
            }
        )
        return render(
            request,
            "queue.html",
            state=state,
            rows=rows,
            languages=sorted({i.get("language") or "" for i in state["items"]}),
            models=sorted({i.get("model") or "" for i in state["items"]}),
            statuses=STATUSES,
            filters={"language": language, "model": model, "status": status, "todo": todo},
            query=query,
            sample=run.sample(),
        )

    def item_context(
        request: Request, user: dict, item_id: int, original: bool, query: dict[str, str]
    ) -> dict:
        item = get_item(item_id)
        state = review_state(user["name"])
        conv = load_conversation(item)
        todo_for = user["name"] if query.get("todo") else None
        listed = [
            int(i["id"])
            for i in filtered(
                state, query.get("language"), query.get("model"), query.get("status"), todo_for
            )
        ]
        prev_id = max((i for i in listed if i < item_id), default=None)
        next_id = min((i for i in listed if i > item_id), default=None)
        qs = urlencode({k: v for k, v in query.items() if v})
        by_message: dict[int, list[dict]] = defaultdict(list)
        for f in conv["findings"]:
            by_message[int(f["message_index"])].append(f)
        turns = []
        for m in conv["messages"]:
            placeholders = {f["placeholder"] for f in by_message.get(m["index"], [])}
            turns.append({**m, "segments": run.segments(m["content"], placeholders), "raw": None})
        raw_error = None
        if original:
            try:
                raw = reveal(user, item)
            except RawUnavailable as err:
                raw_error = str(err)
            else:
                for t in turns:
                    if t["index"] < len(raw):
                        text = raw[t["index"]]["content"]
                        t["raw"] = run.marked(text, by_message.get(t["index"], []))
                if len(raw) != len(turns):
                    raw_error = (
                        "the original has a different number of turns than the released record"
                    )
        return {
            "item": item,
            "conv": conv,
            "turns": turns,
            "status": state["status"][item_id],
            "position": [int(i["id"]) for i in state["items"]].index(item_id) + 1,
            "size": state["size"],
            "prev_id": prev_id,
            "next_id": next_id,
            "qs": qs,
            "original": original,
            "raw_error": raw_error,
            "may_view_raw": may_view_raw(user),
            "prefix_class": prefix_class,
            "prefixes": sorted({r.placeholder for r in run.policy.entities.values()}),
            "history": history_for(item_id),
            "mine": state["by_item"].get(item_id, {}).get(user["name"]),
            "entity_types": MISSED_ENTITY_TYPES,
            "saved": request.query_params.get("saved"),
        }

    def nav_query(request: Request) -> dict[str, str]:
        return {k: request.query_params.get(k, "") for k in ("language", "model", "status", "todo")}

    @app.get("/items/{item_id}", include_in_schema=False)
    def item_page(request: Request, item_id: int, user: CurrentUser):
        return render(
            request, "item.html", **item_context(request, user, item_id, False, nav_query(request))
        )

    @app.get("/items/{item_id}/original", include_in_schema=False)
    def item_original_page(request: Request, item_id: int, user: CurrentUser):
        if not may_view_raw(user):
            raise HTTPException(403, "original text is shown to reviewers only")
        return render(
            request, "item.html", **item_context(request, user, item_id, True, nav_query(request))
        )

    @app.post(
        "/items/{item_id}/verdict", include_in_schema=False, dependencies=[Depends(csrf_form)]
    )
    def item_verdict_submit(
        request: Request,
        item_id: int,
        user: CurrentUser,
        verdict: str = Form(...),
        entity_type: str = Form(""),
        comment: str = Form(""),
        language: str = Form(""),
        model: str = Form(""),
        status: str = Form(""),
        todo: str = Form(""),
    ):
        item = get_item(item_id)
        save_verdict(user, item, verdict, entity_type, comment)
        query = {"language": language, "model": model, "status": status, "todo": todo}
        state = review_state(user["name"])
        listed = [
            int(i["id"])
            for i in filtered(state, language, model, status, user["name"] if todo else None)
        ]
        next_id = min((i for i in listed if i > item_id), default=None)
        qs = {k: v for k, v in query.items() if v}
        if next_id is None:
            return RedirectResponse(
                f"/queue?{urlencode({**qs, 'saved': item_id})}", status_code=303
            )
        return RedirectResponse(
            f"/items/{next_id}?{urlencode({**qs, 'saved': item_id})}", status_code=303
        )

    @app.get("/overview", include_in_schema=False)
    def overview_page(request: Request, user: CurrentUser):
        state = review_state(user["name"])
        stats = run.stats()
        bound = state["bounds"]["overall"] if state["bounds"] else None
        reviewers = (
            state["reviewers"]
            if user["role"] == "admin"
            else [r for r in state["reviewers"] if r["name"] == user["name"]]
        )
        return render(
            request,
            "overview.html",
            state=state,
            stats=stats,
            by_type=charts.bar_chart(stats["by_type"]),
            by_language=charts.bar_chart(stats["by_language"]),
            verdicts=charts.bar_chart(
                {s: state["counts"][s] for s in STATUSES}, charts.VERDICT_COLOURS
            ),
            bound=bound,
            bound_chart=charts.bound_chart(bound["upper"], state["target"]) if bound else None,
            reviewers=reviewers,
            signoffs=store.signoffs(),
            sample=run.sample(),
            sample_hash=run.sample_hash(),
            policy_name=run.policy.name,
        )

    @app.get("/signoff", include_in_schema=False)
    def signoff_page(request: Request, user: CurrentUser):
        state = review_state(user["name"])
        return render(
            request,
            "signoff.html",
            state=state,
            bound=state["bounds"]["overall"] if state["bounds"] else None,
            approve_refusal=signoff_check(user, "approve"),
            is_operator=is_operator(user["name"]),
            signoffs=store.signoffs(),
            sample_hash=run.sample_hash(),
            done=request.query_params.get("done"),
        )

    @app.post("/signoff", include_in_schema=False, dependencies=[Depends(csrf_form)])
    def signoff_submit(
        request: Request,
        user: CurrentUser,
        decision: str = Form(...),
        comment: str = Form(""),
    ):
        if decision not in ("approve", "reject"):
            raise HTTPException(422, "decision must be approve or reject")
        save_signoff(user, decision, comment)
        return RedirectResponse(f"/signoff?done={decision}", status_code=303)

    @app.get("/admin/users", include_in_schema=False)
    def users_page(request: Request, user: AdminUser):
        return render(
            request, "users.html", users=store.users(), done=request.query_params.get("done")
        )

    @app.post("/admin/users", include_in_schema=False, dependencies=[Depends(csrf_form)])
    def users_create(
        user: AdminUser,
        name: str = Form(..., max_length=64),
        password: str = Form(..., max_length=1024),
        role: str = Form(...),
    ):
        if role not in ("reviewer", "admin"):
            raise HTTPException(422, "role must be reviewer or admin")
        create_user(user, name, password, role)
        return RedirectResponse("/admin/users?done=created", status_code=303)

    @app.post(
        "/admin/users/{name}/disable", include_in_schema=False, dependencies=[Depends(csrf_form)]
    )
    def users_disable(name: str, user: AdminUser):
        set_user_active(user, name, False)
        return RedirectResponse("/admin/users?done=disabled", status_code=303)

    @app.post(
        "/admin/users/{name}/enable", include_in_schema=False, dependencies=[Depends(csrf_form)]
    )
    def users_enable(name: str, user: AdminUser):
        set_user_active(user, name, True)
        return RedirectResponse("/admin/users?done=enabled", status_code=303)

    @app.get("/docs", include_in_schema=False)
    def docs_page(request: Request, user: CurrentUser):
        schema = app.openapi()
        endpoints = []
        for path, methods in schema.get("paths", {}).items():
            for method, op in methods.items():
                endpoints.append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": op.get("summary", ""),
                        "description": op.get("description", ""),
                    }
                )
        return render(request, "docs.html", endpoints=endpoints)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json(user: CurrentUser):
        return JSONResponse(app.openapi())

    # -- JSON API ----------------------------------------------------------------------------
    @app.post("/api/login", summary="Sign in", tags=["session"])
    def api_login(request: Request, body: LoginBody):
        """Returns the CSRF token for later state-changing calls and sets the session cookie."""
        user, status = sign_in(request, body.username, body.password)
        if status == 429:
            return JSONResponse({"detail": wait_msg}, status_code=429, headers=retry_after)
        if user is None:
            return JSONResponse({"detail": "wrong user name or password"}, status_code=401)
        token, csrf = start_session(request, user)
        response = JSONResponse({"csrf_token": csrf, "name": user["name"], "role": user["role"]})
        attach_session(request, response, token)
        return response

    @app.post("/api/logout", summary="Sign out", tags=["session"])
    def api_logout(request: Request, user: CurrentUser):
        store.delete_session(request.cookies.get(SESSION_COOKIE))
        response = JSONResponse({"signed_out": True})
        clear_cookie(response, request, SESSION_COOKIE)
        return response

    @app.get("/api/me", summary="The signed-in user", tags=["session"])
    def api_me(user: CurrentUser):
        return {
            "name": user["name"],
            "role": user["role"],
            "may_view_raw": may_view_raw(user),
            "is_operator": is_operator(user["name"]),
        }

    @app.get("/api/items", summary="The review sample", tags=["review"])
    def api_items(
        user: CurrentUser,
        language: str | None = None,
        model: str | None = None,
        status: str | None = None,
    ) -> list[dict[str, Any]]:
        """`[{id, conversation_id, language, model, status}]`; status is `pending`, the agreed
        latest verdict, or `disputed` when reviewers' latest verdicts differ."""
        state = review_state(user["name"])
        return [
            item_summary(i, state["status"][int(i["id"])])
            for i in filtered(state, language, model, status)
        ]

    @app.get(
        "/api/items/{item_id}",
        summary="One redacted conversation and its findings",
        tags=["review"],
    )
    def api_item(item_id: int, user: CurrentUser) -> dict[str, Any]:
        """The released (redacted) text only; the original is at `/raw` for reviewers."""
        item = get_item(item_id)
        conv = load_conversation(item)
        state = review_state(user["name"])
        return {
            **item_summary(item, state["status"][item_id]),
            "stratum": item.get("stratum"),
            "redacted": conv["redacted"],
            "messages": [
                {"index": m["index"], "role": m["role"], "content": m["content"]}
                for m in conv["messages"]
            ],
            "findings": conv["findings"],
            "verdicts": sorted(
                state["by_item"].get(item_id, {}).values(), key=lambda v: v["reviewer"]
            ),
            "history": history_for(item_id),
        }

    @app.get(
        "/api/items/{item_id}/raw",
        summary="The original text (reviewers only, logged)",
        tags=["review"],
    )
    def api_item_raw(item_id: int, user: CurrentUser) -> dict[str, Any]:
        """Read from the run's input file; every call is logged as `raw.viewed`."""
        item = get_item(item_id)
        if not may_view_raw(user):
            raise HTTPException(403, "original text is shown to reviewers only")
        conv = load_conversation(item)
        try:
            messages = reveal(user, item)
        except RawUnavailable as err:
            raise HTTPException(410, str(err)) from None
        return {
            "id": item_id,
            "conversation_id": item["conversation_id"],
            "messages": messages,
            "findings": conv["findings"],
        }

    @app.post("/api/items/{item_id}/verdict", summary="Record a verdict", tags=["review"])
    def api_verdict(item_id: int, body: VerdictBody, user: CurrentUser) -> dict[str, Any]:
        item = get_item(item_id)
        row = save_verdict(user, item, body.verdict, body.entity_type, body.comment)
        state = review_state(user["name"])
        return {**row, "status": state["status"][item_id]}

    @app.post("/api/signoff", summary="Approve or reject the release", tags=["review"])
    def api_signoff(body: SignoffBody, user: CurrentUser) -> dict[str, Any]:
        """Approval needs a verdict on every sample item and is refused to the run's operator."""
        return save_signoff(user, body.decision, body.comment)

    @app.get("/api/signoffs", summary="Latest sign-off per reviewer", tags=["review"])
    def api_signoffs(user: CurrentUser) -> list[dict[str, Any]]:
        return store.signoffs()

    @app.get(
        "/api/progress",
        summary="Verdict counts, reviewer progress, agreement, leak bound",
        tags=["review"],
    )
    def api_progress(user: CurrentUser) -> dict[str, Any]:
        state = review_state(user["name"])
        reviewers = (
            state["reviewers"]
            if user["role"] == "admin"
            else [r for r in state["reviewers"] if r["name"] == user["name"]]
        )
        return {
            "size": state["size"],
            "reviewed": state["reviewed"],
            "counts": state["counts"],
            "reviewers": reviewers,
            "agreement": state["agreement"],
            "leak_bound": state["bounds"],
            "target_leak_rate": state["target"],
            "sample_hash": run.sample_hash(),
        }

    @app.get("/api/stats", summary="Replacements by type and language", tags=["review"])
    def api_stats(user: CurrentUser) -> dict[str, Any]:
        return run.stats()

    @app.get("/api/users", summary="Users (admins only)", tags=["admin"])
    def api_users(user: AdminUser) -> list[dict[str, Any]]:
        return store.users()

    @app.post("/api/users", summary="Create a user (admins only)", tags=["admin"])
    def api_users_create(body: UserBody, user: AdminUser) -> dict[str, Any]:
        return create_user(user, body.name, body.password, body.role)

    @app.post("/api/users/{name}/disable", summary="Disable a user (admins only)", tags=["admin"])
    def api_users_disable(name: str, user: AdminUser) -> dict[str, Any]:
        return set_user_active(user, name, False)

    @app.post("/api/users/{name}/enable", summary="Enable a user (admins only)", tags=["admin"])
    def api_users_enable(name: str, user: AdminUser) -> dict[str, Any]:
        return set_user_active(user, name, True)

    if allowed_hosts:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts)
    return app
