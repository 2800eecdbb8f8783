"""The frozen realistic evaluation set loads and `python -m nlp evaluate --set realistic` runs."""
import subprocess
import sys
from pathlib import Path

from nlp.codebook import load_codebook
from nlp.evaluate import EVAL_SETS, eval_path, load_labelled

ROOT = Path(__file__).resolve().parents[2]


def test_realistic_set_is_well_formed():
    rows = load_labelled(eval_path("realistic"))
    ids = set(load_codebook().ids)
    assert len(rows) >= 90
    assert {r["lang"] for r in rows} == {"en", "es", "fr"}
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["codes"] and set(r["codes"]) <= ids
        assert 40 <= len(r["text"].split()) <= 150


def test_cli_evaluate_set_realistic():
    out = subprocess.run([sys.executable, "-m", "nlp", "evaluate", "--set", "realistic"], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "set=realistic" in out.stdout and "micro" in out.stdout
    assert set(EVAL_SETS) >= {"labelled", "realistic"}
