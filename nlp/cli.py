"""Command line: python -m nlp {code,topics,evaluate,train}."""
from __future__ import annotations

import argparse
import json
import sys
from typing import List, Optional, TextIO


class InputError(Exception):
    pass


def read_jsonl(stream: TextIO, name: str = "<stdin>", require_text: bool = True) -> List[dict]:
    """Read and validate ALL lines first, so that nothing is written when one line is bad."""
    rows = []
    for n, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(f"{name}: line {n}: invalid JSON ({e.msg} at column {e.colno})") from None
        if not isinstance(obj, dict):
            raise InputError(f"{name}: line {n}: expected a JSON object with \"id\" and \"text\"")
        if "id" not in obj:
            raise InputError(f"{name}: line {n}: missing \"id\"")
        if require_text and not isinstance(obj.get("text"), str):
            raise InputError(f"{name}: line {n}: \"text\" must be a string")
        lang = obj.get("lang")
        if lang is not None and not isinstance(lang, str):
            raise InputError(f"{name}: line {n}: \"lang\" must be a string")
        rows.append(obj)
    return rows


OUTPUT_KEYS = ("code", "score", "passage", "spans", "why", "model_words", "polarity")


def output_line(result: dict, explain: bool = False) -> str:
    """One result as the JSON line ``code`` writes (every field with ``--explain``)."""
    codes = [c if explain else {k: c[k] for k in OUTPUT_KEYS} for c in result["codes"]]
    return json.dumps({"id": result["id"], "lang": result["lang"], "codes": codes}, ensure_ascii=False)


def cmd_code(args) -> int:
    from functools import partial
    from .parallel import suggest_many
    rows = read_jsonl(sys.stdin)
    model = None if args.no_model else (args.model or "bundled")
    lines = suggest_many(rows, codebook=args.codebook, classifier=model, threshold=args.threshold,
                         workers=args.workers, render=partial(output_line, explain=args.explain))
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
    return 0


def cmd_topics(args) -> int:
    from .topics import discover_topics
    with (open(args.input, encoding="utf-8") if args.input != "-" else sys.stdin) as f:
        rows = read_jsonl(f, args.input)
    result = discover_topics(rows, seed=args.seed, n_topics=args.n_topics, codebook=args.codebook)
    text = json.dumps(result, ensure_ascii=False, indent=1)
    if args.out and args.out != "-":
        from pathlib import Path
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{len(result['topics'])} topics, {result['n_docs']} documents -> {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 0


def cmd_evaluate(args) -> int:
    from .evaluate import evaluate, eval_path, format_report, load_labelled
    from .classifier import train_classifier
    if args.set and not args.data:
        args.data = str(eval_path(args.set))
    clf = None
    if args.train_split:
        clf = train_classifier(load_labelled(args.data, args.train_split), codebook=args.codebook)
    elif args.model:
        from .classifier import CodeClassifier
        from .engine import resolve_classifier
        clf = resolve_classifier(args.model)
    res = evaluate(codebook=args.codebook, classifier=clf, threshold=args.threshold, split=args.split,
                   path=args.data)
    title = (f"set={args.set} " if args.set else "") + f"split={args.split or 'all'} threshold={args.threshold or 'calibrated'}" + (
        f" classifier trained on split={args.train_split}" if args.train_split else "")
    if args.json:
        res.pop("errors", None)
        print(json.dumps(res, indent=1))
    else:
        print(format_report(res, title))
    return 0


def cmd_train(args) -> int:
    from .classifier import train_classifier
    with (open(args.input, encoding="utf-8") if args.input != "-" else sys.stdin) as f:
        rows = read_jsonl(f, args.input)
    clf = train_classifier(rows, codebook=args.codebook, min_examples=args.min_examples)
    clf.save(args.out)
    print(f"trained models for {len(clf.models)} codes on {clf.meta['n_items']} items -> {args.out}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .engine import DEFAULT_THRESHOLD
    p = argparse.ArgumentParser(prog="python -m nlp", description="Safer Cities NLP: code suggestions and topics")
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("code", help="suggest codes: JSONL {id,text[,lang]} on stdin -> JSONL on stdout")
    c.add_argument("--codebook", default=None, help="codebook YAML/JSON (default rubrics/codebook.yaml)")
    c.add_argument("--model", default=None,
                   help="trained classifier JSON to blend with the lexicons (default: the bundled model)")
    c.add_argument("--no-model", action="store_true", help="lexicons only")
    c.add_argument("--threshold", type=float, default=None,
                   help="one threshold for every code, no cap (default: calibrated per code, capped per item)")
    c.add_argument("--explain", action="store_true", help="also output the source of each score")
    c.add_argument("--workers", type=int, default=None,
                   help="processes for large inputs (default: the usable cores; 1 = this process only)")
    c.set_defaults(func=cmd_code)
    t = sub.add_parser("topics", help="discover topics in a JSONL corpus")
    t.add_argument("input", help="JSONL with id, text and optional lang, group, date ('-' for stdin)")
    t.add_argument("--out", default="-", help="output JSON file (default stdout)")
    t.add_argument("--seed", type=int, default=42)
    t.add_argument("--n-topics", type=int, default=None, help="fix the number of topics (default: chosen)")
    t.add_argument("--codebook", default=None)
    t.set_defaults(func=cmd_topics)
    e = sub.add_parser("evaluate", help="precision/recall/F1 per code on the labelled set")
    e.add_argument("--data", default=None, help="labelled JSONL (default nlp/data/eval/labelled.jsonl)")
    e.add_argument("--set", default=None, choices=["labelled", "realistic", "real"],
                   help="bundled evaluation set (default labelled; 'realistic' = frozen real-style passages; "
                        "'real' = rewritten real public passages with a frozen dev/test split)")
    e.add_argument("--split", default=None, choices=["dev", "test", "all"])
    e.add_argument("--threshold", type=float, default=None, help="one threshold, no cap (default: calibrated)")
    e.add_argument("--codebook", default=None)
    e.add_argument("--model", default=None, help="classifier JSON to blend in ('bundled' = the shipped model)")
    e.add_argument("--train-split", default=None, choices=["dev", "test"],
                   help="train a classifier on this split first (e.g. dev, then --split test)")
    e.add_argument("--json", action="store_true")
    e.set_defaults(func=cmd_evaluate)
    r = sub.add_parser("train", help="train the classifier from accepted codings JSONL {id,text,codes|code}")
    r.add_argument("input")
    r.add_argument("--out", required=True)
    r.add_argument("--codebook", default=None)
    r.add_argument("--min-examples", type=int, default=5)
    r.set_defaults(func=cmd_train)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
