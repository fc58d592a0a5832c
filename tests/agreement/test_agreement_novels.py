"""The novels corpus (therosko/Thesis-NER-in-English-novels): two annotators' token TSVs per novel and
the published per-novel token Cohen's kappa (``published-kappa.txt``), reproduced.

How the thesis computed them (its ``scripts/interannotator_agreement.py``): read ``original_word``,
``ner`` and the nested second layer ``m_ner``; give each token ``O`` unless a column *contains* one
of the tag strings, in the order B-PERSON, I-PERSON (, B-PERX, I-PERX), the later match and
``m_ner`` winning; map the tags to B-PER / I-PER; Cohen's kappa over the three BIO labels O, B-PER,
I-PER. "PERSON label" uses PERSON tags only, "PERX label" counts PERSON and PERX both as PER.

Quirks of the files, and what each reading does with them: the Cyrillic "О" (for O) and "Out" (in
``m_ner``) contain no tag, so both read as O either way. "B-PEROSN" (Pride and Prejudice, the same
token in both files) does not contain "B-PERSON", so the published figure reads it as O; "OB-PERX"
contains "B-PERX"; "И-PERX" (Frankenstein; Cyrillic И, after "his"/"her" tagged B-PERX, so meant
as I-PERX) contains no tag and reads as O. The repeated header rows the fixtures README mentions are
not in this copy (only the first line is a header); the tool's reading skips any it finds.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sklearn.metrics import cohen_kappa_score

from annotator.core.agreement import Version, cohen_kappa, compare
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Span, Task, Token
from annotator.core.validate import make_span
from tests.conftest import FIXTURES

NOVELS = FIXTURES / "agreement" / "novels"
PERSON = ("B-PERSON", "I-PERSON")
PERSON_AND_PERX = ("B-PERSON", "I-PERSON", "B-PERX", "I-PERX")
REPAIRS = {"B-PEROSN": "B-PERSON", "И-PERX": "I-PERX", "OB-PERX": "B-PERX", "О": "O", "Out": "O"}


def published() -> dict[str, tuple[float, float]]:
    out = {}
    for line in (NOVELS / "published-kappa.txt").read_text().splitlines()[1:]:
        name, person, perx = (p.strip(" \\") for p in line.split("&"))
        out[name] = (float(person), float(perx))
    assert len(out) == 12
    return out


PUBLISHED = published()


def rows(path: Path) -> list[tuple[str, str, str]]:
    """(word, ner, m_ner) of each row; blank lines skipped, as pandas does."""
    lines = path.read_text(encoding="utf-8").split("\n")
    header = lines[0].split("\t")
    assert header == ["original_word", "ner", "m_ner"]
    out = []
    for line in lines[1:]:
        if line.strip():
            word, ner, m_ner = line.split("\t")[:3]
            out.append((word, ner, m_ner))
    return out


def thesis_labels(data: list[tuple[str, str, str]], tags: tuple[str, ...], repair: bool = False) -> list[str]:
    """The thesis' BIO label of each token (see the module docstring)."""
    out = []
    for _, ner, m_ner in data:
        if repair:
            ner, m_ner = REPAIRS.get(ner, ner), REPAIRS.get(m_ner, m_ner)
        label = "O"
        for tag in tags:
            if tag in ner:
                label = tag
            if tag in m_ner:
                label = tag
        out.append("O" if label == "O" else label[:2] + "PER")
    return out


def as_version(data: list[tuple[str, str, str]], tags: tuple[str, ...]) -> Version:
    """The novel as one task (words joined by spaces) with the annotator's PER spans, read the way
    this tool reads BIO: quirks repaired, an I- that does not continue a span starts one."""
    words = [w for w, ner, _ in data if (w, ner) != ("original_word", "ner")]
    kept = [r for r in data if (r[0], r[1]) != ("original_word", "ner")]
    tokens, pos = [], 0
    for i, w in enumerate(words):
        tokens.append(Token(w, pos, pos + len(w), i, i < len(words) - 1))
        pos += len(w) + 1
    text = " ".join(words)
    task = Task(text, tuple(tokens), input_hash(text))
    bio = thesis_labels(kept, tags, repair=True)
    spans: list[Span] = []
    start: int | None = None
    for i, tag in enumerate([*bio, "O"]):
        if start is not None and tag != "I-PER":
            spans.append(make_span(task, tokens[start].start, tokens[i - 1].end, "PER", None, len(spans) + 1))
            start = None
        if tag == "B-PER" or (tag == "I-PER" and start is None):
            start = i
    return Version(task, Annotation(tuple(spans), answer="accept"), task.text[:20])


@pytest.mark.parametrize("novel", sorted(PUBLISHED))
def test_published_per_novel_kappa_is_reproduced(novel: str) -> None:
    one, two = rows(NOVELS / "gs" / f"{novel}_1.tsv"), rows(NOVELS / "gs" / f"{novel}_2.tsv")
    assert [w for w, _, _ in one] == [w for w, _, _ in two]  # same tokens: rows pair up
    for tags, figure in zip((PERSON, PERSON_AND_PERX), PUBLISHED[novel], strict=True):
        a, b = thesis_labels(one, tags), thesis_labels(two, tags)
        ours = cohen_kappa(a, b)
        assert ours is not None
        assert round(ours, 2) == figure
        expected = cohen_kappa_score(a, b) if len(set(a) | set(b)) > 1 else 1.0
        assert ours == pytest.approx(expected)


@pytest.mark.parametrize("novel", sorted(PUBLISHED))
def test_the_tools_io_token_kappa_on_the_novels(novel: str) -> None:
    """The full path: TSV -> task and spans -> compare(). The tool's figure is over IO labels, so
    it differs from the published BIO figure (B/I confusions stop counting as disagreements, and
    chance agreement changes), by at most 0.015 on these novels."""
    one, two = rows(NOVELS / "gs" / f"{novel}_1.tsv"), rows(NOVELS / "gs" / f"{novel}_2.tsv")
    for tags, figure in zip((PERSON, PERSON_AND_PERX), PUBLISHED[novel], strict=True):
        va, vb = as_version(one, tags), as_version(two, tags)
        report = compare({1: va}, {1: vb}, ("1", "2"))
        assert report.tasks.compared == 1 and report.tokens.tasks_left_out == 0
        io_a = [t[2:] if t != "O" else t for t in thesis_labels(one, tags, repair=True)]
        io_b = [t[2:] if t != "O" else t for t in thesis_labels(two, tags, repair=True)]
        assert report.tokens.tokens == len(io_a)
        expected = cohen_kappa_score(io_a, io_b) if len(set(io_a) | set(io_b)) > 1 else 1.0
        assert report.tokens.cohen_kappa == pytest.approx(expected)
        assert report.tokens.cohen_kappa is not None
        assert abs(report.tokens.cohen_kappa - figure) <= 0.015 + 0.005  # published figures are rounded
