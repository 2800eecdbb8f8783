"""Freeze the real-text evaluation set: merge en/es/fr.jsonl (passages written from real public sources, each with
its source address, labelled before any engine saw them) into ../real.jsonl with a fixed split.

The split is decided by the SHA-1 of each passage id alone, never by the engine's results: about 55 % "dev" (the
only part anyone may look at while tuning) and 45 % "test" (held out), within each language.
"""
import hashlib
import json
from pathlib import Path

here = Path(__file__).parent
rows = []
for lang in ("en", "es", "fr"):
    for line in (here / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            bucket = int(hashlib.sha1(row["id"].encode()).hexdigest()[:8], 16) % 100
            row["split"] = "dev" if bucket < 55 else "test"
            rows.append(row)
with open(here.parent / "real.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
counts = {}
for r in rows:
    counts[(r["lang"], r["split"])] = counts.get((r["lang"], r["split"]), 0) + 1
print(len(rows), "passages", dict(sorted(counts.items())))
