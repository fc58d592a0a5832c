"""A source with nothing to annotate (an empty or binary .txt, a folder or JSONL of nothing but bad
records) is refused before the screen opens and before a database is made, as a folder without .txt
files already was; it used to open an empty screen ("0 of 0 tasks ready")."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotator.cli import app as cli_app
from annotator.core.errors import AnnotatorError, BadRecord
from annotator.sources import read_source
from annotator.tui.annotate_options import AnnotateOptions
from annotator.tui.launch import run_annotate

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.txt", b"", "empty.txt: the file is empty; nothing to annotate"),
        ("blank.txt", b" \n\t\n", "blank.txt: the file is empty (only blanks)"),
        ("image.txt", PNG, "image.txt: not UTF-8 text"),
        ("zeros.txt", b"\x00" * 64, "zeros.txt: a binary file, not text (a NUL byte at offset 0)"),
        ("tasks.jsonl", b"", "tasks.jsonl: nothing to annotate (no task in it)"),
        ("tasks.jsonl", b'{"text": ""}\n{"meta": 1}\n', "tasks.jsonl: nothing to annotate, every text"),
    ],
)
def test_a_source_with_nothing_to_annotate_is_refused_before_the_screen(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    db = tmp_path / "a.db"
    with pytest.raises(AnnotatorError) as info:
        run_annotate(AnnotateOptions(source, "d", labels="PERSON", db=db), "alice")
    assert message in str(info.value)
    result = CliRunner().invoke(cli_app, ["annotate", str(source), "--dataset", "d", "--db", str(db)])
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
    assert not db.exists()


def test_a_folder_of_bad_texts_is_refused_with_each_reason(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    (folder / "b.txt").write_bytes(b"\x00\x01\x02")
    with pytest.raises(AnnotatorError) as info:
        run_annotate(AnnotateOptions(folder, "d", labels="PERSON", db=tmp_path / "a.db"), "alice")
    said = str(info.value)
    assert (
        "every text in it is bad" in said
        and "a.txt: the file is empty" in said
        and "b.txt: a binary file" in said
    )


def test_a_folder_with_one_good_text_opens_and_reports_the_bad_ones(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"")
    (folder / "b.txt").write_text("Ana met Li in Lisbon.", encoding="utf-8")
    app, _ = run_annotate(AnnotateOptions(folder, "d", labels="PERSON", db=tmp_path / "a.db"), "alice")
    app.session.store.close()
    problems: list[BadRecord] = []
    assert [i.text for i in read_source(folder, problems)] == ["Ana met Li in Lisbon."]
    assert [p.reason for p in problems] == ["the file is empty"]
