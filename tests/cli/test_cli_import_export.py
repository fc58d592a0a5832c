"""`annotator import` and `annotator export` through the real Typer app and a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from annotator.cli import app
from annotator.store import Store
from tests.formats_support import BRAT_NEWS, DOCCANO, LABEL_STUDIO, NOVELS, REL_FILE

runner = CliRunner()


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def records(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def rel_key(rel: dict[str, Any]) -> tuple[object, ...]:
    h, c = rel["head_span"], rel["child_span"]
    return (h["start"], h["end"], h["label"], rel["label"], c["start"], c["end"], c["label"])


def test_rel_component_round_trip_through_the_store_keeps_every_span_and_relation(workdir: Path) -> None:
    done = run("import", REL_FILE, "--dataset", "rel", "--annotator", "alice", "--db", "gold.db")
    assert done.exit_code == 0, done.output
    assert "imported 149 annotations of 149 tasks" in done.stdout
    assert "466 spans, 263 relations" in done.stdout
    assert done.stderr.count("repeats an earlier relation; kept once") == 4
    assert "format: jsonl (guessed" in done.stderr

    done = run("export", "--dataset", "rel", "--db", "gold.db")
    assert done.exit_code == 0, done.output
    out = workdir / "exports" / "rel.jsonl"
    assert (
        done.stdout.strip()
        == f"wrote 149 tasks, 466 spans, 263 relations to {Path('exports/rel.jsonl')} (jsonl)"
    )
    before, after = records(REL_FILE), records(out)
    assert len(after) == len(before)
    by_hash = {r["_input_hash"]: r for r in after}
    for rec in before:
        got = by_hash[rec["_input_hash"]]
        assert got["text"] == rec["text"] and got["answer"] == "accept" and got["_annotator_id"] == "alice"
        assert sorted((s["start"], s["end"], s["label"]) for s in got["spans"]) == sorted(
            (s["start"], s["end"], s["label"]) for s in rec["spans"]
        )
        assert sorted(map(rel_key, got["relations"])) == sorted(set(map(rel_key, rec["relations"])))
    assert sum(len(r["relations"]) for r in after) + 4 == sum(len(r["relations"]) for r in before) == 267

    # Imported again into another dataset, the export is the same file but for the annotator name.
    assert run("import", out, "-d", "again", "-a", "bob", "--db", "gold.db").exit_code == 0
    assert run("export", "-d", "again", "-o", "again.jsonl", "--db", "gold.db").exit_code == 0
    again = records(workdir / "again.jsonl")
    for a, b in zip(after, again, strict=True):
        assert b.pop("_annotator_id") == "bob" and a.pop("_annotator_id") == "alice"
        a.pop("_timestamp"), b.pop("_timestamp")
        assert a == b


def test_bad_records_exit_1_and_the_good_ones_are_stored(workdir: Path) -> None:
    path = workdir / "mixed.jsonl"
    path.write_bytes(
        b'{"text": "Ann met Bob", "spans": [{"start": 0, "end": 3, "label": "PER"}], "answer": "reject"}\n'
        b"{broken\n"
        b'{"text": "Zoe sings", "spans": [{"start": 0, "end": 99, "label": "PER"}]}\n'
        b'{"text": "Bob sings"}\n'
    )
    done = run("import", path, "-d", "m", "-a", "alice", "--db", "m.db")
    assert done.exit_code == 1
    assert f"{path}:2: not valid JSON" in done.stderr and f"{path}:3:" in done.stderr
    assert "2 bad record(s), or parts of records, not imported" in done.stderr
    assert "1 records had no answer and were stored as accepted" in done.stdout
    with Store(workdir / "m.db") as store:
        got = {t.text: a.answer for _, t, a in store.annotations("m", "alice", answers=None)}
    assert got == {"Ann met Bob": "reject", "Bob sings": "accept"}
    # --answer: accept by default, all includes the rejected one
    run("export", "-d", "m", "-o", "acc.jsonl", "--db", "m.db")
    run("export", "-d", "m", "-o", "all.jsonl", "--answer", "all", "--db", "m.db")
    assert [r["text"] for r in records(workdir / "acc.jsonl")] == ["Bob sings"]
    assert sorted(r["answer"] for r in records(workdir / "all.jsonl")) == ["accept", "reject"]


def test_export_errors_name_what_is_known(workdir: Path) -> None:
    done = run("export", "-d", "x", "--db", "none.db")
    assert done.exit_code == 1 and "no database at none.db" in done.stderr
    assert not (workdir / "none.db").exists()
    run(
        "import",
        DOCCANO / "data_export-pipeline-examples-sequence_labeling-example.jsonl",
        "-d",
        "seq",
        "-a",
        "ann",
        "--db",
        "e.db",
    )
    done = run("export", "-d", "nope", "--db", "e.db")
    assert done.exit_code == 1 and "unknown dataset 'nope'; the database holds: seq" in done.stderr
    done = run("export", "-d", "seq", "-a", "zed", "--db", "e.db")
    assert (
        done.exit_code == 1 and "no annotator 'zed'" in done.stderr and "its annotators: ann" in done.stderr
    )
    done = run("export", "-d", "seq", "--gold", "--db", "e.db")
    assert done.exit_code == 1 and "dataset 'seq' has no gold set yet" in done.stderr
    done = run("export", "-d", "seq", "--format", "label-studio", "--db", "e.db")
    assert done.exit_code == 1 and "choose one of: jsonl, doccano, brat, conll, spacy" in done.stderr
    done = run("export", "-d", "seq", "--split", "1.5", "--db", "e.db")
    assert done.exit_code == 1 and "between 0 and 1" in done.stderr
    assert not (workdir / "exports").exists()


def test_several_annotators_gold_and_one_annotator(workdir: Path) -> None:
    done = run("import", NOVELS / "Emma.jsonl", "-d", "emma", "-a", "dc", "--db", "n.db")
    assert done.exit_code == 0, done.output
    raw = [orjson.loads(line) for line in (NOVELS / "Emma.jsonl").read_bytes().splitlines()]
    users = sorted({str(a["user"]) for r in raw for a in r["annotations"]})
    assert f"annotators: {', '.join(f'dc-{u} ({len(raw)})' for u in users)}" in done.stdout
    assert run("export", "-d", "emma", "--db", "n.db").exit_code == 0
    out = records(workdir / "exports" / "emma.jsonl")
    assert sorted({r["_annotator_id"] for r in out}) == [f"dc-{u}" for u in users]
    assert len(out) == len(raw) * len(users)
    # the adjudicated set is the reviewer's annotations
    with Store(workdir / "n.db") as store:
        store.record_review("emma", "gold", ["dc-1", "dc-2"])
        for task_id, _, ann in list(store.annotations("emma", "dc-1")):
            store.save_annotation(task_id, "gold", ann, session="review")
    done = run("export", "-d", "emma", "--gold", "-o", "gold.jsonl", "--db", "n.db")
    assert done.exit_code == 0, done.output
    assert {r["_annotator_id"] for r in records(workdir / "gold.jsonl")} == {"gold"}
    done = run("export", "-d", "emma", "-a", "dc-2", "-f", "conll", "--db", "n.db")
    assert done.exit_code == 0 and (workdir / "exports" / "emma.conll").exists()


@pytest.mark.parametrize(
    ("source", "fmt", "spans", "relations"),
    [
        (BRAT_NEWS, "brat", 40, 8),
        (DOCCANO / "data_export-pipeline-examples-relation_extraction-example.jsonl", "doccano", 4, 3),
        (LABEL_STUDIO, "label-studio", 13, 7),
    ],
    ids=["brat", "doccano", "label-studio"],
)
def test_each_tool_imports_with_its_counts_and_exports_to_every_format(
    workdir: Path, source: Path, fmt: str, spans: int, relations: int
) -> None:
    done = run("import", source, "-d", "d", "-a", "a", "--db", "f.db")
    assert done.exit_code == 0, done.output
    assert f"format: {fmt} (guessed" in done.stderr
    assert f"{spans} spans, {relations} relations" in done.stdout
    for out_fmt, target in [
        ("jsonl", "o.jsonl"),
        ("doccano", "o.doccano.jsonl"),
        ("brat", "o-brat"),
        ("conll", "o.conll"),
        ("spacy", "o.spacy"),
    ]:
        done = run("export", "-d", "d", "-f", out_fmt, "-o", target, "--db", "f.db")
        assert done.exit_code == 0, done.output
        kept = relations if out_fmt != "conll" else 0
        if out_fmt == "conll":  # CoNLL holds no relations: said as left out, not counted as written
            assert f"{spans} spans to" in done.stdout
            assert f"left out: {relations} relations (conll holds none)" in done.stdout
        else:
            assert f"{spans} spans, {relations} relations" in done.stdout
        back = run("import", target, "-d", f"back-{out_fmt}", "-a", "a", "--db", "f.db")
        assert back.exit_code == 0, back.output
        assert f"{spans} spans, {kept} relations" in back.stdout


def test_brat_unsupported_annotations_are_counted_on_import(workdir: Path) -> None:
    done = run("import", BRAT_NEWS, "-d", "n", "-a", "a", "--db", "b.db")
    assert done.exit_code == 0
    assert "not supported, not imported: 3 x E (event)" in done.stderr
    assert "15 annotations of kinds not supported" in done.stdout


def test_split_writes_train_and_dev_into_the_folder(workdir: Path) -> None:
    run("import", REL_FILE, "-d", "rel", "-a", "a", "--db", "s.db")
    done = run(
        "export", "-d", "rel", "-f", "jsonl", "--split", "0.8", "--seed", "7", "-o", "corpus", "--db", "s.db"
    )
    assert done.exit_code == 0, done.output
    train, dev = records(workdir / "corpus" / "train.jsonl"), records(workdir / "corpus" / "dev.jsonl")
    assert (len(train), len(dev)) == (119, 30)
    assert not {r["_input_hash"] for r in train} & {r["_input_hash"] for r in dev}


def test_unknown_format_and_missing_file_on_import(workdir: Path) -> None:
    done = run("import", "nothing.jsonl", "-d", "x", "-a", "a", "--db", "u.db")
    assert done.exit_code == 1 and "nothing.jsonl: no such file or folder" in done.stderr
    (workdir / "t.jsonl").write_text(json.dumps({"text": "hi"}))
    done = run("import", "t.jsonl", "-d", "x", "-a", "a", "-f", "xml", "--db", "u.db")
    assert done.exit_code == 1 and "cannot read format 'xml'" in done.stderr


def test_exporting_rejected_tasks_to_a_format_without_answers_says_so(workdir: Path) -> None:
    path = workdir / "r.jsonl"
    path.write_bytes(b'{"text": "Ann sings", "answer": "reject"}\n{"text": "Bob sings"}\n')
    run("import", path, "-d", "r", "-a", "a", "--db", "r.db")
    done = run("export", "-d", "r", "-f", "conll", "--answer", "all", "-o", "r.conll", "--db", "r.db")
    assert done.exit_code == 0 and "conll keeps no answers" in done.stderr
    assert "wrote 2 tasks" in done.stdout
    done = run("export", "-d", "r", "-f", "conll", "-o", "r.conll", "--db", "r.db")
    assert "keeps no answers" not in done.stderr and "wrote 1 task," in done.stdout
    done = run("export", "-d", "r", "--answer", "maybe", "--db", "r.db")
    assert done.exit_code == 1 and "choose accept, reject, ignore, draft" in done.stderr


def test_a_jsonl_export_of_several_annotators_is_imported_per_annotator(workdir: Path) -> None:
    run("import", NOVELS / "Emma.jsonl", "-d", "emma", "-a", "dc", "--db", "p.db")
    run("export", "-d", "emma", "-o", "all.jsonl", "--db", "p.db")
    done = run("import", "all.jsonl", "-d", "emma2", "-a", "x", "--db", "p.db")
    assert done.exit_code == 0, done.output
    assert "annotators: x-dc-1 (15), x-dc-2 (15), x-dc-3 (15)" in done.stdout
    assert "appears again" not in done.stderr


def test_a_later_import_splits_stored_tokens_and_moves_earlier_annotations_along(workdir: Path) -> None:
    first, second, third = (workdir / f"{n}.jsonl" for n in ("a", "b", "c"))
    first.write_text(json.dumps({"text": "Obamas visit Paris", "label": [[0, 5, "PER"]]}))
    second.write_text(json.dumps({"text": "Obamas visit Paris", "label": [[0, 4, "PER"], [13, 18, "GPE"]]}))
    third.write_text(json.dumps({"text": "Obamas visit Paris", "label": [[0, 3, "PER"]]}))
    assert run("import", first, "-d", "t", "-a", "ann", "-f", "doccano", "--db", "t.db").exit_code == 0
    done = run("import", second, "-d", "t", "-a", "bob", "-f", "doccano", "--db", "t.db")
    assert done.exit_code == 0, done.output
    assert "tokens were split to fit this file's spans" in done.stderr
    with Store(workdir / "t.db") as store:
        [task_id] = store.task_ids("t")
        task = store.task(task_id)
        assert [t.text for t in task.tokens] == ["Obam", "a", "s", "visit", "Paris"]
        for who, want in (("ann", [("Obama", 0, 1)]), ("bob", [("Obam", 0, 0), ("Paris", 4, 4)])):
            ann = store.annotation(task_id, who)
            assert ann is not None and ann.answer == "accept"
            assert [(task.text[s.start : s.end], s.token_start, s.token_end) for s in ann.spans] == want
        # an unfinished draft holds an edit history on the tokens: they are then left alone
        store.record_edit(task_id, "carol", "s", "undo", None, store.suggestion(task_id))
    done = run("import", third, "-d", "t", "-a", "dan", "-f", "doccano", "--db", "t.db")
    assert done.exit_code == 1 and "unfinished drafts by carol" in done.stderr


def test_formats_that_need_no_tokens_export_without_reading_them(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """brat and doccano write texts and character offsets: their export leaves the stored tokens
    unread (making them was a tenth of a brat export's own time); the others read them."""
    from annotator.store.serialize import tokens_from_blob as read

    assert run("import", BRAT_NEWS, "-d", "d", "-a", "a", "--db", "f.db").exit_code == 0
    calls = {"n": 0}

    def counted(blob: bytes) -> object:
        calls["n"] += 1
        return read(blob)

    monkeypatch.setattr("annotator.store.sql.tokens_from_blob", counted)
    for fmt, target, reads in [
        ("brat", "o-brat", False),
        ("doccano", "o.doccano.jsonl", False),
        ("jsonl", "o.jsonl", True),
        ("conll", "o.conll", True),
    ]:
        calls["n"] = 0
        done = run("export", "-d", "d", "-f", fmt, "-o", target, "--db", "f.db")
        assert done.exit_code == 0, done.output
        assert (calls["n"] > 0) is reads, fmt
