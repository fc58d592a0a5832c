"""The display mapping: no control character survives, one cell per character, the rest untouched."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len

from annotator.core.display import has_unsafe, json_for_terminal, stand_in, visible
from tests.hostile_corpus import CORPUS, ESCAPES


def _unsafe(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF


@given(st.text(alphabet=st.characters(codec=None)))
def test_visible_maps_every_control_one_to_one(text: str) -> None:
    shown = visible(text)
    assert len(shown) == len(text)
    for before, after in zip(text, shown, strict=True):
        if _unsafe(before):
            assert after != before and cell_len(after) == 1 and not _unsafe(after)
        else:
            assert after == before


def test_every_control_has_its_own_picture_or_the_c1_stand_in() -> None:
    assert visible("\x1b]0;PWNED\x07") == "␛]0;PWNED␇"
    assert visible("a\tb\nc") == "a␉b␊c"
    assert visible("a\tb\nc", keep="\n") == "a␉b\nc"
    assert visible("\x00\x7f") == "␀␡"
    assert visible("\x9b2J\x90") == "␦2J␦"
    assert visible("x\ud800y") == "x\ufffdy"
    assert stand_in("é") == "é"
    # East Asian, emoji and right-to-left text are not controls: unchanged, same object.
    plain = "東京 👍 שלום Zürich"
    assert visible(plain) is plain


def test_hostile_corpus_loses_every_control() -> None:
    for name, payload in CORPUS:
        shown = visible(payload)
        assert not any(_unsafe(ch) for ch in shown), name
        assert has_unsafe(payload) == any(_unsafe(ch) for ch in payload), name
    assert all(has_unsafe(p) for name, p in ESCAPES), "every escape case holds a control"


def test_json_for_terminal_keeps_the_data() -> None:
    record = {"label": "a\x9b2Jb\x7f", "text": "\x1b[2J"}
    dumped = json.dumps(record, ensure_ascii=False)
    safe = json_for_terminal(dumped)
    assert not has_unsafe(safe, keep="\n")
    assert json.loads(safe) == record
