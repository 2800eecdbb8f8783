"""Codebook loading (YAML or JSON), with a bundled fallback when rubrics/ is not available."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Union

import yaml


def load_yaml(text: str):
    """``yaml.safe_load`` with libyaml's C parser when PyYAML has it (ten times faster on the lexicons)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
DEFAULT_CODEBOOK = PACKAGE_DIR.parent / "rubrics" / "codebook.yaml"
BUNDLED_CODEBOOK = DATA_DIR / "codebook_fallback.yaml"


@dataclass
class Code:
    id: str
    direction: str = "more"          # "more" | "less"
    family: str = "process"
    parent: Optional[str] = None
    labels: Dict[str, str] = field(default_factory=dict)
    definitions: Dict[str, str] = field(default_factory=dict)
    seed_words: Dict[str, List[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"id": self.id, "direction": self.direction, "family": self.family, "parent": self.parent,
                "labels": dict(self.labels), "definitions": dict(self.definitions),
                "seed_words": {k: list(v) for k, v in self.seed_words.items()}}


@dataclass
class Codebook:
    codes: List[Code]
    version: Union[int, str] = 1
    source: Optional[str] = None

    @property
    def ids(self) -> List[str]:
        return [c.id for c in self.codes]

    def get(self, code_id: str) -> Optional[Code]:
        for c in self.codes:
            if c.id == code_id:
                return c
        return None

    def __contains__(self, code_id: str) -> bool:
        return self.get(code_id) is not None

    def to_dict(self) -> dict:
        return {"version": self.version, "codes": [c.to_dict() for c in self.codes]}


def _parse(data: dict, source: Optional[str]) -> Codebook:
    if not isinstance(data, dict) or not isinstance(data.get("codes"), list):
        raise ValueError(f"codebook {source or ''}: expected a mapping with a 'codes' list")
    codes, seen = [], set()
    for i, raw in enumerate(data["codes"]):
        if isinstance(raw, str):
            raw = {"id": raw}
        if not isinstance(raw, dict) or not raw.get("id"):
            raise ValueError(f"codebook {source or ''}: code #{i + 1} has no id")
        cid = str(raw["id"])
        if cid in seen:
            raise ValueError(f"codebook {source or ''}: duplicate code id {cid!r}")
        seen.add(cid)
        direction = str(raw.get("direction") or "more")
        if direction not in ("more", "less"):
            raise ValueError(f"codebook {source or ''}: code {cid!r} direction must be 'more' or 'less'")
        seeds = raw.get("seed_words") or {}
        codes.append(Code(
            id=cid, direction=direction, family=str(raw.get("family") or "process"), parent=raw.get("parent"),
            labels=dict(raw.get("labels") or {}), definitions=dict(raw.get("definitions") or {}),
            seed_words={str(k): [str(w) for w in (v or [])] for k, v in seeds.items()},
        ))
    return Codebook(codes=codes, version=data.get("version", 1), source=source)


def load_codebook(path: Union[str, Path, dict, Codebook, None] = None) -> Codebook:
    """Load a codebook from a YAML/JSON file, a dict, or the default ``rubrics/codebook.yaml``.

    If no path is given and rubrics/codebook.yaml is missing, a bundled copy is used.
    """
    if isinstance(path, Codebook):
        return path
    if isinstance(path, dict):
        return _parse(path, "<dict>")
    if path is None:
        path = DEFAULT_CODEBOOK if DEFAULT_CODEBOOK.exists() else BUNDLED_CODEBOOK
    p = Path(path)
    text = p.read_text(encoding="utf-8")
    data = json.loads(text) if p.suffix.lower() == ".json" else load_yaml(text)
    return _parse(data, str(p))
