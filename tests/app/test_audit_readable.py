"""The home page's recent changes and the audit log speak in words and names, with unambiguous dates."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from peer_review.audit.labels import ACTIONS
from peer_review.audit.operations import record
from peer_review.extensions import db

PACKAGE = Path(__file__).resolve().parents[2] / "peer_review"


def test_every_recorded_action_has_words():
    recorded = set()
    for path in PACKAGE.rglob("*.py"):
        recorded |= set(re.findall(r'record\(\s*"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
        recorded |= set(re.findall(r'"(user\.[a-z_]+)"\)', path.read_text(encoding="utf-8")))
        recorded |= set(re.findall(r'audit_action="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    recorded -= {"user.list"}  # a permission, not an action
    assert recorded and recorded <= set(ACTIONS), sorted(recorded - set(ACTIONS))


def test_recent_changes_and_the_audit_log_read_as_words(client, login, make_user):
    staff = make_user("sec@net.example", roles=["secretariat"], name="Sara Sec")
    make_user("ana.ruiz@kisaru.example", name="Ana Ruiz")
    entry = record("sample.create", "sample", 1, summary="Spring check: 8 items", actor=staff)
    record("user.invite", "user", 2, summary="ana.ruiz@kisaru.example", actor=staff)
    entry.at = dt.datetime(2026, 12, 1, 9, 30)
    db.session.commit()
    login(client, staff)
    home = client.get("/").get_data(as_text=True)
    assert ">sample.create" not in home and "Double-coding sample drawn: Spring check: 8 items" in home
    assert "Person invited: Ana Ruiz" in home and "ana.ruiz@kisaru.example" not in home
    audit = client.get("/audit/").get_data(as_text=True)
    assert "Dec 1, 2026" in audit and "12/1/26" not in audit
    assert 'id="since" name="since" type="date"' in audit and 'id="until" name="until" type="date"' in audit
    assert ">Double-coding sample drawn</option>" in audit
    filtered = client.get("/audit/?since=2026-12-01&until=2026-12-01").get_data(as_text=True)
    assert 'value="2026-12-01"' in filtered and "Spring check" in filtered
