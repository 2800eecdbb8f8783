"""Reading an attachment's text in a process of its own, so that a hostile or just heavy file can be stopped.

Why: parsing a PDF is pure Python and its cost depends on the content, not the file size: a 229 KB compressed
PDF held a web worker at full CPU for 47 minutes, a 30 KB one of 2,000 pages took 40 s. The background job
(``attachments.run_extraction``) therefore never parses in its own process: it runs

    python -m peer_review.evidence.text_reader KIND PATH --max-pages N --max-chars N --seconds S

and kills the child when ``S`` seconds have passed. The child reads at most ``N`` pages and ``N`` characters,
lowers its own CPU-time and memory limits first (a safety net should the parent die and leave it behind), and
prints one JSON object on stdout::

    {"ok": true, "text": "...", "pages": 2000, "pages_read": 300, "truncated": false}
    {"ok": false, "reason": "encrypted" | "damaged" | "memory" | "refused" | "missing"}

It needs no app, database or translations: only the pure functions of ``uploads``.
"""
from __future__ import annotations

import argparse
import json
import math
import sys

MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024  # address space of the child; a decompression bomb hits MemoryError


def _limit_resources(seconds: float, memory: int = MEMORY_LIMIT_BYTES) -> None:
    try:
        import resource
    except ImportError:  # not on POSIX: the parent's kill is the only limit
        return
    cpu = max(1, math.ceil(seconds)) + 2  # the parent's wall-clock kill normally comes first
    for limit, value in ((resource.RLIMIT_CPU, cpu), (resource.RLIMIT_AS, memory)):
        try:
            soft, hard = resource.getrlimit(limit)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(limit, (value, hard))
        except (ValueError, OSError):
            pass


def read(kind: str, data: bytes, max_pages: int, max_chars: int) -> dict:
    from .uploads import UploadRejected, read_text
    try:
        found = read_text(kind, data, max_chars=max_chars, max_pages=max_pages)
    except UploadRejected as err:
        return {"ok": False, "reason": err.reason}
    except MemoryError:
        return {"ok": False, "reason": "memory"}
    return {"ok": True, "text": found.text, "pages": found.pages, "pages_read": found.pages_read,
            "truncated": found.truncated}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind")
    parser.add_argument("path")
    parser.add_argument("--max-pages", type=int, default=300)
    parser.add_argument("--max-chars", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    _limit_resources(args.seconds)
    try:
        with open(args.path, "rb") as fh:
            data = fh.read()
    except OSError:
        result = {"ok": False, "reason": "missing"}
    else:
        result = read(args.kind, data, args.max_pages, args.max_chars)
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
