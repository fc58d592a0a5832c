"""`annotator annotate SOURCE --prepare-only`: the source's tasks stored (pre-annotated by the real
model when they need it) and routed, without a screen and without an annotator, for a team that
annotates them through `annotator serve` or on other machines."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.records import to_record
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.store import Store

runner = CliRunner()


def ready_tasks(path: Path, n: int) -> Path:
    """Tasks with tokens and a span each (no model needed), and one bad line among them."""
    lines = []
    for i in range(n):
        text = f"Ana met Li in Lisbon on day {i} ."
        task = Task(text, provisional_tokens(text), input_hash(text))
        lines.append(orjson.dumps(to_record(task, Annotation((make_span(task, 0, 3, "PERSON"),)))).decode())
    lines.insert(2, '{"text": ')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_tasks_are_stored_and_routed_without_a_screen(workdir: Path) -> None:
    source = ready_tasks(workdir / "tasks.jsonl", 6)
    args = ["annotate", str(source), "-d", "team", "--db", "a.db", "--labels", "PERSON", "--prepare-only"]
    result = runner.invoke(app, [*args, "--annotators", "a,b,c", "--overlap", "2"])
    assert result.exit_code == 1, result.output  # the bad line, said; the good ones stored
    assert result.stdout.splitlines()[-3:] == [
        "dataset 'team' holds 6 tasks (6 new); open it with annotate or serve",
        "team: each task to 2 of 3 annotators; tasks each: a 4, b 4, c 4",
        f"bad record: {source}:3: not valid JSON (cut short at column 9; another record begins at line 4)",
    ], result.stdout
    assert "team: each task to 2 of a, b, c, as tasks are stored" in result.stderr
    with Store(workdir / "a.db") as store:
        assert store.task_count("team") == 6
        assert store.shared_tasks("team") == {("a", "b"): 2, ("a", "c"): 2, ("b", "c"): 2}
        assert store.annotators("team") == []  # nobody annotated, nobody joined the routing
        routing = store.routing("team")
        assert routing is not None and sorted(routing.annotators) == ["a", "b", "c"]
    again = runner.invoke(app, args)
    assert "dataset 'team' holds 6 tasks (0 new)" in again.stdout  # stored tasks are skipped


def test_texts_are_pre_annotated_by_the_model(workdir: Path) -> None:
    (workdir / "doc.txt").write_text("Angela Merkel met Emmanuel Macron in Paris.", encoding="utf-8")
    result = runner.invoke(app, ["annotate", "doc.txt", "-d", "news", "--db", "a.db", "--prepare-only"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("the model en_core_web_sm")
    with Store(workdir / "a.db") as store:
        [task_id] = store.task_ids("news")
        text = store.task(task_id).text
        found = {(text[s.start : s.end], s.label) for s in store.suggestion(task_id).spans}
    assert {("Angela Merkel", "PERSON"), ("Paris", "GPE")} <= found


def test_nobody_annotates_a_prepared_source(workdir: Path) -> None:
    (workdir / "doc.txt").write_text("Ana met Li.", encoding="utf-8")
    for extra in (["--learn"], ["--annotator", "alice"]):
        result = runner.invoke(
            app, ["annotate", "doc.txt", "-d", "d", "--db", "a.db", "--prepare-only", *extra]
        )
        assert result.exit_code == 1
        assert result.stderr == (
            "annotator: --prepare-only opens no screen: nobody annotates, so --annotator and --learn do "
            "not go with it\n"
        )
    assert not (workdir / "a.db").exists()
