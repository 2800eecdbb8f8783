"""Benchmark: code suggestions on 10,000 items, in process and as `python -m nlp code` from process start
(targets: >= 1,000 items/s in process; the command under 10 s on 2 cores, with the bundled classifier).

Items are synthetic recombinations of sentences from the labelled set (en/es/fr, 1-3 sentences each).
Run: .venv/bin/python bench/bench_nlp_suggest.py [N]
"""
import json
import os
import random
import subprocess
import tempfile
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import nlp  # noqa: E402
from nlp.evaluate import load_labelled  # noqa: E402


def make_items(n, seed=0):
    rng = random.Random(seed)
    sents = {}
    for r in load_labelled():
        for s in re.split(r"(?<=[.;:])\s+", r["text"]):
            if len(s) > 20:
                sents.setdefault(r["lang"], []).append(s)
    items = []
    for i in range(n):
        lang = rng.choice(["en", "es", "fr"])
        items.append({"id": i, "text": " ".join(rng.choice(sents[lang]) for _ in range(rng.randint(1, 3)))})
    return items


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    items = make_items(n)
    t = time.perf_counter()
    nlp.suggest(items[:50])  # warm-up: builds pipelines and matchers once (cached afterwards)
    warm = time.perf_counter() - t
    t = time.perf_counter()
    out = nlp.suggest(items)
    dt = time.perf_counter() - t
    chars = sum(len(i["text"]) for i in items)
    n_codes = sum(len(o["codes"]) for o in out)
    print(f"suggest: {n} items ({chars / n:.0f} chars avg) in {dt:.2f} s -> {n / dt:,.0f} items/s "
          f"(warm-up {warm:.2f} s, {n_codes / n:.2f} codes/item)")
    root = Path(__file__).resolve().parents[1]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    times = []
    for _ in range(3):
        with open(f.name, encoding="utf-8") as stdin:
            t = time.perf_counter()
            run = subprocess.run([sys.executable, "-m", "nlp", "code"], stdin=stdin, capture_output=True, cwd=root)
            times.append(time.perf_counter() - t)
        if run.returncode:
            sys.exit(run.stderr.decode())
    os.unlink(f.name)
    lines = run.stdout.decode().count("\n")
    print(f"python -m nlp code: {n} items -> {lines} lines, from process start: "
          + ", ".join(f"{x:.2f} s" for x in times) + f" (best {min(times):.2f} s)")


if __name__ == "__main__":
    main()
