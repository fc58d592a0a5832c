"""Stable hashes: the same input gives the same number on every run and machine.

Values fit in 53 bits so that JavaScript tools (doccano, Label Studio) read them without loss, and
are wide enough that pairing tasks by ``_input_hash`` does not collide on corpora of millions.
"""

from __future__ import annotations

# What hashlib.blake2b is, without hashlib, whose import loads OpenSSL's (11M machine instructions
# of every command's start; blake2 is never OpenSSL's in hashlib).
from _blake2 import blake2b as _blake2b
from collections.abc import Mapping
from typing import Any

import orjson

from annotator.core.model import Annotation

_MASK = (1 << 53) - 1


def _digest(data: bytes) -> int:
    return int.from_bytes(_blake2b(data, digest_size=8).digest(), "big") & _MASK


def input_hash(text: str, meta: Mapping[str, Any] | None = None, keys: tuple[str, ...] = ()) -> int:
    """Hash of the text and of the ``meta`` keys that identify the input (none by default)."""
    if not keys:
        # The text alone (every import's, for each new text): the bytes of ``[text, {}]`` made
        # without the list and the dict (12.4k machine instructions -> about 10k).
        return _digest(b"[" + orjson.dumps(text) + b",{}]")
    ident = {k: meta[k] for k in keys if meta and k in meta}
    return _digest(orjson.dumps([text, ident], option=orjson.OPT_SORT_KEYS))


def task_hash(input_hash_: int, annotation: Annotation) -> int:
    """Hash of the input plus what the annotation says: its spans and its relations."""
    spans, relations = annotation.content()
    return _digest(orjson.dumps([input_hash_, spans, relations]))
