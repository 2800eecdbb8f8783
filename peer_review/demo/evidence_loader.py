"""Demo evidence: the fictional items in demo/evidence/<city>.json, partly coded by the demo facilitators."""
from __future__ import annotations

import datetime as dt
import glob
import json
import os

from ..cities.models import City
from ..coding.models import Code, Coding
from ..coding.operations import sync_codebook
from ..cycles.models import Cycle
from ..evidence.models import EvidenceItem
from ..extensions import db
from ..users.models import User

FOLDER = os.path.join(os.path.dirname(__file__), "evidence")
CYCLE_NAMES = {"2025": "2025 round", "2026": "2026 round"}
CODER = "facilitator@demo.safercities.example"


def load_demo_evidence() -> dict:
    sync_codebook()
    codes = {c.key: c for c in db.session.execute(db.select(Code)).scalars()}
    cycles = {k: db.session.execute(db.select(Cycle).filter_by(name=v)).scalar_one() for k, v in CYCLE_NAMES.items()}
    coder = db.session.execute(db.select(User).filter_by(email=CODER)).scalar_one()
    items_added = codings_added = 0
    for path in sorted(glob.glob(os.path.join(FOLDER, "*.json"))):
        slug = os.path.splitext(os.path.basename(path))[0]
        city = db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()
        if city is None:
            continue
        author = db.session.execute(db.select(User).filter_by(
            email=f"member.{slug}@demo.safercities.example")).scalar_one_or_none()
        existing = set(db.session.execute(db.select(EvidenceItem.title).filter_by(city_id=city.id)).scalars())
        with open(path, encoding="utf-8") as fh:
            entries = json.load(fh)
        for entry in entries:
            if entry["title"] in existing:
                continue
            item = EvidenceItem(
                city=city, cycle=cycles[entry["cycle"]], type=entry["type"], title=entry["title"],
                text=entry["text"], date=dt.date.fromisoformat(entry["date"]) if entry.get("date") else None,
                language=entry["language"], area=entry.get("area", ""), source=entry.get("source", ""),
                gender=entry.get("gender", "unspecified"), age_group=entry.get("age_group", "unspecified"),
                vulnerable_groups=";".join(entry.get("vulnerable_groups") or []), consent=entry["consent"],
                visibility=entry["visibility"], created_by=author)
            db.session.add(item)
            items_added += 1
            if entry["consent"] == "withdrawn":
                continue
            for coding in entry.get("codings") or []:
                start = item.text.find(coding["quote"])
                if start < 0 or coding["code"] not in codes:
                    continue
                db.session.add(Coding(item=item, code=codes[coding["code"]], start_offset=start,
                                      end_offset=start + len(coding["quote"]), coder_id=coder.id))
                codings_added += 1
    db.session.flush()
    counts = {"evidence items": items_added, "codings": codings_added}
    try:
        from ..coding.samples import load_demo_sample
    except ImportError:  # double coding arrives with its own module
        return counts
    counts.update(load_demo_sample())
    return counts
