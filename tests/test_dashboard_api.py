"""Reviewer dashboard API: sessions, CSRF, anonymous refusal on every route, roles, the
two-person rule, verdict history, sign-off, rate limiting and no raw text outside `/raw`."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from audit.dashboard.security import CONTENT_SECURITY_POLICY
from audit.dashboard.store import ReviewStore, default_db_path
from audit.log import AuditLog
from tests.test_dashboard_fixtures import (
    CONVERSATIONS,
    OPERATOR,
    PASSWORDS,
    SECRETS,
    add_users,
    build_run,
    make_app,
)

N_ITEMS = len(CONVERSATIONS)
PUBLIC = {"/login", "/api/login"}


@pytest.fixture
def dash_run(tmp_path):
    run = build_run(tmp_path)
    add_users(run)
    return run


@pytest.fixture
def app(dash_run):
    return make_app(dash_run)


def client_for(app) -> TestClient:
    return TestClient(app, follow_redirects=False)


def login(client: TestClient, name: str) -> str:
    r = client.post("/api/login", json={"username": name, "password": PASSWORDS[name]})
    assert r.status_code == 200, r.text
    return r.json()["csrf_token"]


def signed_in(app, name: str) -> tuple[TestClient, dict[str, str]]:
    c = client_for(app)
    return c, {"X-CSRF-Token": login(c, name)}


def events(run, type_=None):
    return [e for e in AuditLog(run).events() if type_ is None or e["type"] == type_]


def concrete(path: str) -> str:
    return path.replace("{item_id}", "1").replace("{name}", "rob")


def all_routes(app):
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        for method in sorted(route.methods - {"HEAD"}):
            yield method, route.path, route


# -- sessions and sign-in -----------------------------------------------------------------------
def test_login_sets_strict_httponly_cookie_and_returns_csrf(app):
    c = client_for(app)
    r = c.post("/api/login", json={"username": "rita", "password": PASSWORDS["rita"]})
    assert r.status_code == 200
    assert len(r.json()["csrf_token"]) >= 32
    cookie = r.headers["set-cookie"]
    assert "redact_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert c.get("/api/items").status_code == 200
    assert c.get("/api/me").json()["name"] == "rita"

    for body in (
        {"username": "rita", "password": "wrong-password"},
        {"username": "nobody", "password": "x" * 10},
    ):
        assert client_for(app).post("/api/login", json=body).status_code == 401

    # a malformed body is refused without echoing the password back
    bad = client_for(app).post(
        "/api/login",
        content=json.dumps({"username": "rita", "password": PASSWORDS["rita"]}),
        headers={"Content-Type": "text/plain"},
    )
    assert bad.status_code == 422 and PASSWORDS["rita"] not in bad.text

    # logout ends the session server-side
    token = c.cookies.get("redact_session")
    assert (
        c.post("/api/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]}).status_code == 200
    )
    again = client_for(app)
    again.cookies.set("redact_session", token)
    assert again.get("/api/items").status_code == 401


def test_session_token_and_password_stored_hashed(app, dash_run):
    c = client_for(app)
    login(c, "rita")
    token = c.cookies.get("redact_session")
    db = sqlite3.connect(default_db_path(dash_run))
    hashes = [r[0] for r in db.execute("SELECT token_hash FROM sessions")]
    assert hashlib.sha256(token.encode()).hexdigest() in hashes
    assert token not in hashes
    pw = db.execute("SELECT password_hash FROM users WHERE name = 'rita'").fetchone()[0]
    assert pw.startswith("$argon2id$") and PASSWORDS["rita"] not in pw
    raw = default_db_path(dash_run).read_bytes()
    assert token.encode() not in raw and PASSWORDS["rita"].encode() not in raw


def test_login_page_form_flow_needs_its_csrf_token(app):
    c = client_for(app)
    page = c.get("/login")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    # a second GET /login (a redirected favicon request, another tab) keeps the same token
    again = c.get("/login")
    assert re.search(r'name="csrf_token" value="([^"]+)"', again.text).group(1) == token
    bad = c.post(
        "/login", data={"username": "rita", "password": PASSWORDS["rita"], "csrf_token": "nope"}
    )
    assert bad.status_code == 403
    assert (
        client_for(app)
        .post(
            "/login", data={"username": "rita", "password": PASSWORDS["rita"], "csrf_token": token}
        )
        .status_code
        == 403
    )  # no cookie
    ok = c.post(
        "/login",
        data={
            "username": "rita",
            "password": PASSWORDS["rita"],
            "csrf_token": token,
            "next": "//evil.example/x",
        },
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/queue"  # no open redirect
    assert "redact_session" in ok.headers["set-cookie"]
    assert c.get("/queue").status_code == 200


def test_login_rate_limited_per_user_and_ip(app):
    c = client_for(app)
    for _ in range(5):
        assert (
            c.post("/api/login", json={"username": "rob", "password": "wrong-password"}).status_code
            == 401
        )
    r = c.post("/api/login", json={"username": "rob", "password": PASSWORDS["rob"]})
    assert r.status_code == 429 and "Retry-After" in r.headers
    # the page form is limited the same way
    page = c.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = c.post(
        "/login", data={"username": "rob", "password": PASSWORDS["rob"], "csrf_token": token}
    )
    assert r.status_code == 429
    # other users from the same address are not locked out
    assert (
        c.post("/api/login", json={"username": "rita", "password": PASSWORDS["rita"]}).status_code
        == 200
    )


def test_rate_limit_window_is_configurable(dash_run):
    app = make_app(dash_run, login_max_failures=2, login_window_s=0.001)
    c = client_for(app)
    for _ in range(3):
        c.post("/api/login", json={"username": "rob", "password": "wrong-password"})
    assert (
        c.post("/api/login", json={"username": "rob", "password": PASSWORDS["rob"]}).status_code
        == 200
    )


# -- anonymous refusal, CSRF, headers ---------------------------------------------------------
def test_every_route_refuses_anonymous_access(app):
    seen = 0
    for method, path, _ in all_routes(app):
        if path in PUBLIC:
            continue
        seen += 1
        c = client_for(app)
        r = c.request(method, concrete(path), json={} if method == "POST" else None)
        if path.startswith("/api/") or path == "/openapi.json":
            assert r.status_code == 401, (method, path, r.status_code)
            assert r.json() == {"detail": "sign in required"}
        else:
            assert r.status_code == 303, (method, path, r.status_code)
            assert r.headers["location"].startswith("/login"), (method, path)
    assert seen >= 25
    # paths that are not routes at all, and FastAPI's default docs, are refused too
    for path in ("/redoc", "/docs/oauth2-redirect", "/nope", "/api/nope"):
        r = client_for(app).get(path)
        assert r.status_code in (303, 401), path
    # static assets are public but hold no data
    assert client_for(app).get("/static/app.js").status_code == 200


def test_openapi_and_docs_for_signed_in_users_only(app):
    c, _ = signed_in(app, "rita")
    schema = c.get("/openapi.json").json()
    for path in (
        "/api/login",
        "/api/logout",
        "/api/items",
        "/api/items/{item_id}",
        "/api/items/{item_id}/raw",
        "/api/items/{item_id}/verdict",
        "/api/signoff",
    ):
        assert path in schema["paths"], path
    assert not any(p.startswith(("/queue", "/items", "/admin")) for p in schema["paths"])
    docs = c.get("/docs")
    assert docs.status_code == 200 and "/api/items/{item_id}/raw" in docs.text
    assert "cdn" not in docs.text.lower()
    assert c.get("/redoc").status_code == 404


def test_every_state_change_needs_the_csrf_token(app, dash_run):
    c, good = signed_in(app, "ada")  # admin: may reach every route
    other = client_for(app)
    foreign = {"X-CSRF-Token": login(other, "rob")}
    posts = [(m, p) for m, p, _ in all_routes(app) if m != "GET" and p not in PUBLIC]
    assert len(posts) >= 12
    before = len(events(dash_run))
    for method, path in posts:
        url = concrete(path)
        for headers in ({}, {"X-CSRF-Token": "wrong"}, foreign):
            if path.startswith("/api/"):
                r = c.request(
                    method, url, json={"verdict": "ok", "decision": "reject"}, headers=headers
                )
            else:
                data = {
                    "verdict": "ok",
                    "decision": "reject",
                    "name": "x1",
                    "password": "p" * 10,
                    "role": "reviewer",
                }
                if headers:
                    data["csrf_token"] = headers["X-CSRF-Token"]
                r = c.request(method, url, data=data)
            assert r.status_code == 403, (method, path, headers, r.status_code)
    assert len(events(dash_run)) == before  # nothing happened
    assert c.get("/api/me").status_code == 200  # still signed in
    # the right token works (header for the API, form field for pages)
    assert c.post("/api/items/1/verdict", json={"verdict": "ok"}, headers=good).status_code == 200
    r = c.post("/items/2/verdict", data={"verdict": "ok", "csrf_token": good["X-CSRF-Token"]})
    assert r.status_code == 303


def test_cross_origin_state_change_refused(app):
    c, headers = signed_in(app, "rita")
    r = c.post(
        "/api/items/1/verdict",
        json={"verdict": "ok"},
        headers={**headers, "Origin": "http://evil.example"},
    )
    assert r.status_code == 403
    for bad in (
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "null"},
    ):
        assert (
            c.post(
                "/api/items/1/verdict", json={"verdict": "ok"}, headers={**headers, **bad}
            ).status_code
            == 403
        )
    # a browser's same-origin post (Origin null under Referrer-Policy no-referrer) passes
    for good in (
        {"Origin": "http://testserver"},
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    ):
        r = c.post("/api/items/1/verdict", json={"verdict": "ok"}, headers={**headers, **good})
        assert r.status_code == 200


def test_allowed_hosts_refuse_rebinding(dash_run):
    app = make_app(dash_run, allowed_hosts=["127.0.0.1", "localhost"])
    c = TestClient(app, base_url="http://127.0.0.1:8765", follow_redirects=False)
    assert c.get("/login").status_code == 200
    assert c.get("/login", headers={"Host": "evil.example:8765"}).status_code == 400


def test_security_headers_everywhere(app):
    c, _ = signed_in(app, "rita")
    for path in (
        "/login",
        "/queue",
        "/items/3",
        "/overview",
        "/api/items",
        "/static/style.css",
        "/nope",
    ):
        r = c.get(path)
        assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert r.headers["x-frame-options"] == "DENY"
    csp = CONTENT_SECURITY_POLICY
    assert (
        "default-src 'self'" in csp and "img-src 'self' data:" in csp and "unsafe-inline" not in csp
    )
    assert c.get("/items/3").headers["cache-control"] == "no-store"
    # no inline script or inline style anywhere in the pages
    for path in (
        "/login",
        "/queue",
        "/items/3",
        "/items/3/original",
        "/overview",
        "/signoff",
        "/docs",
    ):
        html = c.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"<[a-zA-Z][^<>]*\son[a-z]+\s*=", html), (
            path
        )  # no event-handler attributes


# -- roles ------------------------------------------------------------------------------------
def test_raw_text_only_for_reviewers_and_logged(app, dash_run):
    admin, _ = signed_in(app, "ada")
    assert admin.get("/api/items/1/raw").status_code == 403
    assert admin.get("/items/1/original").status_code == 403
    assert not events(dash_run, "raw.viewed")

    rita, _ = signed_in(app, "rita")
    r = rita.get("/api/items/1/raw")
    assert r.status_code == 200
    assert "Zorblat Quexington" in r.json()["messages"][0]["content"]
    page = rita.get("/items/1/original")
    assert page.status_code == 200 and "Zorblat Quexington" in page.text
    viewed = events(dash_run, "raw.viewed")
    assert [(e["actor"], e["payload"]) for e in viewed] == [
        ("rita", {"item_id": 1, "conversation_id": "conv-en-1"}),
        ("rita", {"item_id": 1, "conversation_id": "conv-en-1"}),
    ]


def test_admin_manages_users_reviewers_cannot(app, dash_run):
    rita, rh = signed_in(app, "rita")
    assert rita.get("/api/users").status_code == 403
    assert rita.get("/admin/users").status_code == 403
    assert (
        rita.post(
            "/api/users", json={"name": "eve", "password": "p" * 12, "role": "admin"}, headers=rh
        ).status_code
        == 403
    )

    ada, ah = signed_in(app, "ada")
    assert {u["name"] for u in ada.get("/api/users").json()} == set(PASSWORDS)
    r = ada.post(
        "/api/users",
        json={"name": "newbie", "password": "newbie-pass-1", "role": "reviewer"},
        headers=ah,
    )
    assert r.status_code == 200 and r.json()["role"] == "reviewer"
    assert (
        ada.post(
            "/api/users",
            json={"name": "newbie", "password": "newbie-pass-1", "role": "reviewer"},
            headers=ah,
        ).status_code
        == 409
    )
    assert (
        ada.post(
            "/api/users", json={"name": "short", "password": "x", "role": "reviewer"}, headers=ah
        ).status_code
        == 422
    )
    added = events(dash_run, "user.added")
    assert added[-1]["actor"] == "ada" and added[-1]["payload"] == {
        "name": "newbie",
        "role": "reviewer",
    }

    # disabling ends the user's sessions and blocks sign-in
    rob, _ = signed_in(app, "rob")
    assert ada.post("/api/users/rob/disable", headers=ah).json()["active"] is False
    assert rob.get("/api/items").status_code == 401
    assert (
        client_for(app)
        .post("/api/login", json={"username": "rob", "password": PASSWORDS["rob"]})
        .status_code
        == 401
    )
    assert ada.post("/api/users/ada/disable", headers=ah).status_code == 409  # not yourself
    assert ada.post("/api/users/rob/enable", headers=ah).json()["active"] is True
    # the page works too
    page = ada.get("/admin/users")
    assert page.status_code == 200 and "newbie" in page.text
    r = ada.post(
        "/admin/users",
        data={
            "name": "viapage",
            "password": "viapage-pass",
            "role": "admin",
            "csrf_token": ah["X-CSRF-Token"],
        },
    )
    assert r.status_code == 303
    assert ReviewStore(default_db_path(dash_run)).get_user("viapage")["role"] == "admin"


# -- verdicts, progress, agreement ----------------------------------------------------------
def test_verdict_history_kept_latest_counts(app, dash_run):
    rita, h = signed_in(app, "rita")
    assert (
        rita.post("/api/items/2/verdict", json={"verdict": "ok"}, headers=h).json()["status"]
        == "ok"
    )
    r = rita.post(
        "/api/items/2/verdict",
        json={
            "verdict": "missed_pii",
            "entity_type": "PERSON",
            "comment": "the city Lyon-secret-comment",
        },
        headers=h,
    )
    assert r.status_code == 200 and r.json()["status"] == "missed_pii"
    item = rita.get("/api/items/2").json()
    assert [(v["verdict"], v["entity_type"]) for v in item["history"]] == [
        ("ok", None),
        ("missed_pii", "PERSON"),
    ]
    assert [(v["reviewer"], v["verdict"]) for v in item["verdicts"]] == [("rita", "missed_pii")]
    latest = ReviewStore(default_db_path(dash_run)).latest_verdicts()
    assert [(v["item_id"], v["reviewer"], v["verdict"], v["entity_type"]) for v in latest] == [
        (2, "rita", "missed_pii", "PERSON")
    ]
    ev = events(dash_run, "review.verdict")
    assert [e["payload"]["verdict"] for e in ev] == ["ok", "missed_pii"]
    assert ev[-1]["actor"] == "rita"
    assert {
        k: ev[-1]["payload"][k] for k in ("item_id", "conversation_id", "verdict", "entity_type")
    } == {
        "item_id": 2,
        "conversation_id": "conv-fr-2",
        "verdict": "missed_pii",
        "entity_type": "PERSON",
    }
    assert (
        ev[-1]["payload"]["comment_sha256"]
        == hashlib.sha256(b"the city Lyon-secret-comment").hexdigest()
    )
    assert "Lyon-secret-comment" not in AuditLog(dash_run).path.read_text()

    # refused: missing or unknown entity type, unknown verdict, item outside the sample
    assert (
        rita.post("/api/items/2/verdict", json={"verdict": "missed_pii"}, headers=h).status_code
        == 422
    )
    assert (
        rita.post(
            "/api/items/2/verdict", json={"verdict": "missed_pii", "entity_type": "<b>"}, headers=h
        ).status_code
        == 422
    )
    assert (
        rita.post("/api/items/2/verdict", json={"verdict": "great"}, headers=h).status_code == 422
    )
    assert rita.post("/api/items/99/verdict", json={"verdict": "ok"}, headers=h).status_code == 404
    assert rita.get("/api/items/99").status_code == 404
    # filters
    assert [i["id"] for i in rita.get("/api/items", params={"status": "missed_pii"}).json()] == [2]
    assert [i["id"] for i in rita.get("/api/items", params={"language": "French"}).json()] == [2]


def test_progress_and_agreement(app):
    rita, rh = signed_in(app, "rita")
    rob, bh = signed_in(app, "rob")
    ada, _ = signed_in(app, "ada")
    for i in (1, 2, 3):
        rita.post(f"/api/items/{i}/verdict", json={"verdict": "ok"}, headers=rh)
    rob.post("/api/items/1/verdict", json={"verdict": "ok"}, headers=bh)
    rob.post("/api/items/2/verdict", json={"verdict": "over_redaction"}, headers=bh)
    p = ada.get("/api/progress").json()
    assert p["size"] == N_ITEMS and p["reviewed"] == 3
    assert p["agreement"] == {"items": 2, "agreed": 1, "share": 0.5}
    by_name = {r["name"]: r for r in p["reviewers"]}
    assert by_name["rita"]["reviewed"] == 3 and by_name["rob"]["reviewed"] == 2
    assert by_name["rob"]["agreement"] == 0.5
    assert p["counts"]["disputed"] == 1 and p["counts"]["ok"] == 2
    # a reviewer sees only their own row; admins see everyone's
    assert [r["name"] for r in rob.get("/api/progress").json()["reviewers"]] == ["rob"]
    assert "50% of the 2 items with two or more reviewers" in ada.get("/overview").text
    assert (
        "rita" in ada.get("/overview").text
        and "rita" not in rob.get("/overview").text.split("Sign-offs")[0].split("Reviewer</th>")[1]
    )
    assert {i["id"]: i["status"] for i in rita.get("/api/items").json()}[2] == "disputed"


# -- sign-off ---------------------------------------------------------------------------------
def test_signoff_two_person_rule_and_complete_review(app, dash_run):
    rita, rh = signed_in(app, "rita")
    op, oh = signed_in(app, OPERATOR)
    r = rita.post("/api/signoff", json={"decision": "approve"}, headers=rh)
    assert r.status_code == 409 and "no verdict" in r.json()["detail"]
    for i in range(1, N_ITEMS + 1):
        assert (
            op.post(f"/api/items/{i}/verdict", json={"verdict": "ok"}, headers=oh).status_code
            == 200
        )

    r = op.post("/api/signoff", json={"decision": "approve"}, headers=oh)
    assert r.status_code == 403
    assert "two-person rule" in r.json()["detail"] and OPERATOR in r.json()["detail"]
    page = op.get("/signoff")
    assert "two-person rule" in page.text and 'id="decision-approve" disabled' in page.text
    assert (
        op.post(
            "/api/signoff", json={"decision": "reject", "comment": "not me"}, headers=oh
        ).status_code
        == 200
    )

    r = rita.post(
        "/api/signoff",
        json={"decision": "approve", "comment": "looks fine, checked NAME_1"},
        headers=rh,
    )
    assert r.status_code == 200, r.text
    sample = json.loads((dash_run / "review" / "sample.json").read_text())
    assert r.json()["sample_hash"] == sample["items_hash"]
    signoffs = ReviewStore(default_db_path(dash_run)).signoffs()
    assert {(s["reviewer"], s["decision"], s["role"]) for s in signoffs} == {
        (OPERATOR, "reject", "reviewer"),
        ("rita", "approve", "reviewer"),
    }
    ev = events(dash_run, "review.signoff")
    assert [(e["actor"], e["payload"]["decision"]) for e in ev] == [
        (OPERATOR, "reject"),
        ("rita", "approve"),
    ]
    assert (
        ev[-1]["payload"]["sample_hash"] == sample["items_hash"]
        and ev[-1]["payload"]["role"] == "reviewer"
    )
    assert (
        ev[-1]["payload"]["comment_sha256"]
        == hashlib.sha256(b"looks fine, checked NAME_1").hexdigest()
    )
    assert "looks fine" not in AuditLog(dash_run).path.read_text()
    # the page form works too (CSRF field) and shows the decision
    r = rita.post("/signoff", data={"decision": "reject", "csrf_token": rh["X-CSRF-Token"]})
    assert r.status_code == 303
    assert ReviewStore(default_db_path(dash_run)).signoffs()[-1]["decision"] == "reject"


def test_operator_may_approve_when_policy_allows(dash_run):
    from policies.model import load_policy
    from tests.test_dashboard_fixtures import ROOT

    policy = load_policy(ROOT / "policies" / "demo.yaml")
    data = policy.model_dump(mode="json")
    data["release"]["review"]["operator_may_approve"] = True
    from policies.model import parse_policy

    app = make_app(dash_run, policy=parse_policy(data))
    op, oh = signed_in(app, OPERATOR)
    for i in range(1, N_ITEMS + 1):
        op.post(f"/api/items/{i}/verdict", json={"verdict": "ok"}, headers=oh)
    assert op.post("/api/signoff", json={"decision": "approve"}, headers=oh).status_code == 200


def test_no_sample_yet(tmp_path):
    run = build_run(tmp_path, sample=False)
    add_users(run)
    app = make_app(run)
    c, h = signed_in(app, "rita")
    assert c.get("/api/items").json() == []
    assert "No review sample" in c.get("/queue").text
    assert c.get("/overview").status_code == 200
    assert c.post("/api/signoff", json={"decision": "approve"}, headers=h).status_code == 409


# -- raw text stays in /raw -------------------------------------------------------------------
def test_no_raw_text_in_any_response_except_raw(app, dash_run):
    rita, rh = signed_in(app, "rita")
    ada, ah = signed_in(app, "ada")
    bodies: list[tuple[str, str]] = []

    def grab(c, method, path, **kw):
        r = c.request(method, path, **kw)
        bodies.append((path, r.text + json.dumps(dict(r.headers))))
        return r

    for c, h in ((rita, rh), (ada, ah)):
        for i in range(1, N_ITEMS + 1):
            grab(c, "POST", f"/api/items/{i}/verdict", json={"verdict": "ok"}, headers=h)
        for _, path, route in all_routes(app):
            if (
                isinstance(route, APIRoute)
                and "GET" in route.methods
                and "/raw" not in path
                and "original" not in path
            ):
                for i in range(1, N_ITEMS + 1):
                    grab(c, "GET", path.replace("{item_id}", str(i)).replace("{name}", "rob"))
        for page in ("/queue", "/overview", "/signoff", "/docs", "/admin/users", "/login"):
            grab(c, "GET", page)
        grab(c, "POST", "/api/signoff", json={"decision": "approve"}, headers=h)
    assert len(bodies) > 100
    for path, body in bodies:
        for secret in SECRETS:
            assert secret not in body, (path, secret)
    # /raw does show them (so the check above is meaningful)
    raw = json.dumps(
        [rita.get(f"/api/items/{i}/raw").json() for i in range(1, N_ITEMS + 1)], ensure_ascii=False
    )
    assert all(s in raw for s in SECRETS)
    # and nothing raw reached the audit log or the review store
    log = AuditLog(dash_run).path.read_text(encoding="utf-8")
    store_bytes = default_db_path(dash_run).read_bytes()
    for secret in SECRETS:
        assert secret not in log and secret.encode() not in store_bytes


def test_item_response_shape(app):
    c, _ = signed_in(app, "rob")
    item = c.get("/api/items/1").json()
    assert {"id", "conversation_id", "language", "model", "status", "messages", "findings"} <= set(
        item
    )
    assert [m["role"] for m in item["messages"]] == ["user", "assistant"]
    assert (
        "NAME_1" in item["messages"][0]["content"] and "EMAIL_1" in item["messages"][0]["content"]
    )
    assert all("value_hmac" not in f for f in item["findings"])
    assert {f["entity_type"] for f in item["findings"]} == {
        "PERSON",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
    }
    assert set(c.get("/api/items").json()[0]) == {
        "id",
        "conversation_id",
        "language",
        "model",
        "status",
    }


def test_raw_marks_findings_side_by_side(app):
    c, _ = signed_in(app, "rita")
    html = c.get("/items/1/original").text
    assert re.search(
        r'<mark class="ph ph-\d" title="PERSON → NAME_1">Zorblat Quexington</mark>', html
    )
    assert re.search(r'<mark class="ph ph-\d" title="replaced EMAIL_1">EMAIL_1</mark>', html)
    # a placeholder that was already in the input is shown, but not as a replacement
    assert 'class="ph ph-pre" title="already in the input: NAME_7"' in html


def test_raw_from_parquet_input_and_without_shard_marker(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    run = build_run(tmp_path, marker=False)
    add_users(run)
    info = json.loads((run / "run.json").read_text())
    src = info["request"]["inputs"][0]["path"]
    rows = [json.loads(line) for line in open(src) if line.startswith('{"')]
    pq_path = tmp_path / "input" / "conversations.parquet"
    pq.write_table(pa.Table.from_pylist(rows), pq_path)
    info["request"]["inputs"] = [
        {"path": str(pq_path), "format": "parquet", "size": pq_path.stat().st_size, "sha256": "x"}
    ]
    (run / "run.json").write_text(json.dumps(info))
    c, _ = signed_in(make_app(run), "rita")
    r = c.get("/api/items/6/raw")
    assert r.status_code == 200
    assert [m["role"] for m in r.json()["messages"]] == ["system", "user", "assistant"]
    assert "Pemberly Okonkwo-Stravinsky" in r.json()["messages"][1]["content"]


def test_raw_when_input_is_gone_says_so(app, dash_run):
    c, _ = signed_in(app, "rita")
    src = json.loads((dash_run / "run.json").read_text())["request"]["inputs"][0]["path"]
    import os

    os.unlink(src)
    r = c.get("/api/items/1/raw")
    assert r.status_code == 410 and "no longer available" in r.json()["detail"]
    page = c.get("/items/1/original")
    assert page.status_code == 200 and "no longer available" in page.text
    assert not events(dash_run, "raw.viewed")  # nothing was revealed


def test_raw_when_input_changed_refuses(app, dash_run):
    c, _ = signed_in(app, "rita")
    src = json.loads((dash_run / "run.json").read_text())["request"]["inputs"][0]["path"]
    with open(src, "a") as f:
        f.write("\n")
    r = c.get("/api/items/1/raw")
    assert r.status_code == 410 and "changed" in r.json()["detail"]


# -- store --------------------------------------------------------------------------------------
def test_store_latest_per_item_and_reviewer(tmp_path):
    store = ReviewStore(tmp_path / "r.sqlite")
    store.record_verdict(1, "a", "ok")
    store.record_verdict(1, "a", "other", comment="hm")
    store.record_verdict(1, "b", "missed_pii", "PERSON")
    store.record_verdict(2, "a", "ok")
    latest = store.latest_verdicts()
    assert [(v["item_id"], v["reviewer"], v["verdict"]) for v in latest] == [
        (1, "a", "other"),
        (1, "b", "missed_pii"),
        (2, "a", "ok"),
    ]
    assert set(latest[0]) == {"item_id", "reviewer", "verdict", "entity_type", "time"}
    assert len(store.verdict_history(1)) == 3
    store.record_signoff("a", "reviewer", "reject", None, "h1")
    store.record_signoff("a", "reviewer", "approve", "fine", "h1")
    store.record_signoff("b", "admin", "approve", None, "h1")
    assert [(s["reviewer"], s["decision"]) for s in store.signoffs()] == [
        ("a", "approve"),
        ("b", "approve"),
    ]
    assert set(store.signoffs()[0]) == {"reviewer", "role", "decision", "time", "sample_hash"}
