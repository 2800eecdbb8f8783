"""Precision / recall / F1 per code and micro / macro averages for code suggestions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, List, Optional, Sequence

from .codebook import DATA_DIR, load_codebook
from .engine import suggest

EVAL_FILE = DATA_DIR / "eval" / "labelled.jsonl"
# Named evaluation sets. "realistic" is a frozen set of 90 passages (30 en/es/fr) in the style of real public
# sources, written and labelled BEFORE the lexicons were retuned and never used for tuning: report it, don't tune on it.
# "real" is the set of real public passages (community testimonies, safety audit findings, news features,
# programme descriptions) rewritten and labelled by facilitators, with a frozen dev/test split
# (nlp/data/eval/real/build.py): tune on dev only; test is reported, never looked at.
EVAL_SETS = {"labelled": EVAL_FILE, "realistic": DATA_DIR / "eval" / "realistic.jsonl",
             "real": DATA_DIR / "eval" / "real.jsonl"}


def eval_path(name: Optional[str]) -> Path:
    if not name:
        return EVAL_FILE
    if name not in EVAL_SETS:
        raise ValueError(f"unknown evaluation set {name!r} (use {', '.join(EVAL_SETS)})")
    return EVAL_SETS[name]


def load_labelled(path=None, split: Optional[str] = None) -> List[dict]:
    rows = [json.loads(l) for l in Path(path or EVAL_FILE).read_text(encoding="utf-8").splitlines() if l.strip()]
    if split and split != "all":
        rows = [r for r in rows if r.get("split", "dev") == split]
    return rows


def score(gold: Sequence[Iterable[str]], pred: Sequence[Iterable[str]], codes: Sequence[str]) -> dict:
    """Per-code and micro/macro P/R/F1 for multi-label gold vs predicted code sets."""
    per = {}
    tp_all = fp_all = fn_all = 0
    for c in codes:
        tp = fp = fn = 0
        for g, p in zip(gold, pred):
            g, p = set(g), set(p)
            tp += c in g and c in p
            fp += c not in g and c in p
            fn += c in g and c not in p
        pr = tp / (tp + fp) if tp + fp else 0.0
        rc = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * pr * rc / (pr + rc) if pr + rc else 0.0
        per[c] = {"precision": pr, "recall": rc, "f1": f1, "support": tp + fn, "tp": tp, "fp": fp, "fn": fn}
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
    mp = tp_all / (tp_all + fp_all) if tp_all + fp_all else 0.0
    mr = tp_all / (tp_all + fn_all) if tp_all + fn_all else 0.0
    with_support = [v for v in per.values() if v["support"]]
    n = len(with_support) or 1
    return {"per_code": per,
            "micro": {"precision": mp, "recall": mr, "f1": 2 * mp * mr / (mp + mr) if mp + mr else 0.0},
            "macro": {"precision": sum(v["precision"] for v in with_support) / n,
                      "recall": sum(v["recall"] for v in with_support) / n,
                      "f1": sum(v["f1"] for v in with_support) / n}}


def evaluate(rows=None, codebook=None, classifier=None, threshold: Optional[float] = None,
             split: Optional[str] = None, path=None, max_codes: Optional[int] = -1) -> dict:
    """Run suggestions on labelled rows (default: the bundled set) and score them."""
    codebook = load_codebook(codebook)
    rows = load_labelled(path, split) if rows is None else list(rows)
    preds = suggest([{"id": r.get("id", i), "text": r["text"], "lang": r.get("lang")} for i, r in enumerate(rows)],
                    codebook, classifier=classifier, threshold=threshold, max_codes=max_codes)
    result = score([r["codes"] for r in rows], [[c["code"] for c in p["codes"]] for p in preds], codebook.ids)
    result["n"] = len(rows)
    result["codes_per_passage"] = {"gold": sum(len(r["codes"]) for r in rows) / max(1, len(rows)),
                                   "pred": sum(len(p["codes"]) for p in preds) / max(1, len(rows))}
    result["errors"] = [{"id": r.get("id"), "gold": sorted(r["codes"]), "pred": [c["code"] for c in p["codes"]]}
                        for r, p in zip(rows, preds) if set(r["codes"]) != {c["code"] for c in p["codes"]}]
    return result


def format_report(result: dict, title: str = "") -> str:
    lines = [title] if title else []
    lines.append(f"{'code':<24}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}")
    for c, v in result["per_code"].items():
        lines.append(f"{c:<24}{v['precision']:7.2f}{v['recall']:7.2f}{v['f1']:7.2f}{v['support']:5d}")
    for k in ("micro", "macro"):
        v = result[k]
        lines.append(f"{k:<24}{v['precision']:7.2f}{v['recall']:7.2f}{v['f1']:7.2f}")
    cpp = result.get("codes_per_passage")
    lines.append(f"passages: {result.get('n', '?')}" + (
        f"; codes per passage: gold {cpp['gold']:.2f}, predicted {cpp['pred']:.2f}" if cpp else ""))
    return "\n".join(lines)
