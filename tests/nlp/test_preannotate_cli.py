"""`annotator preannotate`: a corpus to gold-schema JSONL through nlp.pipe, bad input included."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from spacy.language import Language
from typer.testing import CliRunner

from annotator.cli import app
from annotator.config import resolve_scheme
from annotator.core.errors import AnnotatorError
from annotator.core.records import from_record
from annotator.core.validate import validate_annotation
from annotator.nlp import batch
from annotator.nlp import model as model_mod
from annotator.nlp.batch import preannotate_file
from annotator.nlp.model import entity_labels, load_model
from annotator.nlp.preannotate import preannotate_stream
from tests.conftest import SAMPLE

runner = CliRunner()


@pytest.fixture
def same_model(nlp: Language, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command loads the real default pipeline; reuse the one this module loaded."""

    def load(name: str | None, notes: list[str] | None = None) -> Language:
        if name is not None:
            return load_model(name, notes)
        if notes is not None:
            notes.append("loaded the test session's model")
        return nlp

    monkeypatch.setattr(model_mod, "load_model", load)


def read_tasks(path: Path) -> list[dict[str, object]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def test_sample_to_jsonl_with_the_real_model(tmp_path: Path) -> None:
    out = tmp_path / "out" / "sample.jsonl"
    result = runner.invoke(app, ["preannotate", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "loaded en_core_web_sm" in result.stderr
    records = read_tasks(out)
    assert len(records) == 1
    task, suggestion = from_record(records[0])
    validate_annotation(task, suggestion)
    assert task.meta == {"source": SAMPLE.name}
    assert len(suggestion.spans) > 50 and suggestion.relations
    assert result.stdout.strip() == (
        f"wrote 1 task ({len(suggestion.spans)} spans, {len(suggestion.relations)} relations) to {out}"
    )
    assert [p.name for p in out.parent.iterdir()] == ["sample.jsonl"]  # no temporary file left


def test_folder_with_labels_and_relations(tmp_path: Path, same_model: None) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(
        "Japanese Prime Minister Shigeru Ishiba visited Seoul on Monday.", encoding="utf-8"
    )
    (corpus / "b.txt").write_text(
        "South Korean President Lee Jae Myung traveled to Japan in June.", encoding="utf-8"
    )
    out = tmp_path / "tasks.jsonl"
    args = [
        "preannotate",
        str(corpus),
        "-o",
        str(out),
        "--labels",
        "PERSON,GPE,NORP",
        "--relations",
        "VISITED",
    ]
    result = runner.invoke(app, [*args, "--batch-size", "1"])
    assert result.exit_code == 0, result.output
    records = read_tasks(out)
    assert [r["meta"] for r in records] == [{"source": "a.txt"}, {"source": "b.txt"}]
    for record in records:
        _, suggestion = from_record(record)
        assert {s.label for s in suggestion.spans} <= {"PERSON", "GPE", "NORP"}
        assert {r.label for r in suggestion.relations} <= {"VISITED"}
    _, second = from_record(records[1])
    assert [r.source for r in second.relations] == ["rule:travel-to"]


def test_bad_records_are_reported_and_the_good_ones_written(tmp_path: Path, same_model: None) -> None:
    source = tmp_path / "in.jsonl"
    source.write_bytes(
        b'{"text": "Ahn Gyu Back met Gen Nakatani in Seoul."}\n'
        b"{broken\n"
        b'{"meta": {}}\n'
        b'{"text": "Lee went to Japan.", "spans": [{"start": 12, "end": 16, "label": "GPE"}]}\n'
        b'{"text": "Lee went to Japan.", "spans": [{"start": 12, "end": 17, "label": "GPE"}]}\n'
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["preannotate", str(source), "-o", str(out)])
    assert result.exit_code == 1
    assert f"{source}:2: not valid JSON" in result.stderr
    assert f"{source}:3: the task has no 'text' string" in result.stderr
    assert f"{source}:4: span 0 [12:16] GPE 'Japa' does not fall on token boundaries" in result.stderr
    assert "3 bad record(s) skipped" in result.stderr
    assert "Traceback" not in result.output
    records = read_tasks(out)
    assert [r["text"] for r in records] == ["Ahn Gyu Back met Gen Nakatani in Seoul.", "Lee went to Japan."]
    _, given = from_record(records[1])
    assert [(s.start, s.end, s.label) for s in given.spans] == [(12, 17, "GPE")]  # kept, not the model's


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.txt", "no such file or folder"),
        (lambda d: (d / "x.csv", (d / "x.csv").write_text("a,b"))[0], "cannot read .csv"),
    ],
)
def test_bad_source_is_a_clear_error(tmp_path: Path, same_model: None, make: object, message: str) -> None:
    assert callable(make)
    source = make(tmp_path)
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["preannotate", str(source), "-o", str(out)])
    assert result.exit_code == 1
    assert message in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_bad_rules_file_and_unknown_model(tmp_path: Path, same_model: None) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rule]]\nname = "oops"\nlabel = "MET"\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["preannotate", str(SAMPLE), "-o", str(out), "--relation-rules", str(rules)])
    assert result.exit_code == 1
    assert f"{rules}: rule 'oops' needs a 'head' string" in result.stderr
    result = runner.invoke(app, ["preannotate", str(SAMPLE), "-o", str(out), "--model", "no_such_model_zz"])
    assert result.exit_code == 1
    assert "no_such_model_zz" in result.stderr and "installed spaCy pipelines" in result.stderr
    assert not out.exists()


def test_output_is_replaced_only_when_complete(
    tmp_path: Path, nlp: Language, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "tasks.jsonl"
    out.write_bytes(b"previous run\n")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"{i}.txt").write_text(f"Document {i} about Seoul.", encoding="utf-8")
    real_stream = preannotate_stream

    def failing(*args: object, **kwargs: object) -> object:
        for n, pair in enumerate(real_stream(*args, **kwargs)):  # type: ignore[arg-type]
            if n == 2:
                raise RuntimeError("disk on fire")
            yield pair

    monkeypatch.setattr(batch, "preannotate_stream", failing)
    scheme = resolve_scheme(None, None, None, entity_labels(nlp))
    with pytest.raises(RuntimeError):
        preannotate_file(corpus, out, nlp, scheme, model_name="m")
    assert out.read_bytes() == b"previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus", "tasks.jsonl"]


def test_output_may_not_overwrite_the_source(tmp_path: Path, nlp: Language) -> None:
    source = tmp_path / "tasks.jsonl"
    source.write_bytes(b'{"text": "Seoul."}\n')
    scheme = resolve_scheme(None, None, None, entity_labels(nlp))
    with pytest.raises(AnnotatorError, match="overwrite the source"):
        preannotate_file(source, source, nlp, scheme, model_name="m")
    assert source.read_bytes() == b'{"text": "Seoul."}\n'


def test_span_groups_and_patterns_suggest_group_spans_in_the_output(tmp_path: Path) -> None:
    """Issue 14: preannotate --span-groups --patterns writes the patterns' matches in their group,
    overlapping the model's entities, as spans_manual records; a bad pattern line is refused
    naming the file and the line."""
    text = tmp_path / "in.txt"
    text.write_text("Barack Obama worked at Google and knows machine learning and Python.", encoding="utf-8")
    patterns = tmp_path / "p.jsonl"
    patterns.write_text(
        '{"label": "SKILL", "pattern": "machine learning"}\n{"label": "TOOL", "pattern": "Python"}\n'
        '{"label": "EMPLOYER", "pattern": "Google"}\n',
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    done = runner.invoke(
        app,
        ["preannotate", str(text), "-o", str(out), "--labels", "PERSON,ORG",
         "--span-groups", "sc:SKILL,TOOL,EMPLOYER", "--patterns", str(patterns)],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    record = orjson.loads(out.read_bytes().splitlines()[0])
    assert record["_view_id"] == "spans_manual"
    source = record["text"]
    got = {
        (source[s["start"] : s["end"]], s["label"], s.get("key"), s.get("source")) for s in record["spans"]
    }
    assert {("machine learning", "SKILL", "sc", "patterns"), ("Python", "TOOL", "sc", "patterns")} <= got
    assert ("Google", "EMPLOYER", "sc", "patterns") in got  # beside the model's ORG, overlapping it
    assert any(text == "Google" and label == "ORG" and key is None for text, label, key, _ in got)
    patterns.write_text('{"label": "SKILL", "pattern": "x"}\n{"label": "SKILL"}\n', encoding="utf-8")
    bad = runner.invoke(app, ["preannotate", str(text), "-o", str(out), "--patterns", str(patterns)])
    assert bad.exit_code != 0 and "p.jsonl:2: 'pattern' must be a phrase" in bad.output
