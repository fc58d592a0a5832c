"""Sources: .txt files, folders of them and JSONL tasks, read as a stream with bad records reported."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator import sources
from annotator.core.errors import AnnotatorError, BadRecord
from annotator.core.hashing import input_hash
from annotator.core.records import from_record
from annotator.sources import count_source, read_source
from tests.conftest import FIXTURES, SAMPLE


def jsonl(path: Path, *lines: object) -> Path:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else orjson.dumps(x)) + b"\n" for x in lines))
    return path


def test_txt_file_is_one_document() -> None:
    problems: list[BadRecord] = []
    items = list(read_source(SAMPLE, problems))
    assert problems == []
    assert len(items) == 1
    item = items[0]
    assert item.kind == "text"
    assert item.text == SAMPLE.read_text(encoding="utf-8")
    assert item.meta == {"source": SAMPLE.name}
    assert item.input_hash == input_hash(item.text, item.meta)
    assert count_source(SAMPLE) == 1


def test_folder_is_read_sorted_file_by_file_and_bad_files_reported(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("Second document.", encoding="utf-8")
    (tmp_path / "a.txt").write_text("First document.", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("Third, in a subfolder.", encoding="utf-8")
    (tmp_path / "notes.md").write_text("not a source", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("editor backup", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 in Montr\xe9al".encode("latin-1"))
    problems: list[BadRecord] = []
    items = list(read_source(tmp_path, problems))
    assert [i.meta["source"] for i in items] == ["a.txt", "b.txt", "sub/c.txt"]
    assert [i.text for i in items] == ["First document.", "Second document.", "Third, in a subfolder."]
    assert sorted((Path(p.source).name, p.line) for p in problems) == [
        ("empty.txt", None),
        ("latin1.txt", None),
    ]
    reasons = {Path(p.source).name: p.reason for p in problems}
    assert "empty" in reasons["empty.txt"]
    assert "not UTF-8" in reasons["latin1.txt"] and "0xe9" in reasons["latin1.txt"]
    assert count_source(tmp_path) == 5  # the .txt files, before any is read


def test_utf8_bom_is_not_part_of_the_text(tmp_path: Path) -> None:
    path = tmp_path / "bom.txt"
    path.write_bytes("\ufeffHello Seoul.".encode())
    assert [i.text for i in read_source(path, [])] == ["Hello Seoul."]


def test_jsonl_kinds(tmp_path: Path) -> None:
    tokens = [
        {"text": "Ahn", "start": 0, "end": 3, "id": 0, "ws": True},
        {"text": "met", "start": 4, "end": 7, "id": 1, "ws": True},
        {"text": "Nakatani", "start": 8, "end": 16, "id": 2, "ws": False},
    ]
    ready = {
        "text": "Ahn met Nakatani",
        "tokens": tokens,
        "spans": [
            {"start": 0, "end": 3, "label": "PERSON"},
            {"start": 8, "end": 16, "label": "PERSON"},
        ],
        "relations": [
            {
                "head": 0,
                "child": 2,
                "label": "MET",
                "head_span": {"start": 0, "end": 3, "label": "PERSON"},
                "child_span": {"start": 8, "end": 16, "label": "PERSON"},
            }
        ],
        "answer": "accept",
        "_view_id": "relations",
    }
    path = jsonl(
        tmp_path / "tasks.jsonl",
        ready,
        {"text": "Ahn met Nakatani", "tokens": tokens},
        {"text": "Lee went to Japan.", "spans": [{"start": 12, "end": 17, "label": "GPE"}]},
        {"text": "Plain text.", "meta": {"id": 7}, "_input_hash": 42},
    )
    problems: list[BadRecord] = []
    items = list(read_source(path, problems))
    assert problems == []
    assert [i.kind for i in items] == ["ready", "tokens", "spans", "text"]
    assert [i.line for i in items] == [1, 2, 3, 4]
    task, annotation = from_record(ready)
    assert items[0].task is not None and items[0].task.tokens == task.tokens
    assert items[0].annotation is not None and items[0].annotation.content() == annotation.content()
    assert items[0].task.extra == {"_view_id": "relations"}
    assert items[1].task is not None and [t.text for t in items[1].task.tokens] == ["Ahn", "met", "Nakatani"]
    assert items[3].input_hash == 42 and items[3].meta == {"id": 7}
    assert count_source(path) == 4


@pytest.mark.parametrize(
    ("data", "count"),
    [
        (b"", 0),
        (b"\n \n\t\r\n", 0),
        (b"{}", 1),
        (b'{}\n\n  \n{"a": 1}\r\n \t\n{}', 3),
        # Lines longer than the megabyte a read takes, blank or not, across the pieces.
        ((b"{" + b" " * 1_500_000 + b"}\n" + b" " * 1_200_000 + b"\n") * 3, 3),
        (b" " * 1_048_575 + b"{}\n" + b" " * 1_048_576 + b"\n{}", 2),
    ],
)
def test_a_jsonl_source_counts_its_lines_that_hold_more_than_whitespace(
    tmp_path: Path, data: bytes, count: int
) -> None:
    path = tmp_path / "tasks.jsonl"
    path.write_bytes(data)
    assert count_source(path) == count


def test_jsonl_bad_records_are_reported_with_line_and_reason(tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "mixed.jsonl",
        {"text": "Good one."},
        b"{not json",
        b"",
        {"meta": {"source": "x"}},
        [1, 2],
        {
            "text": "Bad span",
            "tokens": [{"text": "Bad", "start": 0, "end": 3}],
            "spans": [{"start": 0, "end": 2, "label": "X"}],
        },
        b'{"text": "caf\xe9"}',
        {"text": ""},
        {"text": "Good two."},
    )
    problems: list[BadRecord] = []
    items = list(read_source(path, problems))
    assert [i.text for i in items] == ["Good one.", "Good two."]
    assert [i.line for i in items] == [1, 9]
    by_line = {p.line or 0: p.reason for p in problems}
    assert sorted(by_line) == [2, 4, 5, 6, 7, 8]
    assert by_line[2].startswith("not valid JSON")
    assert "'text'" in by_line[4]
    assert "JSON object" in by_line[5]
    assert "token boundaries" in by_line[6]
    assert "not UTF-8" in by_line[7]
    assert "empty" in by_line[8]
    assert all(p.source == str(path) for p in problems)
    assert str(problems[0]) == f"{path}:2: {by_line[2]}"


def test_jsonl_is_read_line_by_line(tmp_path: Path) -> None:
    # The second line is broken: a reader that parsed the whole file before yielding would have
    # reported it before the first item came out.
    path = jsonl(tmp_path / "stream.jsonl", {"text": "First."}, b"{broken", {"text": "Third."})
    problems: list[BadRecord] = []
    stream = read_source(path, problems)
    first = next(iter(stream))
    assert first.text == "First." and problems == []
    rest = list(stream)
    assert [i.text for i in rest] == ["Third."] and [p.line for p in problems] == [2]


def test_folder_is_read_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("First.", encoding="utf-8")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe broken")
    problems: list[BadRecord] = []
    stream = read_source(tmp_path, problems)
    assert next(iter(stream)).text == "First." and problems == []
    assert list(stream) == [] and len(problems) == 1


@pytest.mark.parametrize("name", ["missing.txt", "missing_folder"])
def test_missing_path_is_an_error(tmp_path: Path, name: str) -> None:
    with pytest.raises(AnnotatorError, match="no such file or folder"):
        read_source(tmp_path / name, [])
    with pytest.raises(AnnotatorError, match="no such file or folder"):
        count_source(tmp_path / name)


def test_unsupported_extension_and_empty_folder_are_errors(tmp_path: Path) -> None:
    doc = tmp_path / "report.docx"
    doc.write_bytes(b"PK")
    with pytest.raises(AnnotatorError, match=r"report\.docx: cannot read \.docx"):
        read_source(doc, [])
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AnnotatorError, match=r"holds no \.txt files"):
        read_source(empty, [])


def test_count_is_unknown_above_the_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = jsonl(tmp_path / "big.jsonl", *({"text": f"Document {i}."} for i in range(50)), b"   ")
    assert count_source(path) == 50
    monkeypatch.setattr(sources, "COUNT_LIMIT_BYTES", path.stat().st_size - 1)
    assert count_source(path) is None


def test_prodigy_relations_fixture_reads_as_ready_tasks() -> None:
    path = FIXTURES / "prodigy" / "rel_component_annotations.jsonl"
    problems: list[BadRecord] = []
    warnings: list[str] = []
    items = list(read_source(path, problems, warnings))
    assert problems == []
    assert len(items) == 149 and count_source(path) == 149
    assert all(i.kind == "ready" for i in items)
    assert sum(len(i.annotation.spans) for i in items if i.annotation) == 466
    # Prodigy wrote four relations twice; each is kept once and said.
    assert sum(len(i.annotation.relations) for i in items if i.annotation) == 263
    assert len(warnings) == 4 and all("repeats an earlier relation" in w for w in warnings)


def test_jsonl_invalid_json_names_the_column_on_the_records_own_line(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_bytes(b'{"text": "a record cut short"\n{"text": "fine"}\n')
    problems: list[BadRecord] = []
    assert [i.text for i in read_source(path, problems)] == ["fine"]
    (problem,) = problems
    assert problem.line == 1
    # the end of the record's line, not column 1 of the line after it
    assert "(column 1)" not in problem.reason and "column" in problem.reason
