"""Merge the extra training passages (real_extra/*.jsonl) into ../train/real_extra.jsonl.

These passages were written from real public sources (each with its address), in our own words, and labelled
before any engine saw them, exactly like the real evaluation set, but they are for training and calibration
only: the bundled classifier learns from them and the thresholds are cross-validated on them with the real set's
dev split. They never enter an evaluation. A passage whose source is already used by the real evaluation set is
dropped, so that no source is on both sides of the held-out test split.
Run: .venv/bin/python nlp/data/train/build.py
"""
import json
from pathlib import Path

here = Path(__file__).parent
codebook_ids = None
try:
    import yaml
    codebook_ids = {c["id"] for c in yaml.safe_load((here.parents[2] / "rubrics" / "codebook.yaml").read_text())["codes"]}
except Exception:  # pragma: no cover
    pass
eval_sources = {json.loads(line)["source"] for line in (here.parent / "eval" / "real.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()}
rows, seen_ids, seen_sources, dropped = [], set(), set(), []
for path in sorted((here / "real_extra").glob("*.jsonl")):
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        where = f"{path.name}:{n}"
        if row["id"] in seen_ids or not row.get("text", "").strip() or not row.get("source"):
            dropped.append((where, "duplicate id, no text or no source"))
            continue
        if row["source"] in eval_sources or row["source"] in seen_sources:
            dropped.append((where, "source already used"))
            continue
        unknown = set(row["codes"]) - codebook_ids if codebook_ids else set()
        if unknown:
            raise SystemExit(f"{where}: unknown codes {sorted(unknown)}")
        seen_ids.add(row["id"])
        seen_sources.add(row["source"])
        rows.append({"id": row["id"], "lang": row["lang"], "text": row["text"], "codes": sorted(set(row["codes"])),
                     "kind": row.get("kind"), "source": row["source"], "source_title": row.get("source_title"),
                     "split": "train"})
with open(here / "real_extra.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
counts = {}
for r in rows:
    counts[r["lang"]] = counts.get(r["lang"], 0) + 1
print(len(rows), "passages", counts, "dropped:", dropped)
