"""The dashboard on a real `redact run` (the shared session run): the sampled records, their
findings and their originals line up, and the gate-facing store/audit contract holds."""

from __future__ import annotations

import pytest

from audit.sampling import draw_sample
from tests.test_dashboard_fixtures import PASSWORDS, add_users, make_app


@pytest.mark.ray
def test_real_run_items_findings_and_originals_line_up(run_copy):
    sample = draw_sample(run_copy, seed=5, actor="op-alice")
    add_users(run_copy)
    app = make_app(run_copy)
    from fastapi.testclient import TestClient

    c = TestClient(app)
    r = c.post("/api/login", json={"username": "rita", "password": PASSWORDS["rita"]})
    headers = {"X-CSRF-Token": r.json()["csrf_token"]}
    items = c.get("/api/items").json()
    assert len(items) == len(sample["items"]) > 0
    checked = 0
    for summary in items:
        item = c.get(f"/api/items/{summary['id']}").json()
        raw = c.get(f"/api/items/{summary['id']}/raw")
        assert raw.status_code == 200, raw.text
        originals = raw.json()["messages"]
        assert [m["role"] for m in originals] == [m["role"] for m in item["messages"]]
        for f in item["findings"]:
            value = originals[f["message_index"]]["content"][f["start"] : f["end"]]
            assert value.strip(), f
            assert f["placeholder"] in item["messages"][f["message_index"]]["content"]
            if f["entity_type"] == "EMAIL_ADDRESS":
                assert value not in str(item)  # the released view never shows the original value
            checked += 1
        assert (
            c.post(
                f"/api/items/{summary['id']}/verdict", json={"verdict": "ok"}, headers=headers
            ).status_code
            == 200
        )
    assert checked > 0
    # the overview renders from the real findings/ and index/ files
    page = c.get("/overview")
    assert page.status_code == 200 and "Replacements by entity type" in page.text
    # approval: everything has a verdict now
    r = c.post("/api/signoff", json={"decision": "approve"}, headers=headers)
    assert r.status_code == 200 and r.json()["sample_hash"] == sample["items_hash"]
