"""Benchmark: topic discovery time and peak memory at 1,000, 10,000 and 50,000 synthetic items
(target: 10,000 items under 60 s and under 2 GB on 2 cores).

Each size runs in its own subprocess so that peak RSS (resource.getrusage ru_maxrss) is per size.
Run: .venv/bin/python bench/bench_nlp_topics.py [SIZES...]
"""
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def make_docs(n, seed=0):
    from nlp.evaluate import load_labelled
    rng = random.Random(seed)
    sents = {}
    for r in load_labelled():
        for s in re.split(r"(?<=[.;:])\s+", r["text"]):
            if len(s) > 20:
                sents.setdefault(r["lang"], []).append(s)
    cities = ["Bogotá", "Durban", "Montréal", "Lyon", "Ciudad de México", "Nairobi"]
    docs = []
    for i in range(n):
        lang = rng.choice(["en", "es", "fr"])
        docs.append({"id": i, "text": " ".join(rng.choice(sents[lang]) for _ in range(rng.randint(2, 4))),
                     "group": rng.choice(cities), "date": f"202{rng.randint(2, 5)}-{rng.randint(1, 12):02d}-15"})
    return docs


def child(n):
    import nlp
    docs = make_docs(n)
    t = time.perf_counter()
    res = nlp.discover_topics(docs, seed=42)
    dt = time.perf_counter() - t
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"n": n, "seconds": round(dt, 1), "peak_rss_mb": round(rss_mb), "topics": len(res["topics"]),
                      "outliers": sum(d["topic"] < 0 for d in res["documents"]), "k": res["params"]["n_topics"],
                      "related": len(res["related"])}))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        return child(int(sys.argv[2]))
    sizes = [int(x) for x in sys.argv[1:]] or [1_000, 10_000, 50_000]
    for n in sizes:
        p = subprocess.run([sys.executable, __file__, "--child", str(n)], cwd=str(ROOT), capture_output=True, text=True)
        if p.returncode:
            print(f"{n}: failed\n{p.stderr[-2000:]}")
            continue
        r = json.loads(p.stdout.strip().splitlines()[-1])
        print(f"topics: {r['n']:>6} items  {r['seconds']:>6.1f} s  peak RSS {r['peak_rss_mb']:>5} MB  "
              f"{r['topics']} topics (k={r['k']}), {r['outliers']} outliers, {r['related']} cross-language links")


if __name__ == "__main__":
    main()
