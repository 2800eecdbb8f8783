"""Suggestions for large batches on several cores (the command line; the app's jobs call ``suggest`` as is).

The items are cut into contiguous chunks, each suggested in a forked worker process: the codebook and the
classifier are resolved and the language pipelines loaded once in the parent, and inherited by the workers
(copy-on-write memory). Results come back in the input's order and are
the same as ``suggest`` on the whole batch (each item is scored on its own).
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable, List, Optional

from .codebook import load_codebook
from .engine import resolve_classifier, suggest

MIN_ITEMS_PER_WORKER = 1000
_shared: dict = {}


def default_workers() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _suggest(items, codebook, classifier, threshold, render) -> list:
    rows = suggest(items, codebook=codebook, classifier=classifier, threshold=threshold)
    return [render(r) for r in rows] if render else rows


def _work(chunk: List[dict]) -> list:
    return _suggest(chunk, **_shared)


def suggest_many(items, codebook=None, classifier=None, threshold: Optional[float] = None,
                 workers: Optional[int] = None, render: Optional[Callable[[dict], object]] = None) -> list:
    """``suggest`` on ``workers`` processes (default: the usable cores) when the batch is large enough to pay for
    them (``MIN_ITEMS_PER_WORKER`` items per worker), else in this process. ``render``: applied to each result
    where it is made (the command line turns results into JSON lines in the workers, which then send back
    strings instead of nested dicts)."""
    items = list(items)
    workers = default_workers() if workers is None else max(1, int(workers))
    workers = min(workers, len(items) // MIN_ITEMS_PER_WORKER)
    codebook = load_codebook(codebook)
    classifier = resolve_classifier(classifier)
    if workers <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return _suggest(items, codebook, classifier, threshold, render)
    _shared.update(codebook=codebook, classifier=classifier, threshold=threshold, render=render)
    # Load the pipelines and matchers once, here: the forked workers share them instead of each loading all.
    suggest(["Warm-up.", "Calentamiento del barrio.", "L'échauffement du quartier."], codebook=codebook,
            classifier=classifier, threshold=threshold)
    size = -(-len(items) // workers)
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_work, chunks)
    finally:
        _shared.clear()
    return [row for part in parts for row in part]
