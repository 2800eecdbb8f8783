import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_nlp(args, stdin: str = "", timeout: int = 120):
    """Run `python -m nlp ...` from the repository root."""
    return subprocess.run([sys.executable, "-m", "nlp", *args], input=stdin.encode("utf-8"), cwd=str(ROOT),
                          capture_output=True, timeout=timeout)


def to_jsonl(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
