"""Every storage fault is one line on stderr and a non-zero exit, for every command: a full disk,
a read-only database file, a read-only folder, a damaged database. Read-only commands (stats,
export, agreement) still work on a database they cannot write.

The faults are real (``tests/fault_support.py``): a tmpfs filled up, a read-only bind mount, an
immutable file, bytes overwritten in a copy of a real database."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner, Result

from annotator.cli import app
from annotator.store import Store
from tests.fault_support import DAMAGE, fill, immutable, read_only_folder, small_disk

runner = CliRunner()
TASKS = 50


def tasks_file(folder: Path, n: int = TASKS, repeat: int = 1) -> Path:
    """``n`` accepted tasks, each with a PERSON and a GPE span."""
    path = folder / f"tasks-{n}.jsonl"
    with open(path, "wb") as handle:
        for i in range(n):
            text = f"Alice {i} met Bob in Paris. " * repeat
            spans = [{"start": 0, "end": 5, "label": "PERSON"}, {"start": 20, "end": 25, "label": "GPE"}]
            handle.write(orjson.dumps({"text": text, "spans": spans, "answer": "accept"}) + b"\n")
    return path


SOURCE = "{src}"
READERS = {
    "stats": ["stats"],
    "export": ["export", "-d", "d", "-o", "{out}/out.jsonl"],
    "agreement": ["agreement", "-d", "d", "--annotators", "alice,bob"],
}
WRITERS = {
    "import": ["import", SOURCE, "-d", "d", "-a", "carol"],
    "review": ["review", "-d", "d", "--annotators", "alice,bob"],
    "annotate": ["annotate", SOURCE, "-d", "d", "-a", "alice", "--labels", "PERSON,ORG"],
}


def run(args: list[str], db: Path, out: Path) -> Result:
    src = tasks_file(out)
    return runner.invoke(app, [a.format(out=out, src=src) for a in args] + ["--db", str(db)])


def assert_one_line_fault(result: Result, *words: str) -> str:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) >= 1 and lines[-1].startswith("annotator: "), result.stderr
    fault = lines[-1]
    for word in words:
        assert word in fault, fault
    return fault


@pytest.fixture(scope="module")
def good_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two annotators' accepted tasks (the Prodigy tweets fixture), closed cleanly."""
    folder = tmp_path_factory.mktemp("good")
    db, source = folder / "good.db", tasks_file(folder)
    for who in ("alice", "bob"):
        done = runner.invoke(app, ["import", str(source), "-d", "d", "-a", who, "--db", str(db)])
        assert done.exit_code == 0, done.output
    return db


def readers_output(db: Path, out: Path) -> dict[str, str]:
    results = {name: run(args, db, out) for name, args in READERS.items()}
    for name, result in results.items():
        assert result.exit_code == 0, (name, result.output)
    return {name: r.stdout.replace(str(out), "OUT") for name, r in results.items()}


def test_read_only_folder_reads_work_and_writes_are_one_line(good_db: Path, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    db = Path(shutil.copy(good_db, folder / "a.db"))
    (tmp_path / "out").mkdir()
    expected = readers_output(Path(shutil.copy(good_db, tmp_path / "w.db")), tmp_path / "out")
    with read_only_folder(folder):
        assert readers_output(db, tmp_path / "out") == expected
        for name, args in WRITERS.items():
            fault = assert_one_line_fault(run(args, db, tmp_path), "cannot be written", "read-only")
            assert str(folder) in fault, (name, fault)
        # A new database cannot be made there either.
        assert_one_line_fault(run(WRITERS["import"], folder / "new.db", tmp_path), "read-only")
    assert sorted(p.name for p in folder.iterdir()) == ["a.db"]  # nothing was written


def test_read_only_folder_with_an_unmerged_log(good_db: Path, tmp_path: Path) -> None:
    """A database copied while it was open: its -wal holds writes. With the -shm beside it SQLite
    reads both; without it, reading the main file alone would miss them, so it is refused."""
    live = tmp_path / "live"
    live.mkdir()
    shutil.copy(good_db, live / "a.db")
    store = Store(live / "a.db")
    store.add_tasks("late", [])
    with sqlite3.connect(live / "a.db") as conn:
        conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    folder = tmp_path / "ro"
    shutil.copytree(live, folder)
    store.close()
    assert (folder / "a.db-wal").stat().st_size > 0
    (tmp_path / "out").mkdir()
    with read_only_folder(folder):
        assert run(["stats"], folder / "a.db", tmp_path).exit_code == 0
    (folder / "a.db-shm").unlink()
    with read_only_folder(folder):
        fault = assert_one_line_fault(run(["stats"], folder / "a.db", tmp_path), "a.db-wal")
        assert "writes not yet merged" in fault


def test_read_only_file(good_db: Path, tmp_path: Path) -> None:
    db = Path(shutil.copy(good_db, tmp_path / "a.db"))
    (tmp_path / "out").mkdir()
    expected = readers_output(Path(shutil.copy(good_db, tmp_path / "w.db")), tmp_path / "out")
    before = db.read_bytes()
    with immutable(db):
        assert readers_output(db, tmp_path / "out") == expected
        for args in WRITERS.values():
            assert_one_line_fault(run(args, db, tmp_path), "the file is read-only")
    assert db.read_bytes() == before


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_database(good_db: Path, tmp_path: Path, damage: str) -> None:
    db = Path(shutil.copy(good_db, tmp_path / "a.db"))
    DAMAGE[damage](db)
    (tmp_path / "out").mkdir()
    what = "not an annotator database" if damage in ("not-a-database", "bad-header") else "damaged"
    for name, args in {**READERS, **WRITERS}.items():
        if damage == "truncated" and name in ("review", "annotate"):
            continue  # may open on the pages still there: the screen's own fault test covers it
        fault = assert_one_line_fault(run(args, db, tmp_path / "out"), what)
        assert str(db) in fault, (name, fault)
        if what == "damaged":
            assert ".recover" in fault  # what to do
    # No output, no temporary file left (only the source the commands read).
    assert {p.name for p in (tmp_path / "out").iterdir()} == {f"tasks-{TASKS}.jsonl"}


def test_disk_full_during_import_export_and_reads(tmp_path: Path) -> None:
    disk = tmp_path / "disk"
    big = tasks_file(tmp_path, 2000, repeat=40)
    small = tasks_file(tmp_path)
    with small_disk(disk, 4096):
        db = disk / "a.db"
        done = runner.invoke(app, ["import", str(small), "-d", "d", "-a", "alice", "--db", str(db)])
        assert done.exit_code == 0, done.output
        fault = assert_one_line_fault(
            runner.invoke(app, ["import", str(big), "-d", "d", "-a", "bob", "--db", str(db)]),
            "the disk is full",
        )
        assert str(db) in fault
        # What was stored before stays whole and readable on the full disk.
        stats = runner.invoke(app, ["stats", "--db", str(db)])
        assert stats.exit_code == 0, stats.output
        assert "alice" in stats.stdout
        fill(disk)
        out = tmp_path / "elsewhere.jsonl"
        done = runner.invoke(app, ["export", "-d", "d", "-a", "alice", "--db", str(db), "-o", str(out)])
        assert done.exit_code == 0, done.output
        # An export onto the full disk: one line, and neither a half file nor a .tmp left.
        fault = assert_one_line_fault(
            runner.invoke(
                app, ["export", "-d", "d", "-a", "alice", "--db", str(db), "-o", str(disk / "o.jsonl")]
            ),
            "the disk is full",
        )
        leftovers = {p.name for p in disk.iterdir()} - {"a.db", "a.db-wal", "a.db-shm", "filler"}
        assert not leftovers, leftovers
        # Another import on the full disk: refused, one line.
        assert_one_line_fault(run(WRITERS["import"], db, tmp_path), "the disk is full")
    assert out.read_bytes().count(b"\n") == TASKS
