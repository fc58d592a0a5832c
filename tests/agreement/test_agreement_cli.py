"""``annotator agreement`` end to end: gold JSONL files and a real SQLite database in tmp_path."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Relation, Span, Task
from annotator.core.records import to_record
from annotator.core.validate import make_span
from annotator.store import Store
from tests.strategies import tokenize

runner = CliRunner()

TEXTS = [
    "Lloyd Austin met Lee Jong-sup in Seoul on Friday .",
    "The ministers spoke in Seoul about North Korea .",
    "Austin flew back to Washington on Saturday .",
]
TASKS = [Task(t, tokenize(t), input_hash(t)) for t in TEXTS]


def ann(
    task: Task, *items: tuple[str, str], answer: str | None = "accept", rels: tuple[Relation, ...] = ()
) -> Annotation:
    spans: list[Span] = []
    for phrase, label in items:
        start = task.text.index(phrase)
        spans.append(make_span(task, start, start + len(phrase), label, None, len(spans) + 1))
    return Annotation(tuple(spans), rels, answer)  # type: ignore[arg-type]


A = [
    ann(
        TASKS[0],
        ("Lloyd Austin", "PERSON"),
        ("Lee Jong-sup", "PERSON"),
        ("Seoul", "GPE"),
        rels=(Relation(1, 2, "MET"),),
    ),
    ann(TASKS[1], ("Seoul", "GPE"), ("North Korea", "GPE")),
    ann(TASKS[2], ("Austin", "PERSON"), ("Washington", "GPE"), ("Saturday", "DATE")),
]
B = [
    ann(
        TASKS[0],
        ("Austin", "PERSON"),
        ("Lee Jong-sup", "PERSON"),
        ("Seoul", "LOC"),
        rels=(Relation(1, 2, "MET"),),
    ),
    ann(TASKS[1], ("Seoul", "GPE"), ("North Korea", "GPE")),
    ann(TASKS[2], ("Austin", "PERSON"), ("Washington", "GPE")),
]


def write_jsonl(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def record(task: Task, annotation: Annotation) -> bytes:
    return orjson.dumps(to_record(task, annotation))


def test_two_files_json(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "alice.jsonl", [record(t, x) for t, x in zip(TASKS, A, strict=True)])
    b = write_jsonl(tmp_path / "bob.jsonl", [record(t, x) for t, x in zip(TASKS, B, strict=True)])
    result = runner.invoke(app, ["agreement", str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["annotators"] == [str(a), str(b)]
    assert out["tasks"] == {"compared": 3, "only_a": 0, "only_b": 0, "answer_mismatch": 0}
    # A: 8 spans, B: 7; exact matches: Lee, Seoul, North Korea, Austin, Washington
    assert (
        out["spans"]["exact"]["tp"] == 5
        and out["spans"]["exact"]["fp"] == 2
        and out["spans"]["exact"]["fn"] == 3
    )
    assert out["spans"]["exact"]["precision"] == pytest.approx(5 / 7)
    assert out["spans"]["exact"]["recall"] == pytest.approx(5 / 8)
    assert out["spans"]["boundary"]["tp"] == 6  # Seoul GPE/LOC counts
    assert out["spans"]["overlap"]["tp"] == 6  # Austin within Lloyd Austin counts
    assert out["relations"]["exact"]["tp"] == 0 and out["relations"]["aligned"]["tp"] == 1
    assert set(out["spans"]["per_label"]) == {"DATE", "GPE", "LOC", "PERSON"}


def test_bad_lines_are_reported_with_file_and_line_and_the_rest_still_compared(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [record(t, x) for t, x in zip(TASKS, A, strict=True)])
    misaligned = to_record(TASKS[1], B[1])
    misaligned["spans"][0]["end"] -= 1
    lines = [record(TASKS[0], B[0]), b'{"text": "broken', orjson.dumps(misaligned), record(TASKS[2], B[2])]
    b = write_jsonl(tmp_path / "b.jsonl", lines)
    result = runner.invoke(app, ["agreement", str(a), str(b), "--json"])
    assert result.exit_code == 1
    assert f"{b}:2: not valid JSON" in result.stderr
    assert f"{b}:3: span 0 [23:27] GPE 'Seou' does not fall on token boundaries" in result.stderr
    assert "Traceback" not in result.output
    out = json.loads(result.stdout)
    assert out["tasks"] == {"compared": 2, "only_a": 1, "only_b": 0, "answer_mismatch": 0}


def test_missing_answer_counts_as_accepted_and_a_repeated_task_keeps_the_later_one(tmp_path: Path) -> None:
    no_answer = to_record(TASKS[0], A[0])
    del no_answer["answer"]
    a = write_jsonl(tmp_path / "a.jsonl", [orjson.dumps(no_answer)])
    rejected = record(TASKS[0], replace(B[0], answer="reject"))
    b = write_jsonl(tmp_path / "b.jsonl", [rejected, record(TASKS[0], A[0])])
    result = runner.invoke(app, ["agreement", str(a), str(b), "--json"])
    assert result.exit_code == 0, result.output
    assert f"{b}:2: same task as line 1" in result.stderr
    out = json.loads(result.stdout)
    assert out["tasks"]["compared"] == 1
    assert out["spans"]["exact"]["f1"] == 1.0


def test_table_and_details(tmp_path: Path) -> None:
    a = write_jsonl(tmp_path / "a.jsonl", [record(t, x) for t, x in zip(TASKS, A, strict=True)])
    b = write_jsonl(tmp_path / "b.jsonl", [record(t, x) for t, x in zip(TASKS, B, strict=True)])
    result = runner.invoke(app, ["agreement", str(a), str(b), "--details"])
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "tasks: 3 compared" in text
    assert "Cohen's kappa" in text and "Krippendorff's alpha" in text
    for row in ("exact", "overlap", "boundary", "PERSON", "relations aligned"):
        assert row in text
    assert "disagreements" in text
    # The Seoul label conflict, with the text around it and both versions.
    assert "Lee Jong-sup in [Seoul] on Friday" in text
    assert f"{a}: [33:38] GPE 'Seoul'" in text and f"{b}: [33:38] LOC 'Seoul'" in text
    assert f"{b}: —" in text  # Saturday: only A marked it
    assert "-MET->" in text  # the relation from "Lloyd Austin" vs from "Austin"
    details = json.loads(runner.invoke(app, ["agreement", str(a), str(b), "--json", "--details"]).stdout)
    kinds = [item["kind"] for task in details["disagreements"] for item in task["items"]]
    assert sorted(kinds) == ["a_only", "boundary", "label", "relation", "relation"]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "annotator.db"
    with Store(path) as store:
        ids = store.add_tasks("news", [(t, Annotation()) for t in TASKS])
        for task_id, x, y in zip(ids, A, B, strict=True):
            store.record_answer(task_id, "alice", "s1", x)
            store.record_answer(task_id, "bob", "s2", y)
        # carol: accepts A's first two, leaves the third as a draft
        store.record_answer(ids[0], "carol", "s3", A[0])
        store.record_answer(ids[1], "carol", "s3", B[1])
        store.save_annotation(ids[2], "carol", replace(A[2], answer=None))
    return path


def test_database_two_annotators(db: Path) -> None:
    result = runner.invoke(
        app, ["agreement", "--dataset", "news", "--annotators", "alice,bob", "--db", str(db), "--json"]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["annotators"] == ["alice", "bob"]
    assert out["tasks"]["compared"] == 3
    files_like = json.loads(
        runner.invoke(
            app, ["agreement", "--dataset", "news", "--annotators", "bob,alice", "--db", str(db), "--json"]
        ).stdout
    )
    # Swapping the reference swaps precision and recall, and fp and fn.
    assert files_like["spans"]["exact"]["precision"] == out["spans"]["exact"]["recall"]
    assert files_like["spans"]["exact"]["fp"] == out["spans"]["exact"]["fn"]


def test_database_three_annotators_pairs_and_fleiss(db: Path) -> None:
    args = ["agreement", "--dataset", "news", "--annotators", "alice,bob,carol", "--db", str(db), "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert [p["annotators"] for p in out["pairs"]] == [["alice", "bob"], ["alice", "carol"], ["bob", "carol"]]
    assert out["pairs"][1]["tasks"] == {"compared": 2, "only_a": 0, "only_b": 0, "answer_mismatch": 1}
    assert out["tokens"]["tasks_compared"] == 2 and out["tokens"]["fleiss_kappa"] is not None
    table = runner.invoke(app, args[:-1]).stdout
    assert "Fleiss' kappa" in table and table.count("(A, reference)") == 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "nope", "--annotators", "alice,bob"], "no dataset 'nope'"),
        (
            ["--dataset", "news", "--annotators", "alice,zed"],
            "no annotations by zed in dataset 'news' (annotators: alice, bob, carol)",
        ),
        (["--dataset", "news", "--annotators", "alice"], "at least two names"),
        (["--dataset", "news", "--annotators", "alice,alice"], "twice"),
        (["--dataset", "news"], "give two gold JSONL files"),
        (["x.jsonl", "--dataset", "news", "--annotators", "a,b"], "not both"),
        (["only-one.jsonl"], "needs two files"),
        (["missing-a.jsonl", "missing-b.jsonl"], "cannot read missing-a.jsonl"),
    ],
)
def test_usage_errors_are_one_clear_line(db: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["agreement", *args, "--db", str(db)])
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_database_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "typo.db"
    result = runner.invoke(app, ["agreement", "--dataset", "news", "--annotators", "a,b", "--db", str(path)])
    assert result.exit_code != 0
    assert not path.exists()
