"""Issue 9 items 14, 16 and 17 through the real commands and a real SQLite file: the import headline
counts what was stored and names repeats as repeats; a DocBin of several annotators re-imports as
each of them; Label Studio users are named by their id, and predictions become the tasks'
suggestions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson

from annotator.store import Store
from tests import cli_support
from tests.cli_support import run

workdir = cli_support.workdir  # the fixture


def test_the_headline_counts_what_is_stored_and_a_repeat_is_named_as_one(workdir: Path) -> None:
    spans = [{"start": 0, "end": 3, "label": "PERSON"}]
    lines = [
        {"text": "Ahn met Bo.", "spans": spans, "answer": "accept"},
        {"text": "Other text.", "answer": "accept"},
        {
            "text": "Ahn met Bo.",
            "spans": [*spans, {"start": 8, "end": 10, "label": "PERSON"}],
            "answer": "accept",
        },
    ]
    (workdir / "r.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in lines))
    done = run("import", "r.jsonl", "-d", "r", "-a", "a", "--db", "r.db")
    assert done.exit_code == 0, done.output
    # stored: 2 annotations, the later version of the repeated text (2 spans)
    assert "imported 2 annotations of 2 tasks" in done.stdout and ": 2 spans, 0 relations" in done.stdout
    assert "1 record repeated a task and annotator earlier in the file" in done.stdout
    assert "appears again in this file for a; the later one is kept" in done.stderr
    assert "already stored for this annotator replaced" not in done.stderr  # a fresh database
    again = run("import", "r.jsonl", "-d", "r", "-a", "a", "--db", "r.db")
    assert "already stored for this annotator replaced" in again.stderr  # now the first one replaces


def test_a_docbin_of_two_annotators_imports_as_each_of_them(workdir: Path) -> None:
    rec = {"text": "Ahn met Bo.", "spans": [{"start": 0, "end": 3, "label": "PERSON"}], "answer": "accept"}
    (workdir / "a.jsonl").write_bytes(orjson.dumps(rec) + b"\n")
    (workdir / "b.jsonl").write_bytes(orjson.dumps({**rec, "spans": []}) + b"\n")
    assert run("import", "a.jsonl", "-d", "s", "-a", "alice", "--db", "s.db").exit_code == 0
    assert run("import", "b.jsonl", "-d", "s", "-a", "bob", "--db", "s.db").exit_code == 0
    assert run("export", "-d", "s", "-f", "spacy", "-o", "both.spacy", "--db", "s.db").exit_code == 0
    done = run("import", "both.spacy", "-d", "t", "-a", "team", "--db", "s.db")
    assert done.exit_code == 0, done.output
    assert "annotators: team-alice (1), team-bob (1)" in done.stdout
    assert "appears again" not in done.stderr
    with Store(workdir / "s.db") as store:
        spans = {a.annotator: len(a.spans) for _, _, a in store.annotations("t", None, ("accept",))}
    assert spans == {"team-alice": 1, "team-bob": 0}


def ls_region(rid: str, start: int, end: int, text: str, label: str) -> dict[str, Any]:
    value = {"start": start, "end": end, "text": text, "labels": [label]}
    return {"id": rid, "from_name": "label", "to_name": "text", "type": "labels", "value": value}


def test_label_studio_users_by_id_and_predictions_as_suggestions(workdir: Path) -> None:
    text = "Ahn met Bo in Seoul."
    user = {"id": 7, "email": "ann@example.org", "first_name": "Ann"}
    task = {
        "id": 1,
        "data": {"text": text},
        "annotations": [{"id": 11, "completed_by": user, "result": [ls_region("a", 0, 3, "Ahn", "PER")]}],
        "predictions": [
            {
                "id": 3,
                "model_version": "ner-v2",
                "score": 0.8,
                "result": [ls_region("p", 0, 3, "Ahn", "PER"), ls_region("q", 14, 19, "Seoul", "GPE")],
            },
            {"id": 4, "model_version": "ner-v1", "result": []},
        ],
    }
    other = {
        "id": 2,
        "data": {"text": "Bo."},
        "annotations": [{"id": 12, "completed_by": {"id": 8, "email": "bo@example.org"}, "result": []}],
    }
    (workdir / "ls.json").write_text(json.dumps([task, other]), encoding="utf-8")
    done = run("import", "ls.json", "-d", "l", "-a", "ls", "--db", "l.db")
    assert done.exit_code == 0, done.output
    assert "annotators: ls-7 (1), ls-8 (1)" in done.stdout and "example.org" not in done.output
    assert "1 model prediction stored as the task's suggestion" in done.stdout
    assert "1 x prediction after a task's first" in done.stderr
    with Store(workdir / "l.db") as store:
        (task_id,) = [i for i in store.task_ids("l") if store.task(i).text == text]
        suggestion = store.suggestion(task_id)
        assert [(text[s.start : s.end], s.label, s.source) for s in suggestion.spans] == [
            ("Ahn", "PER", "ner-v2"),
            ("Seoul", "GPE", "ner-v2"),
        ]
        assert store.annotators("l") == ["ls-7", "ls-8"]  # the prediction is nobody's annotation
