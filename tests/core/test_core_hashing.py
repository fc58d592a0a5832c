"""Stable hashes: the same input gives the same number in another process (another PYTHONHASHSEED),
and the task hash follows what the annotation says, relations included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace

from annotator.core.hashing import input_hash, task_hash
from annotator.core.model import Annotation, Relation, Task
from annotator.core.validate import make_span
from tests.conftest import REPO
from tests.strategies import tokenize

TEXT = "SEOUL — South Korea’s defense minister Ahn Gyu-back met Japan’s Nakatani. 東京 👍 שלום"
AHN = (TEXT.index("Ahn Gyu-back"), TEXT.index("Ahn Gyu-back") + len("Ahn Gyu-back"))
META = {"source": "defense-ministers-seoul.txt", "section": 2, "nested": {"b": [1, 2], "a": None}}

_CHILD = """
import json, sys
from annotator.core.hashing import input_hash, task_hash
from annotator.core.model import Annotation, Relation, Span
text, meta, (start, end) = json.loads(sys.argv[1])
# Token indices do not count in the hash, only offsets and labels.
spans = (Span(0, 5, 0, 0, "GPE", None, 7), Span(start, end, 0, 0, "PERSON", None, 3))
ann = Annotation(spans, (Relation(3, 7, "LOCATED_IN"),))
ih = input_hash(text, meta, ("source", "nested"))
print(json.dumps([input_hash(text), ih, task_hash(ih, ann), hash(text)]))
"""


def hashes_in_child(seed: str) -> list[int]:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps([TEXT, META, AHN])],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    result: list[int] = json.loads(out.stdout)
    return result


def test_hashes_are_the_same_in_processes_with_other_hash_seeds() -> None:
    first, second = hashes_in_child("1"), hashes_in_child("4242")
    assert first[3] != second[3], "the seeds should change Python's own hash(), or this proves nothing"
    assert first[:3] == second[:3]
    # ... and the same as in this process.
    task = Task(TEXT, tokenize(TEXT), 0)
    spans = (make_span(task, 0, 5, "GPE", sid=7), make_span(task, *AHN, "PERSON", sid=3))
    ih = input_hash(TEXT, META, ("source", "nested"))
    assert [input_hash(TEXT), ih] == first[:2]
    assert task_hash(ih, Annotation(spans, (Relation(3, 7, "LOCATED_IN"),))) == first[2]


def test_input_hash_fits_53_bits_and_depends_on_text_and_chosen_meta_keys_only() -> None:
    h = input_hash(TEXT)
    assert 0 <= h < 2**53
    assert input_hash(TEXT + " ") != h
    assert input_hash(TEXT, META) == h  # meta counts only through the keys that identify the input
    assert input_hash(TEXT, META, ("source",)) != h
    assert input_hash(TEXT, META, ("source",)) != input_hash(
        TEXT, {**META, "source": "other.txt"}, ("source",)
    )
    reordered = {"nested": {"a": None, "b": [1, 2]}, "section": 2, "source": META["source"]}
    assert input_hash(TEXT, reordered, ("source", "nested")) == input_hash(TEXT, META, ("source", "nested"))
    assert input_hash(TEXT, META, ("missing",)) == h


def test_input_hash_of_a_text_alone_is_the_one_it_always_was() -> None:
    """The text alone is hashed by a shorter way (no list or dict made): the same numbers as the
    general way (a key the meta lacks) and as before it."""
    odd = 'a"b\\c\n\u2028\x00é'
    assert [input_hash(t) for t in (TEXT, "", odd)] == [652600817557400, 402445682123854, 7087144100211115]
    assert all(input_hash(t) == input_hash(t, {}, ("missing",)) for t in (TEXT, "", odd))


def test_task_hash_changes_with_spans_and_relations() -> None:
    text = "Ann met Bob in Paris"
    task = Task(text, tokenize(text), input_hash(text))
    ann, bob, paris = (
        make_span(task, 0, 3, "PERSON", sid=1),
        make_span(task, 8, 11, "PERSON", sid=2),
        make_span(task, 15, 20, "GPE", sid=3),
    )
    base = Annotation((ann, bob, paris), (Relation(1, 2, "MET"),))
    h = task_hash(task.input_hash, base)
    assert 0 <= h < 2**53
    variants = {
        "relation removed": replace(base, relations=()),
        "relation relabelled": replace(base, relations=(Relation(1, 2, "KNOWS"),)),
        "relation reversed": replace(base, relations=(Relation(2, 1, "MET"),)),
        "relation added": replace(base, relations=(Relation(1, 2, "MET"), Relation(1, 3, "IN"))),
        "span relabelled": replace(base, spans=(ann, bob, replace(paris, label="LOC"))),
        "span removed": replace(base, spans=(ann, bob)),
        "other input": base,
    }
    for what, variant in variants.items():
        ih = task.input_hash + 1 if what == "other input" else task.input_hash
        assert task_hash(ih, variant) != h, what
    # What the annotation does not say (ids, order, sources, answer, annotator) leaves it alone.
    same = Annotation(
        (replace(paris, sid=9), replace(bob, sid=4, source="model"), replace(ann, sid=8)),
        (Relation(8, 4, "MET", "alice"),),
        answer="accept",
        annotator="alice",
    )
    assert task_hash(task.input_hash, same) == h
