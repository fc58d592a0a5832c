"""brat standoff: brat's own tutorial documents (every annotation kind), a four-annotator project,
what is held, what is reported as not supported, and bad lines."""

from __future__ import annotations

import random
import time
from collections import Counter
from pathlib import Path

import pytest

from annotator.core.model import Annotation, Relation, Span, Task
from annotator.formats import atomic, brat
from annotator.formats.base import StoredRow
from annotator.formats.problems import Problems
from annotator.formats.tokens import tokenize
from annotator.store import Store
from annotator.transfer.importing import import_file
from tests.formats_support import BRAT_NEWS, BRATIAA, messages, totals

KINDS = {
    "E": "E (event)",
    "A": "A (attribute)",
    "N": "N (normalization)",
    "#": "# (annotator note)",
    "*": "* (equivalence)",
}


def ann_lines(folder: Path) -> list[tuple[str, list[str]]]:
    return [(p.stem, p.read_text(encoding="utf-8").splitlines()) for p in sorted(folder.rglob("*.ann"))]


Held = tuple[set[tuple[str, int, int, str]], set[tuple[str, tuple[int, int], tuple[int, int]]]]


def held(folder: Path) -> dict[str, Held]:
    """Per document: T lines as (type, start, end, text) and R lines as (type, arg1, arg2) spans."""
    out: dict[str, Held] = {}
    for stem, lines in ann_lines(folder):
        ts: dict[str, tuple[str, int, int, str]] = {}
        for line in lines:
            if line.startswith("T") and ";" not in line.split("\t")[1]:
                ident, head, text = line.split("\t")
                label, start, end = head.split()
                ts[ident] = (label, int(start), int(end), text)
        rs: set[tuple[str, tuple[int, int], tuple[int, int]]] = set()
        for line in lines:
            if line.startswith("R"):
                label, a1, a2 = line.split("\t")[1].split()
                rs.add((label, ts[a1.split(":")[1]][1:3], ts[a2.split(":")[1]][1:3]))
        out[stem] = (set(ts.values()), rs)
    return out


def test_news_tutorial_counts_and_not_supported_kinds_match_the_raw_lines() -> None:
    lines = [line for _, ls in ann_lines(BRAT_NEWS) for line in ls if line.strip()]
    n_t = sum(1 for line in lines if line.startswith("T"))
    n_r = sum(1 for line in lines if line.startswith("R"))
    kinds = Counter(KINDS[line[0]] for line in lines if line[0] in KINDS)
    problems = Problems()
    items = list(brat.read(BRAT_NEWS, problems))
    assert totals(items) == (len(ann_lines(BRAT_NEWS)), n_t, n_r)
    assert dict(problems.unsupported) == dict(kinds)
    assert set(kinds) == set(KINDS.values())  # the tutorial has every kind we cannot hold
    assert not problems.bad, messages(problems)
    assert problems.unsupported_example["E (event)"].endswith("000-introduction.ann:4")


def test_news_tutorial_written_back_keeps_every_t_and_r_line_and_the_text_byte_for_byte(
    tmp_path: Path,
) -> None:
    items = list(brat.read(BRAT_NEWS, Problems()))
    out = tmp_path / "out"
    counts = brat.write(out, items)
    assert counts.tasks == 4
    assert held(out) == held(BRAT_NEWS)
    for txt in BRAT_NEWS.glob("*.txt"):
        assert (out / txt.name).read_bytes() == txt.read_bytes()
    conf = (out / "annotation.conf").read_text()
    assert "[entities]" in conf and "Person" in conf and "Family\tArg1:<ENTITY>, Arg2:<ENTITY>" in conf
    again = list(brat.read(out, Problems()))
    assert [a.content() for _, a in again] == [a.content() for _, a in items]


@pytest.mark.parametrize("annotator", ["Lisa", "Maria", "Max", "Peter"])
def test_bratiaa_project_counts(annotator: str) -> None:
    folder = BRATIAA / "example-project" / annotator
    n_t = sum(1 for _, ls in ann_lines(folder) for line in ls if line.startswith("T"))
    problems = Problems()
    items = list(brat.read(folder, problems))
    assert totals(items) == (len(ann_lines(folder)), n_t, 0)
    assert not problems.bad and not problems.unsupported, messages(problems)
    assert all(t.meta["source"].endswith(".txt") for t, _ in items)


def write_doc(folder: Path, text: str, ann: str, name: str = "doc") -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.txt").write_text(text, encoding="utf-8", newline="")
    (folder / f"{name}.ann").write_text(ann, encoding="utf-8", newline="")


def test_bad_lines_are_reported_by_line_and_the_rest_of_the_document_is_kept(tmp_path: Path) -> None:
    text = "Ann Smith met Bob in Paris."
    ann = "\n".join(
        [
            "T1\tPerson 0 9\tAnn Smith",
            "T2\tPerson 14 17\tBOB",  # text does not match
            "T3\tGPE 21 26\tParis",
            "T4\tPerson 4 9\tSmith",  # overlaps T1: kept in the span group sc
            "T5\tPerson 14 17;18 20\tBob in",  # discontinuous: not supported
            "R1\tMet Arg1:T1 Arg2:T2\t",  # argument was bad
            "R2\tIn Arg1:T1 Arg2:T3\t",
            "R3\tX Arg1:T1 Arg2:T5\t",  # argument not supported
            "R4\tY Arg1:T1 Arg2:T9\t",  # no such id
            "Q1\tfoo",
            "T6\tPerson 90 95\tnope",
            "",
        ]
    )
    write_doc(tmp_path, text, ann)
    problems = Problems()
    [(task, annotation)] = list(brat.read(tmp_path, problems))
    assert sorted((b.line, b.reason.split()[0]) for b in problems.bad) == [
        (2, "T2"),
        (6, "R1:"),
        (9, "R4:"),
        (10, "'Q1'"),
        (11, "T6"),
    ]
    assert dict(problems.unsupported) == {
        "T with a discontinuous span (start end;start end)": 1,
        "R whose argument is not held (event or discontinuous span)": 1,
    }
    assert [(task.text[s.start : s.end], s.label, s.layer) for s in annotation.spans] == [
        ("Ann Smith", "Person", "ents"),
        ("Smith", "Person", "sc"),
        ("Paris", "GPE", "ents"),
    ]
    assert any("kept in span group 'sc'" in w.reason for w in problems.warnings)
    assert [r.label for r in annotation.relations] == ["In"]


def test_windows_line_ends_and_non_ascii_offsets(tmp_path: Path) -> None:
    text = "Zoë 😀 visited\r\nKöln\r\nand 東京."
    ann = f"T1\tPerson 0 3\tZoë\nT2\tGPE {text.index('Köln')} {text.index('Köln') + 4}\tKöln\nT3\tGPE {text.index('東京')} {text.index('東京') + 2}\t東京\n"
    write_doc(tmp_path, text, ann)
    problems = Problems()
    [(task, annotation)] = list(brat.read(tmp_path, problems))
    assert task.text == text and not problems.bad
    assert [task.text[s.start : s.end] for s in annotation.spans] == ["Zoë", "Köln", "東京"]


def test_a_span_across_a_line_break_is_written_on_one_line(tmp_path: Path) -> None:
    text = "He saw New\nYork."
    task = Task(text, tokenize(text), 1, {"source": "ny.txt"})
    start, end = text.index("New"), text.index("York") + 4
    aligned = (
        next(t.id for t in task.tokens if t.start == start),
        next(t.id for t in task.tokens if t.end == end),
    )
    annotation = Annotation(
        (Span(start, end, *aligned, "GPE", sid=1), Span(0, 2, 0, 0, "PER", sid=2)), (Relation(2, 1, "SAW"),)
    )
    brat.write(tmp_path / "o", [(task, annotation)])
    ann = (tmp_path / "o" / "ny.ann").read_text()
    assert ann.splitlines()[1] == f"T2\tGPE {start} {end}\tNew York"
    [(_, back)] = list(brat.read(tmp_path / "o", Problems()))
    assert back.content() == annotation.content()


# Every kind of whitespace str.isspace knows, in a label: a plain space, a tab, a no-break space,
# a line separator, an information separator (which Python counts as whitespace), and none at all.
@pytest.mark.parametrize("label", ["A B", "A\tB", "A\u00a0B", "A\u2028", "\x1cA", ""])
def test_labels_with_spaces_cannot_be_written(tmp_path: Path, label: str) -> None:
    from annotator.core.errors import AnnotatorError

    task = Task("Ann", tokenize("Ann"), 1)
    good = Task("Bob", tokenize("Bob"), 2)
    with pytest.raises(AnnotatorError, match="whitespace"):
        brat.write(
            tmp_path / "o",
            [
                (good, Annotation((Span(0, 3, 0, 0, "B", sid=1),))),
                (task, Annotation((Span(0, 3, 0, 0, label, sid=1),))),
            ],
        )
    assert list((tmp_path / "o").iterdir()) == []  # the good task before it is not written either


def test_documents_of_one_source_are_numbered_and_nothing_else_is_left_behind(tmp_path: Path) -> None:
    """Tasks from one source are named source, source-2, source-3 ... (the next number is
    remembered, not searched for from 1), a task whose own name is one of those takes the next
    free one, and the folder holds the documents and annotation.conf only (no temporary folder,
    and one left by an export that was killed is removed)."""
    out = tmp_path / "o"
    out.mkdir()
    stale = out / f"{atomic.FOLDER_TMP}999999999"  # a pid that does not run
    stale.mkdir()
    (stale / "half.txt").write_text("x", encoding="utf-8")

    def task(text: str, source: str) -> tuple[Task, Annotation]:
        return Task(text, tokenize(text), len(text), {"source": source}), Annotation()

    items = [task(f"Text number {i} .", "news.txt") for i in range(300)]
    items.insert(5, task("A text of its own .", "news-7.txt"))
    brat.write(out, items)
    names = sorted(p.name for p in out.iterdir())
    docs = sorted(n.removesuffix(".txt") for n in names if n.endswith(".txt"))
    assert len(docs) == 301 and {"news", "news-7", "news-301"} <= set(docs) and "news-302" not in docs
    assert (out / "news-7.txt").read_text(encoding="utf-8") == "A text of its own ."
    assert set(names) == {f"{d}.txt" for d in docs} | {f"{d}.ann" for d in docs} | {"annotation.conf"}


def test_a_link_where_a_document_goes_is_refused(tmp_path: Path) -> None:
    from annotator.core.errors import AnnotatorError

    out = tmp_path / "o"
    out.mkdir()
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep", encoding="utf-8")
    (out / "doc-00001.txt").symlink_to(target)
    with pytest.raises(AnnotatorError, match="symbolic link"):
        brat.write(out, [(Task("Ann", tokenize("Ann"), 1), Annotation())])
    assert target.read_text(encoding="utf-8") == "keep"
    assert not any(p.name.startswith(atomic.FOLDER_TMP) for p in out.iterdir())


def test_a_txt_without_ann_is_skipped_with_a_warning_and_a_missing_txt_is_bad(tmp_path: Path) -> None:
    (tmp_path / "lonely.txt").write_text("nothing here")
    (tmp_path / "orphan.ann").write_text("T1\tX 0 1\ta\n")
    write_doc(tmp_path, "Ann", "T1\tPerson 0 3\tAnn\n")
    problems = Problems()
    items = list(brat.read(tmp_path, problems))
    assert len(items) == 1
    assert [b.source.endswith("orphan.ann") for b in problems.bad] == [True]
    assert (
        brat.read_document(tmp_path / "lonely.txt", tmp_path / "lonely.ann", "lonely.txt", problems) is None
    )
    assert any("not been annotated" in w.reason for w in problems.warnings)


def test_offsets_that_count_windows_line_ends_as_one_character_are_recognised(tmp_path: Path) -> None:
    text = "Ann\r\nmet\r\nBob."
    unix = text.replace("\r\n", "\n")
    ann = f"T1\tPerson {unix.index('Bob')} {unix.index('Bob') + 3}\tBob\n"
    write_doc(tmp_path, text, ann)
    problems = Problems()
    [(task, annotation)] = list(brat.read(tmp_path, problems))
    assert not problems.bad
    assert task.text == unix and [task.text[s.start : s.end] for s in annotation.spans] == ["Bob"]
    assert sum(problems.notes.values()) == 1


def test_line_separators_inside_a_span_do_not_break_the_ann_file(tmp_path: Path) -> None:
    text = "Ann\u2028Lee met Bob"
    task = Task(text, tokenize(text), 1, {"source": "sep.txt"})
    start, end = 0, text.index("Lee") + 3
    ids = (0, next(t.id for t in task.tokens if t.end == end))
    annotation = Annotation((Span(start, end, *ids, "PER", sid=1),))
    brat.write(tmp_path / "o", [(task, annotation)])
    problems = Problems()
    [(_, back)] = list(brat.read(tmp_path / "o", problems))
    assert back.content() == annotation.content() and not problems.bad


def test_a_200k_line_ann_imports_in_seconds(tmp_path: Path) -> None:
    """Issue 8 item 9: the overlap check compared each span with every earlier one (a 32k-line .ann
    took 16 s of CPU, a 200k-line one more than 6 minutes). Now it sorts once: 200,000 T lines in
    random order, a hundred of them overlapping (kept in the span group), and 2,000 R lines import
    well inside the bound,
    which leaves room for a machine shared by several test runs."""
    rnd = random.Random(7)
    words, lines, pos = [], [], 0
    for i in range(200_000):
        word = rnd.choice(("Seoul", "Ahn", "Nakatani", "Japan", "talks"))
        words.append(word)
        lines.append(f"T{i + 1}\tPER {pos} {pos + len(word)}\t{word}")
        pos += len(word) + 1
    lines += [
        f"T{200_001 + k}\tORG {k * 20} {k * 20 + 9}\t{' '.join(words)[k * 20 : k * 20 + 9]}"
        for k in range(100)
    ]
    rnd.shuffle(lines)
    lines += [f"R{k}\tMET Arg1:T{k} Arg2:T{k + 1}\t" for k in range(1, 2001)]
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "doc.txt").write_text(" ".join(words), encoding="utf-8")
    (folder / "doc.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")
    started = time.perf_counter()
    with Store(tmp_path / "big.db") as store:
        report = import_file(store, folder, "big", "a")
    took = time.perf_counter() - started
    # Each ORG overlaps a PER: kept, in the span group sc (brat does not say which layer a span is).
    assert not report.problems.bad
    assert report.counts.spans == 200_100
    assert report.counts.relations == 2000
    with Store(tmp_path / "big.db") as store:
        (task_id,) = store.task_ids("big")
        stored = store.state(task_id, "a").stored
    assert stored is not None
    assert sum(1 for s in stored.spans if s.layer == "sc") >= 100
    assert took < 180, f"{took:.1f} s"


def test_an_empty_output_folder_is_replaced_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    """Into an empty folder, the documents' temporary folder (beside it) takes the folder's place in
    one rename: the folder keeps its own mode, and nothing is left beside it, not even a temporary
    folder of an export that was killed."""
    out = tmp_path / "o"
    out.mkdir()
    out.chmod(0o750)
    stale = tmp_path / f".o{atomic.FOLDER_TMP}999999999"  # a pid that does not run
    stale.mkdir()
    (stale / "half.txt").write_text("x", encoding="utf-8")
    inode = out.stat().st_ino
    brat.write(out, [(Task("Ann", tokenize("Ann"), 1, {"source": "a.txt"}), Annotation())])
    assert out.stat().st_mode & 0o777 == 0o750
    assert out.stat().st_ino != inode  # replaced, not filled file by file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]
    assert sorted(p.name for p in out.iterdir()) == ["a.ann", "a.txt", "annotation.conf"]
    # Into a folder that holds something, the files are moved one by one and the rest stays.
    (out / "notes.md").write_text("mine", encoding="utf-8")
    brat.write(out, [(Task("Bob", tokenize("Bob"), 2, {"source": "b.txt"}), Annotation())])
    assert sorted(p.name for p in out.iterdir()) == [
        "a.ann", "a.txt", "annotation.conf", "b.ann", "b.txt", "notes.md"
    ]  # fmt: skip
    assert (out / "notes.md").read_text(encoding="utf-8") == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]


def test_spans_and_relations_are_written_in_the_order_annotation_sorted_gives(tmp_path: Path) -> None:
    """Whatever order the store holds them in (entity rows of seven fields, span-group rows of
    eight), the .ann lists spans and relations as ``Annotation.sorted`` orders them."""
    text = "Ann met Bob in Paris ."
    spans = [
        Span(8, 11, 2, 3, "PER", None, 5),
        Span(0, 3, 0, 1, "PER", None, 9),
        Span(15, 20, 4, 5, "LOC", None, 2),
        Span(0, 3, 0, 1, "ROLE", None, 7, "sc"),
        Span(0, 3, 0, 1, "AGENT", None, 4, "sc"),
    ]
    relations = [Relation(5, 2, "in"), Relation(9, 5, "met"), Relation(9, 2, "in"), Relation(7, 5, "as")]
    rnd = random.Random(0)
    for n in range(6):
        rnd.shuffle(spans)
        rnd.shuffle(relations)
        annotation = Annotation(tuple(spans), tuple(relations))
        ordered = annotation.sorted()
        ids = {s.sid: i for i, s in enumerate(ordered.spans, 1)}
        expected = [
            f"T{ids[s.sid]}\t{s.label} {s.start} {s.end}\t{text[s.start : s.end]}" for s in ordered.spans
        ]
        expected += [
            f"R{i}\t{r.label} Arg1:T{ids[r.head]} Arg2:T{ids[r.child]}\t"
            for i, r in enumerate(ordered.relations, 1)
        ]
        row = StoredRow(
            n,
            text,
            {"source": f"d{n}.txt"},
            [
                [s.start, s.end, s.token_start, s.token_end, s.label, s.source, s.sid, s.layer][
                    : 7 if s.layer == "ents" else 8
                ]
                for s in spans
            ],
            [[r.head, r.child, r.label, r.source] for r in relations],
        )
        brat.write_rows(tmp_path / "rows", [row])
        brat.write(tmp_path / "items", [(Task(text, tokenize(text), n, {"source": f"d{n}.txt"}), annotation)])
        for out in ("rows", "items"):
            assert (tmp_path / out / f"d{n}.ann").read_text(encoding="utf-8").splitlines() == expected
