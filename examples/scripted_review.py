"""DEMO ONLY: a scripted reviewer that judges every sample item "ok" without reading it.

It exists so the demo can be taken to a passing gate and a release in one go; a real release
needs people who read the sample. It drives the real dashboard app through its JSON API
(sign-in, one verdict per item, sign-off), so every step lands in the audit log as usual.

    python examples/scripted_review.py RUN NAME   (password on stdin)
"""

from __future__ import annotations

import sys

from fastapi.testclient import TestClient

from audit.dashboard.app import create_app


def main() -> int:
    run_dir, name = sys.argv[1:3]
    password = sys.stdin.readline().rstrip("\n")
    client = TestClient(create_app(run_dir))
    login = client.post("/api/login", json={"username": name, "password": password})
    login.raise_for_status()
    headers = {"X-CSRF-Token": login.json()["csrf_token"]}
    items = client.get("/api/items").json()
    for item in items:
        client.post(f"/api/items/{item['id']}/verdict", json={"verdict": "ok"}, headers=headers).raise_for_status()
    signoff = client.post("/api/signoff", json={"decision": "approve", "comment": "scripted demo review"}, headers=headers)
    signoff.raise_for_status()
    print(f"{name} judged {len(items)} sample items ok and approved the release")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
