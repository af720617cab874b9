"""The dashboard in headless Chromium (Playwright, Debian's chromium) against a real server
started with `redact review serve`: sign in, keyboard review, reveal, sign-off; adversarial
content stays inert; anonymous requests and CSRF-less state changes are refused.

Screenshots go to $REDACT_SCREENSHOT_DIR when set (docs/screenshots/ holds the committed ones).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx
import pytest

from audit.log import AuditLog
from tests.test_dashboard_fixtures import OPERATOR, PASSWORDS, ROOT, add_users, build_run

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason=f"{CHROMIUM} is missing: install Debian's chromium (`make browser` or apt-get install chromium)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    base = tmp_path_factory.mktemp("dashboard")
    run = build_run(base)
    add_users(run)
    port = _free_port()
    log = open(base / "serve.log", "wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "redact",
            "review",
            "serve",
            "--run",
            str(run),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if httpx.get(f"{url}/login", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(
                f"dashboard did not start: {(base / 'serve.log').read_text(errors='replace')}"
            )
        time.sleep(0.3)
    try:
        yield SimpleNamespace(url=url, run=run, origin=f"127.0.0.1:{port}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(viewport={"width": 1440, "height": 960})
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def shots(tmp_path) -> Path:
    target = os.environ.get("REDACT_SCREENSHOT_DIR")
    path = Path(target) if target else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def sign_in(page, server, name: str) -> None:
    page.goto(f"{server.url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/queue")


def watch(page):
    """Record dialogs, requests and console messages of a page."""
    seen = SimpleNamespace(dialogs=[], requests=[], console=[])

    def on_dialog(dialog):
        seen.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("console", lambda m: seen.console.append(f"{m.type}: {m.text}"))
    return seen


def test_adversarial_conversation_renders_as_inert_text(context, server):
    page = context.new_page()
    seen = watch(page)
    sign_in(page, server, "rita")
    for path in ("/items/3", "/items/3/original", "/queue"):
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("networkidle")
        if path != "/queue":
            conversation = page.locator("#conversation")
            for tag in ("script", "img", "a", "iframe", "svg", "textarea"):
                assert conversation.locator(tag).count() == 0, (path, tag)
            first = page.locator(".text.redacted").first.inner_text()
            assert "<script>alert(1)</script>" in first
            assert "<img src=x onerror=alert(1)>" in first
            assert (
                "[click me](javascript:alert(1))" in first
                and '<a href="javascript:alert(1)">' in first
            )
            second = page.locator(".text.redacted").nth(1).inner_text()
            assert "</textarea><script>alert(2)</script>" in second and "{{ 7*7 }}" in second
            page.get_by_text(
                "javascript:alert(1)", exact=False
            ).first.click()  # plain text: nothing happens
    page.wait_for_timeout(500)
    assert seen.dialogs == []
    assert all(urlsplit(u).netloc == server.origin for u in seen.requests), seen.requests
    assert not [u for u in seen.requests if urlsplit(u).path in ("/x", "/javascript:alert(1)")]
    assert not [
        c for c in seen.console if "Content Security Policy" in c or "error" in c.split(":")[0]
    ], seen.console
    assert page.evaluate("() => window.__xss === undefined")


def test_anonymous_requests_refused(context, server):
    page = context.new_page()
    for path in (
        "/queue",
        "/items/1",
        "/items/1/original",
        "/overview",
        "/signoff",
        "/admin/users",
        "/docs",
        "/",
    ):
        page.goto(f"{server.url}{path}")
        assert urlsplit(page.url).path == "/login", path
    assert page.locator("input[name=username]").count() == 1
    for path in (
        "/api/items",
        "/api/items/1",
        "/api/items/1/raw",
        "/openapi.json",
        "/api/progress",
    ):
        assert page.request.get(f"{server.url}{path}").status == 401, path
    r = page.request.post(f"{server.url}/api/items/1/verdict", data={"verdict": "ok"})
    assert r.status == 401


def test_state_change_without_csrf_refused(context, server):
    page = context.new_page()
    sign_in(page, server, "rob")
    page.goto(f"{server.url}/items/5")
    statuses = page.evaluate(
        """async () => {
            const json = {method: 'POST', headers: {'Content-Type': 'application/json'},
                          body: JSON.stringify({verdict: 'ok'})};
            const a = await fetch('/api/items/5/verdict', json);
            const b = await fetch('/api/items/5/verdict',
                {...json, headers: {...json.headers, 'X-CSRF-Token': 'forged'}});
            const c = await fetch('/items/5/verdict', {method: 'POST', body: new URLSearchParams({verdict: 'ok'})});
            const d = await fetch('/api/signoff', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                  body: JSON.stringify({decision: 'reject'})});
            const token = document.querySelector('input[name=csrf_token]').value;
            const e = await fetch('/api/items/5/verdict',
                {...json, headers: {...json.headers, 'X-CSRF-Token': token}});
            return [a.status, b.status, c.status, d.status, e.status];
        }"""
    )
    assert statuses == [403, 403, 403, 403, 200]
    verdicts = [
        e
        for e in AuditLog(server.run).events()
        if e["type"] == "review.verdict" and e["actor"] == "rob"
    ]
    assert len(verdicts) == 1


def test_review_with_keyboard_reveal_and_sign_off(browser, context, server, shots):
    page = context.new_page()
    seen = watch(page)
    page.goto(f"{server.url}/queue")
    assert urlsplit(page.url).path == "/login"  # anonymous page request redirects
    page.fill("input[name=username]", "rita")
    page.fill("input[name=password]", PASSWORDS["rita"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/queue")
    page.click("#start-link")
    page.wait_for_url(f"{server.url}/items/1")

    page.keyboard.press("1")  # ok
    page.wait_for_url(f"{server.url}/items/2?saved=1")
    assert "Verdict for item 1 saved" in page.locator("#saved-msg").inner_text()

    page.keyboard.press("2")  # missed PII: asks for the entity type
    assert page.locator("#entity-box").is_visible()
    assert page.evaluate("() => document.activeElement.id") == "entity-type"
    page.keyboard.press("Enter")  # no type chosen yet: stays, says so
    assert "Choose the entity type" in page.locator("#entity-hint").inner_text()
    page.select_option("#entity-type", "STREET_ADDRESS")
    page.focus("#entity-type")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{server.url}/items/3?saved=2")

    page.keyboard.press("c")  # comment, then Escape leaves the box, 4 = other
    assert page.evaluate("() => document.activeElement.id") == "comment"
    page.keyboard.type("markup <b>in</b> the text is shown literally")
    page.keyboard.press("Escape")
    page.keyboard.press("4")
    page.wait_for_url(f"{server.url}/items/4?saved=3")

    page.keyboard.press("k")  # previous
    page.wait_for_url(f"{server.url}/items/3")
    history = page.locator("#history").inner_text()
    assert "rita: Other" in history and "markup <b>in</b> the text is shown literally" in history
    page.keyboard.press("ArrowRight")  # next
    page.wait_for_url(f"{server.url}/items/4")

    page.keyboard.press("o")  # reveal the original, side by side
    page.wait_for_url(f"{server.url}/items/4/original")
    original = page.locator(".text.original").first
    assert "203.0.113.77" in original.inner_text()
    assert original.locator("mark").first.inner_text() == "203.0.113.77"
    assert "IP_1" in page.locator(".text.redacted").first.inner_text()
    assert "203.0.113.77" not in page.locator(".text.redacted").first.inner_text()

    for nxt in ("/items/5?saved=4", "/items/6?saved=5", "/queue?saved=6"):
        page.keyboard.press("1")
        page.wait_for_url(f"{server.url}{nxt}")
    assert page.locator("#progress-mine").get_attribute("value") == "6"

    # screenshots: the item view with the original revealed, and the overview
    page.goto(f"{server.url}/items/1/original")
    page.screenshot(path=str(shots / "item.png"), full_page=True)

    page.goto(f"{server.url}/signoff")
    assert page.locator("#decision-approve").is_enabled()
    page.check("#decision-approve")
    page.fill("#signoff-comment", "all items reviewed")
    page.click("#signoff-submit")
    page.wait_for_url(f"{server.url}/signoff?done=approve")
    assert page.locator("#signoff-done").is_visible()

    page.goto(f"{server.url}/overview")
    assert page.locator("#chart-by-type svg rect").count() >= 5
    assert page.locator("#chart-bound svg").count() == 1
    page.screenshot(path=str(shots / "overview.png"), full_page=True)
    assert seen.dialogs == []

    events = list(AuditLog(server.run).events())
    mine = [e for e in events if e["actor"] == "rita"]
    assert [e["payload"]["verdict"] for e in mine if e["type"] == "review.verdict"] == [
        "ok",
        "missed_pii",
        "other",
        "ok",
        "ok",
        "ok",
    ]
    assert any(e["type"] == "raw.viewed" and e["payload"]["item_id"] == 4 for e in mine)
    signoff = [e for e in mine if e["type"] == "review.signoff"]
    assert (
        signoff[-1]["payload"]["decision"] == "approve"
        and signoff[-1]["payload"]["role"] == "reviewer"
    )

    # the operator may look but not approve (two-person rule)
    op_ctx = browser.new_context()
    try:
        op = op_ctx.new_page()
        sign_in(op, server, OPERATOR)
        op.goto(f"{server.url}/signoff")
        assert "two-person rule" in op.locator("#operator-note").inner_text()
        assert op.locator("#decision-approve").is_disabled()
    finally:
        op_ctx.close()
