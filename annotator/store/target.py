"""Which database a command uses: ``--db``, else ``$ANNOTATOR_DB``, else ``./annotator.db``. A
``postgresql://`` (or ``postgres://``) URL is a PostgreSQL database; anything else is an SQLite
file."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from annotator.store.base import Store

URL_SCHEMES = ("postgresql://", "postgres://")
DEFAULT_DB = Path("annotator.db")


def is_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def resolve_db(db: str | Path | None) -> str | Path:
    """``--db``, else ``$ANNOTATOR_DB``, else ``./annotator.db``: a URL stays a string, a file
    becomes a Path."""
    chosen: str | Path = db if db is not None else os.environ.get("ANNOTATOR_DB") or DEFAULT_DB
    return chosen if is_url(chosen) else Path(chosen)


def mask_url(url: str) -> str:
    """The URL without its password (in the authority or as a query parameter), for messages."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if parts.password is not None:
            user_info, _, host = netloc.rpartition("@")
            netloc = f"{user_info.split(':', 1)[0]}:***@{host}"
        query = urlencode(
            [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return "the PostgreSQL URL given"


def backend_for(target: str | Path) -> type[Store]:
    if is_url(target):
        from annotator.store.postgres import PostgresStore

        return PostgresStore
    from annotator.store.sqlite import SQLiteStore

    return SQLiteStore
