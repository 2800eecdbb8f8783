"""User text never becomes markup: messages that interpolate user values escape them, on every error path."""
from __future__ import annotations

import ast
import datetime as dt
import io
from pathlib import Path

import pytest
from flask import render_template_string

from peer_review.coding import samples as sample_ops
from peer_review.coding.models import Code
from peer_review.coding.operations import add_codings
from peer_review.cycles.models import Cycle
from peer_review.evidence.models import EvidenceItem
from peer_review.extensions import db

PACKAGE = Path(__file__).resolve().parents[2] / "peer_review"
PAYLOAD = ('<div hx-post="/users/1/edit" hx-trigger="load" hx-include="[name=csrf_token]" '
           'hx-vals=\'{"roles":"admin"}\'>x</div>')


def _lazy_calls():
    """Every ``_l("... %(name)s ...", name=...)`` in the package: the messages that interpolate a value."""
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "_l"
                    and node.keywords and node.args and isinstance(node.args[0], ast.Constant)):
                yield f"{path.relative_to(PACKAGE)}:{node.lineno}", node.args[0].value, [k.arg for k in node.keywords]


def test_nobody_uses_flask_babels_lazy_gettext_directly():
    offenders = [str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
                 if p.name != "i18n.py" and "lazy_gettext" in p.read_text(encoding="utf-8")
                 and "from flask_babel import" in p.read_text(encoding="utf-8")
                 and any("lazy_gettext" in line and "flask_babel" in line
                         for line in p.read_text(encoding="utf-8").splitlines())]
    assert offenders == []


def test_every_interpolating_lazy_message_escapes_its_values(app):
    from peer_review.i18n import lazy_gettext as _l
    calls = list(_lazy_calls())
    assert len(calls) > 20  # the scan finds the package's messages
    with app.test_request_context():
        for where, message, names in calls:
            lazy = _l(message, **{name: PAYLOAD for name in names})
            html = render_template_string("{{ m }}", m=lazy)
            assert "<div" not in html and "&lt;div hx-post=" in html, where
            assert str(lazy).count("<div") == len(names)  # as text (a file, a log) it stays what it says


@pytest.fixture
def world(app, make_city, make_user):
    city = make_city("Kisaru", slug="kisaru")
    cycle = Cycle(name="2026 round", starts_on=dt.date(2026, 1, 1), ends_on=dt.date(2026, 12, 1), state="open",
                  cities=[city])
    trust = Code(key="trust", direction="more", family="culture", labels={"en": "Trust"})
    db.session.add_all([cycle, trust])
    db.session.commit()
    return {
        "city": city, "cycle": cycle, "trust": trust,
        "coordinator": make_user("coord@kisaru.example", city=city, city_role="coordinator"),
        "a": make_user("a@net.example", roles=["facilitator"]),
        "b": make_user("b@net.example", roles=["facilitator"]),
        "admin": make_user("admin@net.example", roles=["admin"]),
    }


def _item(world, title="Night walk"):
    item = EvidenceItem(city=world["city"], cycle=world["cycle"], type="narrative", title=title,
                        text="Residents and police meet every month.", language="en", consent="obtained",
                        visibility="city")
    db.session.add(item)
    db.session.commit()
    return item


def test_a_title_set_through_the_api_is_text_on_the_reconcile_page(client, login, api_token, world):
    item = _item(world)
    headers = api_token(world["coordinator"])
    current = client.get(f"/api/v1/evidence/{item.id}", headers=headers)
    headers["If-Match"] = current.headers.get("ETag", "")
    patched = client.patch(f"/api/v1/evidence/{item.id}", json={"title": PAYLOAD}, headers=headers)
    assert patched.status_code == 200, patched.get_data(as_text=True)
    sample = sample_ops.draw_sample(world["cycle"], 1, world["a"], world["b"], seed=1)
    item = db.session.get(EvidenceItem, item.id)
    add_codings(item, [world["trust"]], world["a"], None, None)  # A codes, B does not: a disagreement
    db.session.commit()
    login(client, world["admin"])
    page = client.post(f"/coding/samples/{sample.id}/reconcile", data={})
    html = page.get_data(as_text=True)
    assert page.status_code == 400 and "Choose keep or drop" in html
    assert "hx-post=\"/users" not in html and "&lt;div hx-post=" in html


def test_an_unknown_city_in_an_import_is_text_in_the_row_errors(client, login, world):
    login(client, world["coordinator"])
    header = ("city,cycle,type,title,text,date,language,area,source,gender,age_group,vulnerable_groups,consent,"
              "visibility")
    row = f'"{PAYLOAD.replace(chr(34), chr(34) * 2)}",2026 round,narrative,T,Text,,en,,,,,,obtained,city'
    response = client.post("/exchange/evidence/import",
                           data={"file": (io.BytesIO(f"{header}\n{row}\n".encode()), "evidence.csv")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "Unknown city" in html
    assert "hx-post=\"/users" not in html and "&lt;div hx-post=" in html


def test_pages_that_do_not_poll_disable_htmx_on_user_content(client, login, world):
    item = _item(world, title="Harmless")
    login(client, world["admin"])
    html = client.get(f"/evidence/{item.id}").get_data(as_text=True)
    assert '<main class="govuk-main-wrapper" id="main-content" role="main" tabindex="-1" hx-disable>' in html
    assert '"allowEval": false' in html and '"selfRequestsOnly": true' in html
