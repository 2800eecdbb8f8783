"""Permission walk of the exchange pages (imported by test_permissions_walk.py).

Roles: anonymous, member (of city A), other_coordinator (of city B), facilitator, secretariat, admin.
Evidence import: city members, staff and facilitators. Evidence export: coordinators (their city), facilitators
and staff. Other exports: facilitators and staff. Codebook and project
import (code.manage): facilitators and admins. A confirmation token belongs to the person who uploaded: anyone else
gets 404, as if it did not exist.
"""
from __future__ import annotations

from tests.app.test_permissions_walk import S

IMPORTERS = S(302, 200, 200, 200, 200, 200)
EXPORTERS = S(302, 403, 403, 200, 200, 200)
# Coordinators also export their own city's evidence as a spreadsheet.
EVIDENCE_EXPORTERS = S(302, 403, 200, 200, 200, 200)

EXPECTED = {
    "exchange.index": ("GET", IMPORTERS),
    "exchange.import_evidence": ("GET", IMPORTERS),
    # The token is the member's: only they can confirm it (then they are sent to the evidence list).
    "exchange.confirm_evidence_import": ("POST", S(302, 302, 404, 404, 404, 404)),
    "exchange.export_evidence_csv": ("GET", EVIDENCE_EXPORTERS),
    "exchange.export_evidence_xlsx": ("GET", EVIDENCE_EXPORTERS),
    "exchange.export_codebook_qdc": ("GET", EXPORTERS),
    "exchange.export_codebook_yaml": ("GET", EXPORTERS),
    "exchange.import_codebook": ("GET", S(302, 403, 403, 200, 403, 200)),
    # The token is the facilitator's; the admin may manage codes but not confirm someone else's upload.
    "exchange.confirm_codebook_import": ("POST", S(302, 403, 403, 302, 403, 404), {"language": "en"}),
    "exchange.export_project": ("GET", EXPORTERS),
    "exchange.export_codebook_csv": ("GET", EXPORTERS),
    "exchange.import_project": ("GET", S(302, 403, 403, 200, 403, 200)),
    # The facilitator's token: without a cycle and city chosen nothing is imported (400, the form again).
    "exchange.confirm_project_import": ("POST", S(302, 403, 403, 400, 403, 404), {"language": "en"}),
}

PROJECT = b"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="walk" origin="walk">
  <Sources><TextSource guid="9a1f0000-0000-4000-8000-0000000000b1" name="Walk source">
    <PlainTextContent>Some text.</PlainTextContent></TextSource></Sources>
</Project>
"""

CODEBOOK = b"""<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="walk">
  <Codes><Code guid="9a1f0000-0000-4000-8000-000000000001" name="Walk code" isCodable="true"/></Codes>
</CodeBook>
"""


def world(db, city_a, users, cycle) -> dict:
    from peer_review.coding.operations import sync_codebook
    from peer_review.exchange.operations import stash_upload

    sync_codebook()
    db.session.commit()
    table = ("city,cycle,type,title,text,language,consent,visibility\r\n"
             f"{city_a.slug},{cycle.name},narrative,Walk item,Some text.,en,obtained,city\r\n").encode()
    return {
        "import_token": stash_upload("evidence", users["member"], "walk.csv", table),
        "codebook_token": stash_upload("codebook", users["facilitator"], "walk.qdc", CODEBOOK),
        "project_token": stash_upload("project", users["facilitator"], "walk.qde", PROJECT),
    }
