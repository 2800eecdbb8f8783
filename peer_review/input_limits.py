"""Limits on what requests may carry, so that malformed input is a 400 or a 404, never a server error.

- ``StrictJSONProvider`` (``app.json``): JSON nested too deeply, lone surrogates (text no database can
  store), integers outside the signed 64-bit range and NaN/Infinity are a ``ValueError``, which
  ``request.get_json()`` turns into a bad request (the API answers 400 ``bad_json``). Integers that fit 64 bits
  but not the database's columns are the schemas' business (``api.schemas.DbInteger``: 422).
- ``BoundedIntConverter`` replaces Flask's ``int`` URL converter: an id above ``MAX_ID`` is a 404.
- ``parse_id`` reads an id from a query string, a form or a spreadsheet cell: anything that is not a whole
  number in range is ``None``, which views treat as absent or unknown.
- NUL characters: PostgreSQL text can neither store nor compare them, and user input drops control characters
  anyway (``utils.strip_control``), so ``Request`` removes them from query arguments and form fields and the JSON
  provider from JSON text; a NUL in the path is a 404 (``refuse_nul_in_path``).
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import flask
from flask import abort, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, ValidationError

# The database's INTEGER columns (every id, offset and version) are 32-bit on PostgreSQL ("integer out of
# range" beyond); SQLite's are 64-bit. The smaller range holds for both.
MIN_INT, MAX_INT = -(2**31), 2**31 - 1
MAX_ID = MAX_INT
JSON_MIN_INT, JSON_MAX_INT = -(2**63), 2**63 - 1  # the widest integer a JSON body may carry at all
MAX_JSON_DEPTH = 100        # far more than any request needs; well under Python's recursion limit


def parse_id(value: Any) -> int | None:
    """A whole number from 0 to ``MAX_ID`` written in ASCII digits (or an int in range), else ``None``.

    ``str.isdigit()`` is not enough: it accepts "²" (which ``int`` refuses) and numbers too large for the
    database, both of which used to end in a server error.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= MAX_ID else None
    if not isinstance(value, str) or not value or len(value) > 20 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


class BoundedIntConverter(IntegerConverter):
    """Flask's ``<int:...>`` with a maximum: an id the database cannot hold is a 404 like any unknown id."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=MIN_INT if min is None and signed else min,
                         max=max, signed=signed)

    def to_python(self, value: str) -> int:
        try:
            return super().to_python(value)
        except ValidationError:
            # Werkzeug turns a ValidationError into 405 when another rule on the same path takes other methods
            # (PATCH /cycles/<huge> would say "use GET"); an id out of range is simply not found.
            raise NotFound() from None


def _parse_int(text: str) -> int:
    if len(text) > 20:
        raise ValueError("integer out of range")
    number = int(text)
    if not JSON_MIN_INT <= number <= JSON_MAX_INT:
        raise ValueError("integer out of range")
    return number


def _parse_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


def _parse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def check_decoded(value: Any) -> None:
    """Refuse text with lone surrogates and nesting deeper than ``MAX_JSON_DEPTH``, walking iteratively."""
    stack = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if isinstance(current, str):
            if not current.isascii():
                try:
                    current.encode("utf-8")
                except UnicodeEncodeError:
                    raise ValueError("text contains a lone surrogate (not valid Unicode)") from None
        elif isinstance(current, (dict, list, tuple)):
            if depth >= MAX_JSON_DEPTH:
                raise ValueError("JSON nested too deeply")
            if isinstance(current, dict):
                stack.extend((k, depth + 1) for k in current)
                stack.extend((v, depth + 1) for v in current.values())
            else:
                stack.extend((v, depth + 1) for v in current)


# JSON text can only carry NUL escaped (a raw control character is invalid JSON): a backslash-u0000 escape, its
# backslash preceded by an even number of backslashes (after an odd number it is itself escaped text).
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


class StrictJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, reading only what the application can safely hold (see the module docstring)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        if isinstance(s, (bytes, bytearray)):
            s = s.decode(json.detect_encoding(s), "surrogatepass")  # as json.loads does
        if "\\u0000" in s:
            s = _NUL_ESCAPE.sub(r"\1", s)
        kwargs.setdefault("parse_int", _parse_int)
        kwargs.setdefault("parse_float", _parse_float)
        kwargs.setdefault("parse_constant", _parse_constant)
        try:
            value = json.loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None
        check_decoded(value)
        return value


def _without_nul(value):
    return value.replace("\x00", "") if isinstance(value, str) and "\x00" in value else value


class NulFreeMultiDict(ImmutableMultiDict):
    """Query arguments and form fields (Werkzeug's ``parameter_storage_class``) with NUL characters removed.
    Files are left alone; so are copies made from a mapping, already clean."""

    def __init__(self, mapping=None):
        if mapping is not None and not isinstance(mapping, Mapping):
            mapping = [(_without_nul(key), _without_nul(value)) for key, value in mapping]
        super().__init__(mapping)


class Request(flask.Request):
    parameter_storage_class = NulFreeMultiDict


def refuse_nul_in_path() -> None:
    """No row has a NUL in its slug, key or token (and PostgreSQL could not even compare one): not found."""
    if "\x00" in request.path:
        abort(404)
