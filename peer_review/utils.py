"""Small helpers shared by every domain."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def utcnow() -> dt.datetime:
    """Naive UTC timestamp: portable across SQLite and PostgreSQL columns without time zone."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def strip_control(value: str | None) -> str | None:
    """Remove control characters (keeping newlines and tabs) from user input."""
    if value is None:
        return None
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def slugify(value: str) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^a-zA-Z0-9]+", "-", value).strip("-").lower()
    return value[:80]
