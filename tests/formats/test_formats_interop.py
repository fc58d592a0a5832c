"""Files of one corpus passing between tools: what a second tool's file of the same texts does to a
dataset, and file shapes written by versions of doccano, Label Studio, brat and Prodigy that the
fixtures do not cover."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from annotator.cli import app
from annotator.store import Store
from tests.formats_support import REL_FILE

runner = CliRunner()


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def records(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


def first_records(n: int) -> list[dict[str, Any]]:
    return records(REL_FILE)[:n]


@pytest.mark.parametrize("fmt", ["doccano", "brat", "spacy"])
def test_a_second_annotators_file_of_the_same_texts_pairs_with_prodigy_hashed_tasks(
    workdir: Path, fmt: str
) -> None:
    """Alice's work comes from Prodigy (Prodigy's own _input_hash values); the texts go out to
    another tool for Bob and come back. Bob's file holds the same texts, so his annotations must
    land on the same tasks: one task per text, and agreement compares every one of them."""
    src = workdir / "alice.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in first_records(12)))
    assert run("import", src, "-d", "rel", "-a", "alice", "--db", "a.db").exit_code == 0
    out = workdir / f"for-bob.{fmt}"
    done = run("export", "-d", "rel", "-f", fmt, "-o", out, "--db", "a.db")
    assert done.exit_code == 0, done.output
    done = run("import", out, "-d", "rel", "-a", "bob", "-f", fmt, "--db", "a.db")
    assert done.exit_code == 0, done.output
    # A DocBin written here carries the input hash; the other formats carry none.
    assert ("matched a stored task by its text" in done.stderr) == (fmt != "spacy")
    with Store(workdir / "a.db") as store:
        assert store.task_count("rel") == 12
    done = run("agreement", "-d", "rel", "--annotators", "alice,bob", "--json", "--db", "a.db")
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["tasks"] == {"compared": 12, "only_a": 0, "only_b": 0, "answer_mismatch": 0}
    assert report["spans"]["exact"]["f1"] == 1.0
    assert report["relations"]["exact"]["fn"] == report["relations"]["exact"]["fp"] == 0


def test_doccano_exports_that_name_the_text_data(workdir: Path) -> None:
    """doccano 1.5 to 1.7 wrote the text under "data" (doccano issue #1522), with "label"
    triples; they import like any doccano file, the format guessed from the contents."""
    path = workdir / "admin.jsonl"
    path.write_text(
        '{"id": 10, "data": "Ahn met Nakatani in Seoul.", "label": [[0, 3, "PER"], [8, 16, "PER"]], "Comments": []}\n'
        '{"id": 11, "data": "No entities here.", "label": [], "Comments": []}\n',
        encoding="utf-8",
    )
    done = run("import", path, "-d", "dc", "-a", "ann", "--db", "d.db")
    assert done.exit_code == 0, done.output
    assert "format: doccano" in done.stderr
    assert "imported 2 annotations of 2 tasks" in done.stdout and "2 spans" in done.stdout
    assert run("export", "-d", "dc", "-f", "doccano", "-o", "back.jsonl", "--db", "d.db").exit_code == 0
    back = records(workdir / "back.jsonl")
    assert [r["text"] for r in back] == ["Ahn met Nakatani in Seoul.", "No entities here."]
    assert back[0]["label"] == [[0, 3, "PER"], [8, 16, "PER"]] and back[0]["id"] == 10


def test_old_doccano_entities_as_triples(workdir: Path) -> None:
    """doccano's first JSON export wrote sequence labels as "entities": [[start, end, label]]."""
    path = workdir / "old.jsonl"
    path.write_text(
        '{"doc_id": 23, "text": "Barack Obama visited Paris.", "entities": [[0, 12, "PER"], [21, 26, "LOC"]], '
        '"username": "admin"}\n',
        encoding="utf-8",
    )
    done = run("import", path, "-d", "old", "-a", "ann", "--db", "d.db")
    assert done.exit_code == 0, done.output
    assert "2 spans" in done.stdout


def test_label_studio_json_min_export(workdir: Path) -> None:
    """Label Studio's JSON-MIN export: one flat object per annotation, the regions under the
    labeling config's name, the annotator's id beside them, no relations. It used to be taken for
    Prodigy JSONL (it has "text") and imported with no span at all."""
    text = "Gen Nakatani met Ahn in Seoul 😀 on Sunday."
    regions = [
        {"start": 0, "end": 12, "text": "Gen Nakatani", "labels": ["PERSON"]},
        {"start": 17, "end": 20, "text": "Ahn", "labels": ["PERSON"]},
        {"start": 24, "end": 29, "text": "Seoul", "labels": ["GPE"]},
    ]
    rows = [
        {"id": 1, "text": text, "label": regions, "annotator": 1, "annotation_id": 5, "lead_time": 2.5},
        {"id": 1, "text": text, "label": regions[:2], "annotator": 2, "annotation_id": 6, "lead_time": 1.0},
        {"id": 2, "ner": "Nothing to mark.", "annotator": 1, "annotation_id": 7},
    ]
    path = workdir / "project-1-min.json"
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=2), encoding="utf-8")
    done = run("import", path, "-d", "ls", "-a", "ls", "--db", "l.db")
    assert done.exit_code == 0, done.output
    assert "format: label-studio" in done.stderr
    assert "imported 3 annotations of 2 tasks" in done.stdout and "5 spans" in done.stdout
    assert "ls-1 (2), ls-2 (1)" in done.stdout
    assert run("export", "-d", "ls", "-a", "ls-2", "-o", "b.jsonl", "--db", "l.db").exit_code == 0
    (rec,) = records(workdir / "b.jsonl")
    assert [(s["start"], s["end"], s["label"]) for s in rec["spans"]] == [
        (0, 12, "PERSON"),
        (17, 20, "PERSON"),
    ]


def test_prodigy_relations_between_plain_tokens_are_counted_not_fatal(workdir: Path) -> None:
    """Prodigy's rel.manual lets a relation join tokens that are no entity span; it writes their
    head_span/child_span with "label": null. This tool holds relations between spans only: such a
    relation is reported as not supported, and the rest of the task (its spans, its other
    relations) is still imported."""
    tokens = [
        {"text": w, "start": s, "end": s + len(w), "id": i, "ws": True}
        for i, (w, s) in enumerate([("Ahn", 0), ("met", 4), ("Nakatani", 8)])
    ]
    tokens[-1]["ws"] = False
    ahn = {"start": 0, "end": 3, "token_start": 0, "token_end": 0, "label": "PER"}
    nak = {"start": 8, "end": 16, "token_start": 2, "token_end": 2, "label": "PER"}
    met = {"start": 4, "end": 7, "token_start": 1, "token_end": 1, "label": None}
    rec = {
        "text": "Ahn met Nakatani",
        "tokens": tokens,
        "spans": [ahn, nak],
        "relations": [
            {"head": 0, "child": 2, "head_span": ahn, "child_span": nak, "label": "MET", "color": "#c5bdf4"},
            {"head": 1, "child": 0, "head_span": met, "child_span": ahn, "label": "SUBJ", "color": "#c5bdf4"},
        ],
        "answer": "accept",
        "_view_id": "relations",
    }
    path = workdir / "rel.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    done = run("import", path, "-d", "r", "-a", "a", "--db", "r.db")
    assert done.exit_code == 0, done.output
    assert "2 spans, 1 relations" in done.stdout
    assert "not supported, not imported: 1 x relation between tokens that are not spans" in done.stderr


def test_brat_text_without_annotation_file_is_said(workdir: Path) -> None:
    folder = workdir / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("Ahn met Nakatani.\n", encoding="utf-8")
    (folder / "a.ann").write_text("T1\tPER 0 3\tAhn\n", encoding="utf-8")
    (folder / "sub" / "b.txt").write_text("Not annotated yet.\n", encoding="utf-8")
    done = run("import", folder, "-d", "b", "-a", "a", "--db", "b.db")
    assert done.exit_code == 0, done.output
    assert "imported 1 annotations of 1 tasks" in done.stdout
    assert "b.txt" in done.stderr and "no b.ann beside it" in done.stderr


@pytest.mark.parametrize("fmt", ["doccano", "brat", "conll"])
def test_exporting_several_annotators_to_a_format_without_annotators_says_so(workdir: Path, fmt: str) -> None:
    src = workdir / "two.jsonl"
    rows = first_records(3)
    src.write_bytes(
        b"".join(orjson.dumps({**r, "_annotator_id": who}) + b"\n" for who in ("ann", "bob") for r in rows)
    )
    assert run("import", src, "-d", "two", "-a", "x", "--db", "t.db").exit_code == 0
    done = run("export", "-d", "two", "-f", fmt, "-o", workdir / f"out.{fmt}", "--db", "t.db")
    assert done.exit_code == 0, done.output
    assert "3 text(s) written more than once, once per annotator" in done.stderr
    one = run("export", "-d", "two", "-a", "x-ann", "-f", fmt, "-o", workdir / f"one.{fmt}", "--db", "t.db")
    assert one.exit_code == 0 and "more than once" not in one.stderr


def test_a_docbin_with_span_groups_imports_them(workdir: Path) -> None:
    """spancat data keeps its spans in doc.spans, not doc.ents: issue 14 imports them as span
    groups (they were counted as not supported before)."""
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    doc = nlp("Ahn met Nakatani in Seoul.")
    ahn, nakatani, seoul = (
        doc.char_span(0, 3, "PER"),
        doc.char_span(8, 16, "PER"),
        doc.char_span(20, 25, "LOC"),
    )
    assert ahn is not None and nakatani is not None and seoul is not None
    doc.ents = [ahn]
    doc.spans["sc"] = [nakatani, seoul]
    DocBin(docs=[doc], store_user_data=True).to_disk(workdir / "sc.spacy")
    done = run("import", workdir / "sc.spacy", "-d", "sc", "-a", "a", "--db", "s.db")
    assert done.exit_code == 0, done.output
    assert "3 spans" in done.stdout and "not supported" not in done.stderr


def test_prodigy_character_highlighting_splits_the_tokens(workdir: Path) -> None:
    """Prodigy's ner.manual with --highlight-chars writes spans that need not fall on its tokens,
    without token_start/token_end. Their offsets are the truth: the tokens are split there, as
    for the formats that carry no tokens, and the split is said."""
    text = "Gyeonggi-do and SouthKorea"
    tokens = [
        {"text": "Gyeonggi", "start": 0, "end": 8, "id": 0, "ws": False},
        {"text": "-", "start": 8, "end": 9, "id": 1, "ws": False},
        {"text": "do", "start": 9, "end": 11, "id": 2, "ws": True},
        {"text": "and", "start": 12, "end": 15, "id": 3, "ws": True},
        {"text": "SouthKorea", "start": 16, "end": 26, "id": 4, "ws": False},
    ]
    rec = {
        "text": text,
        "tokens": tokens,
        "spans": [
            {"start": 0, "end": 11, "token_start": 0, "token_end": 2, "label": "GPE"},
            {"start": 21, "end": 26, "label": "GPE"},  # "Korea", inside the token "SouthKorea"
        ],
        "answer": "accept",
        "_view_id": "ner_manual",
    }
    path = workdir / "chars.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    done = run("import", path, "-d", "c", "-a", "a", "--db", "c.db")
    assert done.exit_code == 0, done.output
    assert "2 spans" in done.stdout and "tokens split" in done.stderr
    assert run("export", "-d", "c", "-o", "c.jsonl", "--db", "c.db").exit_code == 0
    (out,) = records(workdir / "c.jsonl")
    assert [(s["start"], s["end"], s["token_start"], s["token_end"]) for s in out["spans"]] == [
        (0, 11, 0, 2),
        (21, 26, 5, 5),
    ]
    assert [t["text"] for t in out["tokens"]] == ["Gyeonggi", "-", "do", "and", "South", "Korea"]


def test_prodigy_span_with_wrong_token_indices_is_still_bad(workdir: Path) -> None:
    rec = {
        "text": "Ahn met Nakatani",
        "tokens": [
            {"text": "Ahn", "start": 0, "end": 3, "id": 0, "ws": True},
            {"text": "met", "start": 4, "end": 7, "id": 1, "ws": True},
            {"text": "Nakatani", "start": 8, "end": 16, "id": 2, "ws": False},
        ],
        "spans": [{"start": 8, "end": 12, "token_start": 2, "token_end": 2, "label": "PER"}],
    }
    path = workdir / "bad.jsonl"
    path.write_bytes(orjson.dumps(rec) + b"\n")
    done = run("import", path, "-d", "c", "-a", "a", "--db", "c.db")
    assert done.exit_code == 1 and "does not fall on token boundaries" in done.stderr


def test_doccano_offset_note_counts_records_not_users(workdir: Path) -> None:
    text = "😀 Ahn met Nakatani."
    anns = [
        {"label": "PER", "start_offset": 3, "end_offset": 6, "user": user} for user in (1, 2)
    ]  # UTF-16 units: "Ahn" is [2:5] in code points
    path = workdir / "multi.jsonl"
    path.write_text(
        json.dumps({"id": 1, "text": text, "annotations": anns}, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    done = run("import", path, "-d", "m", "-a", "d", "--db", "m.db")
    assert done.exit_code == 0, done.output
    assert "note: 1 x records with characters outside the BMP" in done.stderr
    assert run("export", "-d", "m", "-a", "d-2", "-o", "m.jsonl", "--db", "m.db").exit_code == 0
    (rec,) = records(workdir / "m.jsonl")
    assert [(s["start"], s["end"]) for s in rec["spans"]] == [(2, 5)]


def test_brat_folder_with_subfolders_keeps_its_layout(workdir: Path) -> None:
    """A brat project is often a tree (one folder per batch or annotator); documents of the same
    name in two folders must come back as they were, not as x and x-2 in one folder."""
    for sub, text in (("batch1", "Ahn met Nakatani."), ("batch2", "Lee met Austin.")):
        folder = workdir / "proj" / sub
        folder.mkdir(parents=True)
        (folder / "doc.txt").write_text(text, encoding="utf-8")
        (folder / "doc.ann").write_text("T1\tPER 0 3\t" + text[:3] + "\n", encoding="utf-8")
    assert run("import", workdir / "proj", "-d", "b", "-a", "a", "--db", "b.db").exit_code == 0
    done = run("export", "-d", "b", "-f", "brat", "-o", workdir / "out", "--db", "b.db")
    assert done.exit_code == 0, done.output
    for sub in ("batch1", "batch2"):
        assert (workdir / "out" / sub / "doc.txt").read_text(encoding="utf-8") == (
            workdir / "proj" / sub / "doc.txt"
        ).read_text(encoding="utf-8")
        assert (workdir / "out" / sub / "doc.ann").read_text(encoding="utf-8") == (
            workdir / "proj" / sub / "doc.ann"
        ).read_text(encoding="utf-8")


def test_importing_over_an_annotators_earlier_work_says_how_much_it_replaced(workdir: Path) -> None:
    rows = first_records(3)
    first, second = workdir / "v1.jsonl", workdir / "v2.jsonl"
    first.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    changed = [
        dict(rows[0], spans=rows[0]["spans"][1:], relations=[]),
        rows[1],
        dict(rows[2], answer="reject"),
    ]
    second.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in changed))
    assert run("import", first, "-d", "r", "-a", "alice", "--db", "r.db").exit_code == 0
    again = run("import", first, "-d", "r", "-a", "alice", "--db", "r.db")
    assert again.exit_code == 0 and "replaced" not in again.stderr  # the same file again: nothing changes
    done = run("import", second, "-d", "r", "-a", "alice", "--db", "r.db")
    assert done.exit_code == 0, done.output
    assert "note: 2 x annotations already stored for this annotator replaced" in done.stderr


def test_brat_export_that_cannot_be_written_leaves_no_half_folder(workdir: Path) -> None:
    """Label Studio labels may hold spaces ("PARTY NAME"); brat types cannot. The export fails
    with the task named, before any file is written."""
    rows = [
        {"text": "Acme hired Bob.", "spans": [{"start": 0, "end": 4, "label": "ORG"}]},
        {"text": "Bob signed.", "spans": [{"start": 0, "end": 3, "label": "PARTY NAME"}]},
    ]
    src = workdir / "s.jsonl"
    src.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    assert run("import", src, "-d", "s", "-a", "a", "--db", "s.db").exit_code == 0
    done = run("export", "-d", "s", "-f", "brat", "-o", workdir / "out", "--db", "s.db")
    assert done.exit_code == 1 and "'PARTY NAME' holds whitespace" in done.stderr
    assert not (workdir / "out").exists() or not list((workdir / "out").glob("*.ann"))
