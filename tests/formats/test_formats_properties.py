"""Property tests: random valid tasks (emoji, combining marks, CJK, Arabic, Hebrew, odd whitespace)
written and read back in each format are unchanged, within what the format can hold."""

from __future__ import annotations

import tempfile
from pathlib import Path
from types import ModuleType

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.model import Annotation, Task
from annotator.formats import brat, conll, docbin, doccano, jsonl
from annotator.formats.problems import Problems
from tests.formats_support import messages
from tests.strategies import annotated_tasks

Items = list[tuple[Task, Annotation]]
batches = st.lists(annotated_tasks(min_spans=0), min_size=1, max_size=3)
SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def round_trip(module: ModuleType, items: Items) -> Items:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out"
        counts = module.write(path, items)
        assert (counts.tasks, counts.spans, counts.relations) == (
            len(items),
            sum(len(a.spans) for _, a in items),
            sum(len(a.relations) for _, a in items),
        )
        problems = Problems()
        back = list(module.read(path, problems))
        assert not problems.bad, messages(problems)
        assert not problems.warnings, messages(problems)
        return back


def spans_with_sources(a: Annotation) -> list[tuple[int, int, str, str | None]]:
    return sorted((s.start, s.end, s.label, s.source) for s in a.spans)


def relations_with_sources(a: Annotation) -> list[tuple[tuple[int, int], tuple[int, int], str, str]]:
    by = {s.sid: (s.start, s.end) for s in a.spans}
    return sorted((by[r.head], by[r.child], r.label, r.source or "") for r in a.relations)


@SETTINGS
@given(batches)
def test_jsonl_keeps_everything(items: Items) -> None:
    back = round_trip(jsonl, items)
    for (task, ann), (t2, a2) in zip(items, back, strict=True):
        assert (t2.text, t2.tokens, t2.input_hash, t2.meta, t2.extra) == (
            task.text,
            task.tokens,
            task.input_hash,
            task.meta,
            task.extra,
        )
        assert spans_with_sources(a2) == spans_with_sources(ann)
        assert relations_with_sources(a2) == relations_with_sources(ann)
        assert (a2.answer, a2.annotator, a2.session, a2.timestamp) == (
            ann.answer,
            ann.annotator,
            ann.session,
            ann.timestamp,
        )


@SETTINGS
@given(batches)
def test_spacy_docbin_keeps_text_spans_relations_and_task_fields(items: Items) -> None:
    back = round_trip(docbin, items)
    for (task, ann), (t2, a2) in zip(items, back, strict=True):
        assert (t2.text, t2.input_hash, t2.meta, t2.extra) == (
            task.text,
            task.input_hash,
            task.meta,
            task.extra,
        )
        # uncovered whitespace becomes whitespace tokens, as spaCy's tokenizer makes them
        assert [t for t in t2.tokens if not t.text.isspace()] != [] or not task.tokens
        assert [(t.text, t.start, t.end) for t in t2.tokens if not t.text.isspace()] == [
            (t.text, t.start, t.end) for t in task.tokens
        ]
        assert a2.content() == ann.content()
        assert (a2.answer, a2.annotator, a2.session, a2.timestamp) == (
            ann.answer,
            ann.annotator,
            ann.session,
            ann.timestamp,
        )


@SETTINGS
@given(batches)
def test_doccano_keeps_text_spans_relations_meta_and_other_keys(items: Items) -> None:
    back = round_trip(doccano, items)
    for (task, ann), (t2, a2) in zip(items, back, strict=True):
        assert t2.text == task.text
        assert a2.content() == ann.content()
        assert t2.meta == task.meta
        assert t2.extra == {k: v for k, v in task.extra.items() if k not in doccano.SHAPE_KEYS}


@SETTINGS
@given(batches)
def test_brat_keeps_text_spans_and_relations(items: Items) -> None:
    back = round_trip(brat, items)
    for (task, ann), (t2, a2) in zip(items, back, strict=True):
        assert t2.text == task.text
        assert a2.content() == ann.content()


@SETTINGS
@given(st.lists(annotated_tasks(min_tokens=1), min_size=1, max_size=3))
def test_conll_keeps_tokens_and_spans_by_token(items: Items) -> None:
    # An empty text is written as an empty document, which readers (this one, spaCy's) skip.
    back = round_trip(conll, items)
    for (task, ann), (t2, a2) in zip(items, back, strict=True):
        assert [t.text for t in t2.tokens if t.text != "\n"] == [t.text for t in task.tokens]
        assert all(t2.text[t.start : t.end] == t.text for t in t2.tokens)

        def words(t: Task, a: Annotation) -> list[tuple[list[str], str]]:
            return [
                ([x.text for x in t.tokens[s.token_start : s.token_end + 1] if x.text != "\n"], s.label)
                for s in a.sorted().spans
            ]

        assert words(t2, a2) == words(task, ann)
