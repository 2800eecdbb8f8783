"""Rebuild labelled.jsonl from src/{en,es,fr}.txt ("codes | text" lines). Every third passage is held out
(split "test") and is not used when tuning lexicons or thresholds."""
import json
from pathlib import Path

ABBR = {"col": "collaboration", "inc": "inclusion", "tru": "trust", "fun": "sustainable_funding",
        "spa": "spatial_investment", "san": "safe_sanitation", "gen": "gender_equity", "lea": "leadership",
        "cul": "cultural_participation", "opt": "optimism_vibrancy", "exc": "exclusion", "eli": "elitism",
        "fea": "fear_of_crime", "tec": "technocracy", "org": "organized_crime", "sub": "substance_abuse",
        "vio": "violence_crime"}
here = Path(__file__).parent
rows = []
for lang in ("en", "es", "fr"):
    n = 0
    for line in (here / "src" / f"{lang}.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        codes, text = line.split("|", 1)
        n += 1
        rows.append({"id": f"{lang}-{n:03d}", "lang": lang, "text": text.strip(),
                     "codes": sorted(ABBR[c.strip()] for c in codes.split(",")),
                     "split": "test" if n % 3 == 0 else "dev"})
with open(here / "labelled.jsonl", "w", encoding="utf-8") as f:
    for r in rows:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
print(len(rows), "passages")
