"""CoNLL columns: what is written, what spaCy's converter and seqeval make of it, reading back."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from seqeval.metrics import classification_report
from seqeval.metrics.sequence_labeling import get_entities
from seqeval.scheme import IOB2

from annotator.core.model import Annotation, Span, Task, Token
from annotator.core.validate import make_span
from annotator.formats import conll, jsonl
from annotator.formats.problems import Problems
from annotator.formats.tokens import split_tokens, tokenize
from tests.formats_support import REL_FILE, messages, totals


@pytest.fixture(scope="module")
def gold() -> list[tuple[Task, Annotation]]:
    return list(jsonl.read(REL_FILE, Problems()))[:40]


def span_words(task: Task, ann: Annotation) -> list[tuple[list[str], str]]:
    """What CoNLL holds of each span: its (non-whitespace) tokens and its label."""
    return [
        ([t.text for t in task.tokens[s.token_start : s.token_end + 1] if not t.text.isspace()], s.label)
        for s in ann.sorted().spans
    ]


def tag_sequences(path: Path) -> list[list[str]]:
    sents: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            if sents[-1]:
                sents.append([])
        elif not line.startswith("-DOCSTART-"):
            sents[-1].append(line.split()[-1])
    return [s for s in sents if s]


def test_seqeval_reads_the_tags_strictly_as_iob2_and_finds_every_span(
    gold: list[tuple[Task, Annotation]], tmp_path: Path
) -> None:
    out = tmp_path / "gold.conll"
    conll.write(out, gold)
    tags = tag_sequences(out)
    found = sum(len(get_entities(s)) for s in tags)
    assert found == sum(len(a.spans) for _, a in gold)
    # strict IOB2 raises on a malformed sequence; a perfect match scores 1.0
    report = classification_report(tags, tags, mode="strict", scheme=IOB2, output_dict=True)
    assert report["micro avg"]["f1-score"] == 1.0
    assert report["micro avg"]["support"] == found


def test_spacy_convert_accepts_the_file_with_the_same_documents_and_entities(
    gold: list[tuple[Task, Annotation]], tmp_path: Path
) -> None:
    out = tmp_path / "gold.conll"
    conll.write(out, gold)
    done = subprocess.run(
        [sys.executable, "-m", "spacy", "convert", str(out), str(tmp_path), "--converter", "ner"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    docs = list(DocBin().from_disk(tmp_path / "gold.spacy").get_docs(Vocab()))
    assert len(docs) == len(gold)
    for doc, (task, ann) in zip(docs, gold, strict=True):
        assert [t.text for t in doc] == [t.text for t in task.tokens if not t.text.isspace()]
        assert [([t.text for t in e], e.label_) for e in doc.ents] == span_words(task, ann)


def test_reading_back_rebuilds_text_and_offsets_exactly_and_writing_again_is_identical(
    gold: list[tuple[Task, Annotation]], tmp_path: Path
) -> None:
    first = tmp_path / "a.conll"
    conll.write(first, gold)
    problems = Problems()
    back = list(conll.read(first, problems))
    assert not problems.bad, messages(problems)
    assert totals(back) == (len(gold), sum(len(a.spans) for _, a in gold), 0)
    for (task, ann), (t2, a2) in zip(gold, back, strict=True):
        assert [t.text for t in t2.tokens if t.text != "\n"] == [
            t.text for t in task.tokens if not t.text.isspace()
        ]
        assert all(t2.text[t.start : t.end] == t.text for t in t2.tokens)
        assert span_words(t2, a2) == span_words(task, ann)
    second = tmp_path / "b.conll"
    conll.write(second, back)
    assert second.read_bytes() == first.read_bytes()


def test_sentences_break_at_line_breaks_no_span_crosses(tmp_path: Path) -> None:
    text = "Ann met Bob.\nThey went to New\nYork.\n\nEnd"
    task = Task(text, tokenize(text), 1)
    tok = {t.text: t.id for t in task.tokens}
    ny = Span(text.index("New"), text.index("York") + 4, tok["New"], tok["York"], "GPE", sid=2)
    ann = Annotation((Span(0, 3, 0, 0, "PER", sid=1), ny))
    out = tmp_path / "s.conll"
    conll.write(out, [(task, ann)])
    assert out.read_text() == (
        "-DOCSTART- -X- O O\n\n"
        "Ann B-PER\nmet O\nBob O\n. O\n\n"
        "They O\nwent O\nto O\nNew B-GPE\nYork I-GPE\n. O\n\n"
        "End O\n\n"
    )
    [(t2, a2)] = list(conll.read(out, Problems()))
    assert t2.text == "Ann met Bob .\nThey went to New York .\nEnd"
    assert [t2.text[s.start : s.end] for s in a2.spans] == ["Ann", "New York"]


def test_a_task_conll_cannot_hold_is_left_out_and_named_and_the_rest_written(tmp_path: Path) -> None:
    text = "New York City"
    task = Task(text, tokenize(text), 42, {"source": "nyc.txt"})
    overlapping = Annotation((Span(0, 8, 0, 1, "GPE", sid=1), Span(4, 13, 1, 2, "GPE", sid=2)))
    spaced = Task("a b", (Token("a b", 0, 3, 0, False),), 7)
    good = Task("Ann", tokenize("Ann"), 8)
    out = tmp_path / "x.conll"
    counts = conll.write(out, [(task, overlapping), (spaced, Annotation()), (good, Annotation())])
    assert counts.failed == 2 and counts.tasks == 1
    assert re.search(r"task 42 \(nyc.txt\).*overlap.*left out", counts.said[0])
    assert re.search(r"task 7.*whitespace.*left out", counts.said[1])
    assert out.read_text(encoding="utf-8") == "-DOCSTART- -X- O O\n\nAnn O\n\n"


def test_a_whitespace_only_span_is_left_out_and_the_rest_written(tmp_path: Path) -> None:
    """Issue 9 item 12: one such span of 5,349 blocked a whole export (rc 1, no file)."""
    text = "Ann  met Bob"
    tokens = split_tokens(text, tokenize(text), [3], [5])[0]  # the double space's second is a token
    task = Task(text, tokens, 9, {"source": "ws.txt"})
    blank = make_span(task, 3, 5, "PER", sid=1)
    ann = Annotation((make_span(task, 0, 3, "PER", sid=2), blank, make_span(task, 9, 12, "PER", sid=3)))
    out = tmp_path / "ws.conll"
    counts = conll.write(out, [(task, ann)])
    assert (counts.tasks, counts.spans, counts.failed) == (1, 2, 0)
    assert counts.left_out == {conll.WHITESPACE_SPANS: 1}
    assert "span [3:5] PER is only whitespace; left out" in counts.said[0]
    assert "Ann B-PER" in out.read_text(encoding="utf-8") and "Bob B-PER" in out.read_text(encoding="utf-8")


def test_reader_takes_iob1_bioes_and_reports_bad_lines_per_document(tmp_path: Path) -> None:
    path = tmp_path / "in.conll"
    path.write_text(
        "-DOCSTART- -X- O O\n\n"
        "EU NNP I-ORG\nrejects VBZ O\nGerman JJ I-MISC\ncall NN O\n\n"
        "-DOCSTART- -X- O O\n\n"
        "Peter S-PER\nBlackburn O\nin O\nNew B-LOC\nYork E-LOC\n\n"
        "-DOCSTART- -X- O O\n\n"
        "Bad\nline O\n\n"
        "-DOCSTART- -X- O O\n\n"
        "x PER\n"
    )
    problems = Problems()
    items = list(conll.read(path, problems))
    assert [(b.line, b.reason.split(" ")[0]) for b in problems.bad] == [(18, "expected"), (23, "tag")]
    # the place is said once (issue 9 item 18: "x.txt:3: line 3: ...")
    assert str(problems.bad[1]) == f"{path}:23: tag 'PER' is not O or B-/I-/E-/S- (or L-/U-) plus a label"
    assert [[(t.text[s.start : s.end], s.label) for s in a.spans] for t, a in items] == [
        [("EU", "ORG"), ("German", "MISC")],
        [("Peter", "PER"), ("New York", "LOC")],
    ]
    assert problems.notes[conll.IOB1_NOTE] == 2


def test_a_file_without_docstart_gives_one_task_per_sentence(tmp_path: Path) -> None:
    path = tmp_path / "s.bio"
    path.write_text("Ann\tB-PER\nsings\tO\n\nBob\tB-PER\n")
    items = list(conll.read(path, Problems()))
    assert [t.text for t, _ in items] == ["Ann sings", "Bob"]
