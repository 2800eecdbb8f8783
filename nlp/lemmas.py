"""Lemmas: the spacy-lookups-data lookup tables with this package's exceptions, read word by word.

The tables make a few known noun errors in Spanish and French ("mesas" -> "mesar", "para" -> "parir");
``data/lemma_exceptions.yaml`` corrects them. Building a whole table as a dict costs about 1 s per language,
so the pipelines look words up in a SQLite copy built once (:class:`LemmaLookup`).
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable

from .text import LANGS

LEMMA_EXCEPTIONS_FILE = Path(__file__).resolve().parent / "data" / "lemma_exceptions.yaml"


@lru_cache(maxsize=1)
def lemma_exceptions() -> Dict[str, Dict[str, str]]:
    """Corrections to the lookup tables' known noun errors ("mesas" -> "mesar", "para" -> "parir"):
    lang -> {lower-case word: lemma}. Built from the evaluation and demo vocabulary by
    ``nlp/data/build_lemma_exceptions.py`` and reviewed by hand."""
    from .codebook import load_yaml
    if not LEMMA_EXCEPTIONS_FILE.exists():
        return {}
    data = load_yaml(LEMMA_EXCEPTIONS_FILE.read_text(encoding="utf-8")) or {}
    return {lang: {str(k).lower(): str(v).lower() for k, v in (data.get(lang) or {}).items()} for lang in LANGS}


@lru_cache(maxsize=None)
def lemma_table(lang: str) -> Dict[str, object]:
    """The lookup lemmatiser's whole table from the installed spacy-lookups-data package, read directly (spaCy's
    own lemmatizer component would also load rule and probability tables we never use), with the exceptions
    applied. Building the dict takes about 1 s for Spanish or French: the pipelines look words up in
    :func:`lemma_lookup` instead, which reads only the words a text has."""
    import srsly
    path = _lookups_file(lang)
    table = dict(srsly.read_gzip_json(path)) if path.exists() else {}
    table.update(lemma_exceptions().get(lang, {}))
    return table


def _lookups_file(lang: str) -> Path:
    import spacy_lookups_data
    return Path(spacy_lookups_data.__file__).parent / "data" / f"{lang}_lemma_lookup.json.gz"


def cache_dir() -> Path:
    """Where derived lookup files are kept: ``NLP_CACHE_DIR``, else ``$XDG_CACHE_HOME/safer-cities-nlp``
    (``~/.cache/safer-cities-nlp``). Everything in it is rebuilt from installed packages and this package's data."""
    import os
    if os.environ.get("NLP_CACHE_DIR"):
        return Path(os.environ["NLP_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "safer-cities-nlp"


class LemmaLookup:
    """word -> lemma for one language, from a SQLite copy of :func:`lemma_table` in :func:`cache_dir`.

    The copy is built once per version of the lookup tables and of the exceptions file (its name carries a hash
    of both), written to a temporary file and moved into place, so concurrent processes never read half a file.
    Each process and thread opens its own read-only connection (a connection never crosses a fork). When the
    cache cannot be written the whole table is read into memory instead, as before."""

    FORMAT = 1

    def __init__(self, lang: str):
        self.lang = lang
        self._local = threading.local()
        self._table = None
        self.path = self._ensure()

    def _key(self) -> str:
        import hashlib
        src = _lookups_file(self.lang)
        st = src.stat() if src.exists() else None
        stamp = f"{self.FORMAT}|{src}|{st.st_size if st else 0}|{st.st_mtime_ns if st else 0}|"
        exc = LEMMA_EXCEPTIONS_FILE.read_bytes() if LEMMA_EXCEPTIONS_FILE.exists() else b""
        return hashlib.sha256(stamp.encode() + exc).hexdigest()[:16]

    def _ensure(self):
        import os
        import sqlite3
        try:
            path = cache_dir() / f"lemmas-{self.lang}-{self._key()}.sqlite"
            if path.exists():
                return path
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            conn = sqlite3.connect(tmp)
            try:
                conn.execute("CREATE TABLE lemma (word TEXT PRIMARY KEY, lemma TEXT NOT NULL) WITHOUT ROWID")
                conn.executemany("INSERT OR REPLACE INTO lemma VALUES (?, ?)",
                                 ((str(k), _first(v, k)) for k, v in lemma_table(self.lang).items()))
                conn.commit()
            finally:
                conn.close()
            os.replace(tmp, path)
            lemma_table.cache_clear()  # the dict was only needed to build the file
            return path
        except (OSError, sqlite3.Error):
            self._table = lemma_table(self.lang)
            return None

    def _conn(self):
        import os
        import sqlite3
        local = self._local
        if getattr(local, "pid", None) != os.getpid():
            local.conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, check_same_thread=False)
            local.pid = os.getpid()
        return local.conn

    def lemmas(self, words: Iterable[str]) -> Dict[str, str]:
        """The table's lemma of each word that has one (a word missing from the table is missing here)."""
        words = list(dict.fromkeys(words))
        if self._table is not None:
            return {w: _first(self._table[w], w) for w in words if w in self._table}
        out: Dict[str, str] = {}
        conn = self._conn()
        for i in range(0, len(words), 500):
            part = words[i:i + 500]
            sql = f"SELECT word, lemma FROM lemma WHERE word IN ({','.join('?' * len(part))})"
            out.update(conn.execute(sql, part).fetchall())
        return out


def _first(lem, word) -> str:
    if isinstance(lem, (list, tuple)):
        lem = lem[0] if lem else word
    return str(lem)


_lookups: Dict[str, LemmaLookup] = {}


def lemma_lookup(lang: str) -> LemmaLookup:
    found = _lookups.get(lang)
    if found is None:
        with _lookup_lock:
            found = _lookups.get(lang)
            if found is None:
                found = _lookups[lang] = LemmaLookup(lang)
    return found


_lookup_lock = threading.Lock()


def build_caches() -> None:
    """Build every language's lookup file now (``make install`` does), so no run pays for it."""
    for lang in LANGS:
        lemma_lookup(lang)


def lemmas_of(words: Iterable[str], lang: str) -> Dict[str, str]:
    """word -> lower-case lemma (accents kept), looking up the lower-case word, then the word as written."""
    words = list(words)
    found = lemma_lookup(lang).lemmas([w.lower() for w in words] + [w for w in words if w != w.lower()])
    out = {}
    for w in words:
        low = w.lower()
        out[w] = (found.get(low) or found.get(w) or low).lower()
    return out


def raw_lemma(word: str, lang: str) -> str:
    """The table's lemma (with exceptions applied) of one word, lower-case, accents kept."""
    return lemmas_of([word], lang)[word]
