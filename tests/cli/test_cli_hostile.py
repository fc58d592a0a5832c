"""Every CLI output over hostile data: no control character from the data reaches the terminal.

Texts, labels, annotator ids and file names carry terminal escapes, C0/C1 controls and markup
(``tests/hostile_corpus.py``). The CLI runs through Typer's runner with ``color=True``, which keeps
what the command writes byte for byte (without it, click strips some ANSI sequences when the output
is not a terminal, and the test could not fail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from annotator.cli import app
from annotator.core.display import has_unsafe, visible
from tests.hostile_corpus import CORPUS, ESCAPES

runner = CliRunner()


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args], color=True)


def assert_clean(result: Result) -> None:
    """Nothing but the output's own line breaks: no ESC, no C1, no BEL, BS, CR, NUL or DEL."""
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        found = sorted({f"U+{ord(c):04X}" for c in text if has_unsafe(c, keep="\n")})
        assert not found, f"{stream} holds control characters {found}:\n{text!r}"


def hostile_records(annotator: str) -> list[dict[str, object]]:
    """One accepted task per hostile string: the string in the text, as a label, and in the
    annotator id (a file holding several people's work stores each as ``<A>-<id>``)."""
    out: list[dict[str, object]] = []
    for n, (name, payload) in enumerate(CORPUS):
        text = f"Alice met {payload} in Paris, case {name}."
        start = text.index("Paris")
        out.append(
            {
                "text": text,
                "spans": [
                    {"start": 0, "end": 5, "label": f"P{payload}"},
                    {"start": start, "end": start + 5, "label": "GPE" if n % 2 else f"G{payload}"},
                ],
                "answer": "accept",
                "_annotator_id": f"{annotator}{payload}",
                "meta": {"case": name},
            }
        )
    return out


@pytest.fixture
def hostile_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    lines = [json.dumps(r).encode() for r in hostile_records("ann")]
    (tmp_path / "hostile.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    return tmp_path / "h.db"


def test_import_and_stats_draw_every_control_as_a_stand_in(hostile_db: Path) -> None:
    done = run("import", "hostile.jsonl", "--dataset", "d[bold]X", "-a", "x", "--db", hostile_db)
    assert_clean(done)
    # The names were printed, drawn: the import names every annotator it stored.
    assert "x-ann␛]0;PWNED␇" in done.stdout, done.stdout
    stats = run("stats", "--db", hostile_db)
    assert_clean(stats)
    assert stats.exit_code == 0, stats.output
    rows = stats.stdout.splitlines()
    # One line per annotator (+ header): a newline or CR in a name forges no row, and each
    # control is one cell, so the columns after the names start at the same place on every row.
    # The reader refuses the record holding a lone surrogate (not valid UTF-8), and says so.
    assert "no low surrogate" in done.stderr
    assert len(rows) == 1 + len(CORPUS) - 1, stats.stdout
    column = rows[0].index("tasks")
    assert all(row[column : column + 5] == "   23" for row in rows[1:]), stats.stdout
    assert visible("P\x9b2J") in stats.stdout  # a C1 CSI in a label, drawn


def test_agreement_table_details_and_json_over_hostile_labels(hostile_db: Path) -> None:
    """Names given on the command line may not hold control characters (refused, the name shown
    escaped); the labels and texts compared come from the data."""
    for who, name in (("a", "x"), ("b", "y")):
        records = [dict(r, _annotator_id="1") for r in hostile_records(who)]
        Path(f"{who}.jsonl").write_bytes(b"\n".join(json.dumps(r).encode() for r in records) + b"\n")
        assert run("import", f"{who}.jsonl", "-d", "d", "-a", name, "--db", hostile_db).exit_code == 1
    table = run("agreement", "-d", "d", "--annotators", "x,y", "--db", hostile_db, "--details")
    assert_clean(table)
    assert table.exit_code == 0, table.output
    assert "  PG␛]52;c;UFdORUQ=␇" in table.stdout or "  P␛]52;c;UFdORUQ=␇" in table.stdout
    as_json = run("agreement", "-d", "d", "--annotators", "x,y", "--db", hostile_db, "--json")
    assert_clean(as_json)
    # The JSON printed to the terminal escapes them instead: it reads back as the same labels.
    labels = set(json.loads(as_json.stdout)["spans"]["per_label"])
    assert "P\x9b2J" in labels and "P\x1b]0;PWNED\x07" in labels
    refused = run("agreement", "-d", "d", "--annotators", "x,y\x1b[2J", "--db", hostile_db)
    assert_clean(refused)
    assert refused.exit_code == 1 and "\\x1b[2J" in refused.stderr


def test_agreement_of_two_files_quotes_text_and_labels_drawn(tmp_path: Path) -> None:
    first = hostile_records("a")
    second = [dict(r, spans=[r["spans"][0]]) for r in hostile_records("a")]  # type: ignore[index]
    for path, records in (("a.jsonl", first), ("b.jsonl", second)):
        (tmp_path / path).write_bytes(b"\n".join(json.dumps(r).encode() for r in records) + b"\n")
    done = run("agreement", tmp_path / "a.jsonl", tmp_path / "b.jsonl", "--details")
    assert_clean(done)
    assert "␛]52;c;UFdORUQ=␇" in done.stdout  # the context of a disagreement, drawn


def test_bad_records_and_file_names_quoting_data_are_drawn(tmp_path: Path) -> None:
    folder = tmp_path / "brat"
    folder.mkdir()
    for name, payload in ESCAPES:
        if any(c in payload for c in "\x00/\ud800"):
            continue  # not a possible file name
        (folder / f"{name}{payload}.txt").write_text("Alice met Bob.", encoding="utf-8")
        (folder / f"{name}{payload}.ann").write_text(f"T1\tPER{payload} 0 5\tAlice\nT2\tPER 99 5\tx\n")
    done = run("import", folder, "-d", "b", "-a", "x", "--db", tmp_path / "b.db", "--format", "brat")
    assert_clean(done)
    assert done.exit_code == 1, done.output  # the bad T2 lines are reported
    assert "osc0-title␛]0;PWNED␇.ann" in done.stderr, done.stderr
    for line in done.stderr.splitlines():
        assert line.startswith("annotator: "), line  # a newline in a name forges no line


def test_export_and_missing_dataset_messages(hostile_db: Path) -> None:
    """Names in a database written elsewhere (another tool, an older version) are data too."""
    from annotator.store import Store
    from tests.tui_support import make_task

    assert run("import", "hostile.jsonl", "-d", "d", "-a", "x", "--db", hostile_db).exit_code == 1
    with Store(hostile_db) as store:
        store.add_tasks("old\x9b2J", [make_task("Alice met Bob.")])
    missing = run("stats", "-d", "nope", "--db", hostile_db)
    assert_clean(missing)
    assert "old␦2J" in missing.stderr
    done = run("export", "-d", "d", "--db", hostile_db, "-o", "out.jsonl")
    assert_clean(done)
    assert done.exit_code == 0, done.output
    wrong = run("export", "-d", "d", "-a", "nobody", "--db", hostile_db, "-o", "o.jsonl")
    assert_clean(wrong)
    assert wrong.exit_code == 1 and "x-ann␛[2J␛[H" in wrong.stderr, wrong.stderr
    unknown = run("export", "-d", "nope", "--db", hostile_db, "-o", "o.jsonl")
    assert_clean(unknown)
    assert unknown.exit_code == 1 and "old␦2J" in unknown.stderr, unknown.stderr
