"""The real app in a real terminal (tmux), over hostile texts, labels and names: the bytes the app
wrote to the terminal (``pipe-pane``) hold no escape sequence that came from the data.

The corpus (``tests/hostile_corpus.py``) is in the task texts and the span labels of the source;
the scheme's labels (a --config file: the legend, the picker, the palette), the relation label and
the dataset and annotator names hold markup (control characters there are refused when read). The keys visit every place the data is drawn: the document, tab's message about
each span, the label picker, the command palette, the help, relation mode; then the review screen
and the CLI's tables. The checks:

- no payload's bytes appear, and each payload's stand-in form does (so the text was drawn);
- every escape sequence written is one Textual writes itself (colours, cursor moves, its own modes
  and pointer shape), the alternate screen is left once, at the end, and no C1 control is written;
- markup-looking labels are on the screen as they are.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pytest

from annotator.core.display import visible
from annotator.core.records import to_record
from tests.hostile_corpus import CORPUS, ESCAPES
from tests.terminal_support import Terminal
from tests.tui_support import make_task

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

# Every escape sequence the terminal may receive, by form; Textual writes only these.
SEQUENCE = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|P[^\x1b]*\x1b\\|[ -/]*[0-~])"
)
TEXTUAL_WRITES = re.compile(
    rb"\x1b\[[0-9;:]*m"  # colours and styles
    rb"|\x1b\[[0-9;]*H"  # cursor moves
    rb"|\x1b\[\?[0-9;]+[hl]"  # its modes: alternate screen, mouse, cursor, paste, focus, wrap
    rb"|\x1b\[\?[0-9]+\$p"  # asks the terminal which modes it has
    rb"|\x1b\[[<>][0-9]*u"  # the keyboard protocol
    rb"|\x1b\]22;[a-z-]+\x07"  # the mouse pointer's shape
)
PAYLOADS = [p for _, p in ESCAPES if "\ud800" not in p]
# The scheme's labels (--config) may hold markup-like characters but no control character, space,
# ',', ';' or '=' (refused when the file is read); the spans of the source carry the rest.
SCHEME_LABELS = ["PERSON", "[bold]X[/]", "[/]", "[@click]CLICKME[/]", "X[red]Y"]
SPAN_LABELS = (
    SCHEME_LABELS
    + ["[link=https://evil.example]L[/link]", "[citation needed]"]
    + [f"L{p}" for p in PAYLOADS[:5]]
)
RELATION = "[b]REL[/b]"
# Names given on the command line may not hold control characters (refused), markup they may.
DATASET = "ds[bold]X[red]"
ANNOTATOR = "ann[@click=app.quit]A"


def hostile_records() -> list[dict[str, object]]:
    """Four payloads a task, each in the text and as a span's label; the first span of a task
    heads a relation with a hostile label."""
    out = []
    cases = [(n, p) for n, p in CORPUS if "\ud800" not in p]
    for k in range(0, len(cases), 4):
        group = cases[k : k + 4]
        text = " ".join(f"Ana{i} met {p} in Paris{i} ({n})." for i, (n, p) in enumerate(group))
        spans = tuple((f"Ana{i}", SPAN_LABELS[(k + i) % len(SPAN_LABELS)]) for i in range(len(group)))
        task, annotation = make_task(text, spans, ((1, 2, RELATION),) if len(group) > 1 else ())
        record = to_record(task, annotation)
        record["meta"] = {"case": "\x1b]0;META\x07"}
        out.append(record)
    return out


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    lines = [json.dumps(r) for r in hostile_records()]
    (folder / "hostile.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    labels = "\n".join(
        f'{json.dumps(label)} = "#{(37 * n) % 0xFFFFFF:06x}"' for n, label in enumerate(SCHEME_LABELS)
    )
    config = f"[labels]\n{labels}\n\n[relations.{json.dumps(RELATION)}]\nhead = []\nchild = []\n"
    (folder / "hostile.toml").write_text(config, encoding="utf-8")
    return folder


def assert_nothing_from_the_data(written: bytes, screen: str) -> None:
    for payload in PAYLOADS:
        raw = payload.encode("utf-8")
        if TEXTUAL_WRITES.fullmatch(raw):
            continue  # Textual writes these itself (leaving the alternate screen, the mouse): counted below
        assert raw not in written, f"{payload!r} reached the terminal"
    for sequence in SEQUENCE.findall(written):
        assert TEXTUAL_WRITES.fullmatch(sequence), f"the terminal received {sequence!r}"
    # The alternate screen is left once, at the end; the mouse is turned off only as often as on.
    assert written.count(b"\x1b[?1049l") == 1, "the alternate screen was left mid-run"
    assert written.rfind(b"\x1b[?1049l") > written.rfind(b"\x1b[?1049h")
    assert written.count(b"\x1b[?1000l") == written.count(b"\x1b[?1000h"), "the mouse was turned off"
    assert not re.search(rb"\xc2[\x80-\x9f]", written), "a C1 control reached the terminal"
    assert written.count(b"\x07") == len(re.findall(rb"\x1b\]22;[a-z-]+\x07", written)), "a BEL"
    assert b"\x08" not in written, "a backspace"
    assert_drawn(screen)


def assert_drawn(screen: str) -> None:
    assert "\x1b" not in screen


def annotator_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "annotator", *args]


def test_annotate_screen_in_a_terminal(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    argv = annotator_argv(
        "annotate", str(corpus / "hostile.jsonl"), "-d", DATASET, "-a", ANNOTATOR,
        "--config", str(corpus / "hostile.toml"), "--db", str(db),
    )  # fmt: skip
    seen = ""
    with Terminal(tmp_path, argv) as term:
        term.wait_for("Ana0")
        for _ in hostile_records():
            seen += term.screen()
            term.keys("Tab", "Tab", "Tab")
            seen += term.screen()
            term.keys("0")
            seen += term.screen()
            term.keys("Escape", "C-p")
            term.type_text("Label")
            seen += term.wait_for("Label [bold]X[/]", 10)  # the palette's hits, as they are
            term.keys("Escape", "?", "Escape", "Tab", "r", "Tab")
            seen += term.screen()
            term.keys("Escape", "Escape", "a")
        term.keys("q")
        assert term.exit_status() == 0, term.screen()
        seen += term.screen()
        written = term.written()
    assert_nothing_from_the_data(written, seen)
    # What was drawn: every payload's stand-in form, the labels as they are, the names.
    for payload in PAYLOADS:
        assert visible(payload) in seen, f"{visible(payload)} was never on the screen"
    for label in ("[bold]X[/]", "[link=https://evil.example]L[/link]", "[@click=app.quit]CLICKME[/]"):
        assert label in seen, f"{label} is not on the screen as it is"
    assert "Label [bold]X[/]" in seen  # the palette
    assert visible(DATASET) in seen and visible(ANNOTATOR) in seen  # the status line, the summary
    assert f"{len(hostile_records())} accepted" in seen


def test_review_and_the_cli_in_a_terminal(corpus: Path, tmp_path: Path) -> None:
    db = tmp_path / "r.db"
    records = hostile_records()
    other = [dict(r, spans=r["spans"][1:], relations=[]) for r in records]  # type: ignore[index]
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps(r) for r in other) + "\n", encoding="utf-8")
    a, b = "x[bold]", "y[@click=app.quit]"
    steps = [
        ("import", str(corpus / "hostile.jsonl"), "-d", DATASET, "-a", a, "--db", str(db)),
        ("import", str(tmp_path / "b.jsonl"), "-d", DATASET, "-a", b, "--db", str(db)),
        ("stats", "--db", str(db)),
        ("agreement", "-d", DATASET, "--annotators", f"{a},{b}", "--details", "--db", str(db)),
    ]
    for number, step in enumerate(steps):
        folder = tmp_path / f"step{number}"
        folder.mkdir()
        with Terminal(folder, annotator_argv(*step)) as term:
            assert term.exit_status() == 0, term.screen()
            screen = term.screen()
            assert_drawn(screen)
            written = term.written()
        for payload in PAYLOADS:
            assert payload.encode() not in written, (step[0], payload)
        assert not SEQUENCE.search(written), (step[0], SEQUENCE.findall(written)[:5])
        assert not re.search(rb"\xc2[\x80-\x9f]|\x07|\x08", written), step[0]
    folder = tmp_path / "review"
    folder.mkdir()
    argv = annotator_argv("review", "-d", DATASET, "--annotators", f"{a},{b}", "--db", str(db))
    seen = ""
    with Terminal(folder, argv) as term:
        term.wait_for("Ana0")
        for _ in records:
            seen += term.screen()
            term.keys("n", "1", "p", "2", "0", "b")
            seen += term.screen()
            term.keys("e", "Tab", "Tab")
            seen += term.screen()
            term.keys("a", "a")
        term.keys("q")
        assert term.exit_status() == 0, term.screen()
        seen += term.screen()
        written = term.written()
    assert_nothing_from_the_data(written, seen)
    assert visible(a) in seen and visible(b) in seen
