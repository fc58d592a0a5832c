"""The bare baselines the scale benchmarks print beside their figures: the least code that does the
same job, run as its own process so that its time and memory are measured the same way.

    python benchmarks/baseline.py insert FILE.jsonl DB   # parse with orjson, insert, one transaction
    python benchmarks/baseline.py dump DB OUT.jsonl      # read the records back, orjson dump
    python benchmarks/baseline.py files DB OUT_FOLDER    # the same, a .txt and a .ann a record
    python benchmarks/baseline.py f1 A.jsonl B.jsonl     # exact-span F1 of two files in step
    python benchmarks/baseline.py app FILE.jsonl         # a bare Textual app: a text, ] for the next

No validation, no hashes, no edit log, no tokens rebuilt as objects: what is left is the cost of
the disk, SQLite, orjson and Textual themselves.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import orjson


def insert(source: Path, db: Path) -> None:
    """Each record parsed and stored as a task row and an annotation row, one transaction."""
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(
        "CREATE TABLE tasks (id INTEGER PRIMARY KEY, input_hash INTEGER UNIQUE, text TEXT, tokens BLOB)"
    )
    conn.execute("CREATE TABLE annotations (task_id INTEGER, annotator TEXT, answer TEXT, data BLOB)")
    conn.execute("BEGIN")
    with open(source, "rb") as handle:
        for line in handle:
            rec = orjson.loads(line)
            cur = conn.execute(
                "INSERT INTO tasks (input_hash, text, tokens) VALUES (?, ?, ?)",
                (rec["_input_hash"], rec["text"], orjson.dumps(rec["tokens"])),
            )
            data = orjson.dumps([rec["spans"], rec["relations"], rec.get("meta")])
            conn.execute(
                "INSERT INTO annotations VALUES (?, ?, ?, ?)",
                (cur.lastrowid, rec.get("_annotator_id"), rec.get("answer"), data),
            )
    conn.execute("COMMIT")
    conn.close()


def _rows(db: Path) -> Iterator[tuple[int, str, bytes, str, str, bytes]]:
    """insert's records read back in pages, in order."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT t.input_hash, t.text, t.tokens, a.answer, a.annotator, a.data "
        "FROM tasks t JOIN annotations a ON a.task_id = t.id ORDER BY t.id"
    )
    while page := rows.fetchmany(1000):
        yield from page
    conn.close()


def dump(db: Path, out: Path) -> None:
    """The records read back from insert's database and written as JSONL with orjson."""
    with open(out, "wb") as handle:
        for ihash, text, tokens, answer, who, data in _rows(db):
            spans, relations, meta = orjson.loads(data)
            rec = {
                "text": text,
                "meta": meta,
                "_input_hash": ihash,
                "tokens": orjson.loads(tokens),
                "spans": spans,
                "relations": relations,
                "answer": answer,
                "_annotator_id": who,
            }
            handle.write(orjson.dumps(rec, option=orjson.OPT_APPEND_NEWLINE))


def files(db: Path, out: Path) -> None:
    """The floor of a format of a file a task (brat): the records read back, each text written to
    a file of its own and its spans as lines of a second one, in one folder, nothing synced. Each
    file is made as brat's writer makes it (one open refusing a name that exists, one write)."""
    out.mkdir()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    for n, (_, text, _, _, _, data) in enumerate(_rows(db)):
        spans = orjson.loads(data)[0]
        lines = [
            f"T{i}\t{s['label']} {s['start']} {s['end']}\t{text[s['start'] : s['end']]}\n"
            for i, s in enumerate(spans)
        ]
        for suffix, body in ((".txt", text), (".ann", "".join(lines))):
            fd = os.open(f"{out}/{n}{suffix}", flags, 0o666)
            os.write(fd, body.encode())
            os.close(fd)


def f1(path_a: Path, path_b: Path) -> None:
    """Exact-span F1 (start, end, label) of two files holding the same tasks in the same order."""
    tp = fp = fn = 0
    with open(path_a, "rb") as fa, open(path_b, "rb") as fb:
        for line_a, line_b in zip(fa, fb, strict=True):
            a, b = orjson.loads(line_a), orjson.loads(line_b)
            sa = {(s["start"], s["end"], s["label"]) for s in a["spans"]}
            sb = {(s["start"], s["end"], s["label"]) for s in b["spans"]}
            both = len(sa & sb)
            tp, fp, fn = tp + both, fp + len(sb) - both, fn + len(sa) - both
    print(orjson.dumps({"tp": tp, "fp": fp, "fn": fn, "f1": 2 * tp / (2 * tp + fp + fn)}).decode())


SCREENFUL = 4000  # characters shown: a long document's first screen, not all of it


def app(source: Path, limit: int = 1000) -> None:
    """The floor of any Textual screen: read the first texts of a file, show the start of one, `]`
    the next."""
    from textual.app import App, ComposeResult
    from textual.widgets import Static

    with open(source, "rb") as handle:
        texts = [orjson.loads(line)["text"][:SCREENFUL] for line in islice(handle, limit)]

    class Bare(App[None]):
        BINDINGS = [("]", "next", ""), ("[", "previous", ""), ("q", "quit", "")]
        at = 0

        def compose(self) -> ComposeResult:
            yield Static(texts[0], id="text", markup=False)

        def show(self, step: int) -> None:
            self.at = max(0, min(len(texts) - 1, self.at + step))
            self.query_one("#text", Static).update(texts[self.at])

        def action_next(self) -> None:
            self.show(1)

        def action_previous(self) -> None:
            self.show(-1)

    Bare().run()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    paths = [Path(a) for a in args]
    {"insert": insert, "dump": dump, "files": files, "f1": f1, "app": app}[command](*paths)  # type: ignore[operator]
