"""HTTP-level protections shared by every route: headers, sessions, CSRF, same-origin checks."""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.requests import Request

SESSION_COOKIE = "redact_session"
LOGIN_CSRF_COOKIE = "redact_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site or origin.

    Browsers send `Sec-Fetch-Site`; with `Referrer-Policy: no-referrer` they send `Origin: null`
    on same-origin form posts, so `null` counts only when Sec-Fetch-Site says same-origin.
    Clients that send neither header (scripts) pass: they still need the CSRF token.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    if origin == "null":
        return site == "same-origin"
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc.lower() == host.lower()


def safe_next(target: str | None, default: str = "/queue") -> str:
    """Only local paths after sign-in (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if target.startswith("/login") or target.startswith("/api/"):
        return default
    return target


def set_cookie(response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )
