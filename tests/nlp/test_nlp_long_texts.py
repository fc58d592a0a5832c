"""Long texts with the real model: read in pieces into one task, cut into parts past
MAX_TASK_CHARS, and no text (however long, or one the model fails on) stops the others."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from spacy.language import Language
from typer.testing import CliRunner

from annotator.cli import app
from annotator.config import resolve_scheme
from annotator.core.errors import BadRecord
from annotator.core.model import Annotation, Task
from annotator.core.pieces import MAX_TASK_CHARS, PIECE_CHARS
from annotator.core.validate import validate_annotation
from annotator.feed import FeedDone, FeedEvent, feed
from annotator.nlp.lazy import LazyPreannotator
from annotator.nlp.model import entity_labels, load_model
from annotator.nlp.preannotate import doc_to_task, preannotate_stream
from annotator.nlp.relations import RelationSuggester
from annotator.sources import SourceItem, read_source
from annotator.store import Store
from tests.conftest import SAMPLE
from tests.nlp.test_preannotate_cli import same_model  # noqa: F401  (a fixture)

ARTICLE = SAMPLE.read_text(encoding="utf-8")
LONG = "\n\n".join([ARTICLE] * 5)  # five copies: past PIECE_CHARS, so read in pieces
# Past MAX_TASK_CHARS with little for the model to read: long runs of spaces between copies.
HUGE = "".join(f"{ARTICLE}\n\n{' ' * (MAX_TASK_CHARS // 4)}\n\n" for _ in range(4))


@pytest.fixture(scope="module")
def nlp() -> Language:
    return load_model(None)


@pytest.fixture(scope="module")
def suggester(nlp: Language) -> RelationSuggester:
    return RelationSuggester(
        nlp.vocab, resolve_scheme(None, None, None, entity_labels(nlp)), model_source="m"
    )


def assert_covers(task: Task, annotation: Annotation) -> None:
    """Tokens in order, numbered 0..n-1, each its own text, nothing but whitespace between them;
    the suggestions valid on them."""
    text, tokens = task.text, task.tokens
    assert [t.id for t in tokens] == list(range(len(tokens)))
    assert all(text[t.start : t.end] == t.text for t in tokens)
    ends = [0, *(t.end for t in tokens)]
    starts = [*(t.start for t in tokens), len(text)]
    assert all(a <= b and not text[a:b].strip() for a, b in zip(ends, starts, strict=True))
    validate_annotation(task, annotation)


def test_a_long_text_is_read_in_pieces_into_one_task(nlp: Language, suggester: RelationSuggester) -> None:
    assert len(LONG) > 5 * PIECE_CHARS // 4
    scheme = suggester.scheme
    item = SourceItem.from_text(LONG, {"source": "long.txt"})
    [(task, annotation)] = preannotate_stream(
        nlp, [item], scheme, model_name="m", relation_suggester=suggester
    )
    assert task.text == LONG and task.meta == {"source": "long.txt"} and task.input_hash == item.input_hash
    assert_covers(task, annotation)
    # The same entities as the model finds reading the whole text at once (cuts fall between
    # paragraphs), and relations on every copy of the article.
    _, whole = doc_to_task(nlp(LONG), {}, scheme, "m", suggester)
    got = {(s.start, s.end, s.label) for s in annotation.spans}
    expected = {(s.start, s.end, s.label) for s in whole.spans}
    assert len(got & expected) >= 0.98 * max(len(got), len(expected)), got ^ expected
    assert len(annotation.relations) >= 0.9 * len(whole.relations) > 0
    assert {s.start // (len(ARTICLE) + 2) for s in annotation.spans} == set(range(5))


def test_long_given_tokens_and_long_given_spans(nlp: Language, suggester: RelationSuggester) -> None:
    scheme = suggester.scheme
    [(task, first)] = preannotate_stream(nlp, [SourceItem.from_text(LONG)], scheme, model_name="m")
    with_tokens = SourceItem(LONG, {}, 1, "t.jsonl", 1, task=task)
    spans = [{"start": s.start, "end": s.end, "label": s.label} for s in first.spans[::3]]
    with_spans = SourceItem(LONG, {}, 2, "t.jsonl", 2, record={"text": LONG, "spans": spans})
    (t1, a1), (t2, a2) = preannotate_stream(nlp, [with_tokens, with_spans], scheme, model_name="m")
    assert t1.tokens == task.tokens  # given tokens are kept
    assert_covers(t1, a1)
    assert len({s.key for s in a1.spans} & {s.key for s in first.spans}) >= 0.95 * len(first.spans)
    assert_covers(t2, a2)
    assert [(s.start, s.end, s.label) for s in a2.spans] == [
        (d["start"], d["end"], d["label"]) for d in spans
    ]


def test_a_text_past_max_task_chars_becomes_parts(tmp_path: Path) -> None:
    assert len(HUGE) > MAX_TASK_CHARS
    (tmp_path / "huge.txt").write_text(HUGE, encoding="utf-8")
    problems: list[BadRecord] = []
    parts = list(read_source(tmp_path / "huge.txt", problems))
    assert not problems and len(parts) == 2
    assert "".join(p.text for p in parts) == HUGE
    assert all(len(p.text) <= MAX_TASK_CHARS for p in parts)
    assert [dict(p.meta) for p in parts] == [
        {"source": "huge.txt", "part": 1, "parts": 2, "part_start": 0},
        {"source": "huge.txt", "part": 2, "parts": 2, "part_start": len(parts[0].text)},
    ]
    assert len({p.input_hash for p in parts}) == 2
    # A text whose parts hold the same characters (here each part is the same run of copies)
    # still makes one task a part: none is taken for another already stored.
    same = "".join(f"{ARTICLE}\n\n" for _ in range(3 * MAX_TASK_CHARS // (len(ARTICLE) + 2) + 3))
    (tmp_path / "same.txt").write_text(same, encoding="utf-8")
    repeated = list(read_source(tmp_path / "same.txt", problems))
    assert len(repeated) >= 3 and len({p.text for p in repeated[:-1]}) < len(repeated) - 1
    assert len({p.input_hash for p in repeated}) == len(repeated)
    # Cut after a blank line, not inside a word or the article.
    assert parts[0].text.endswith("\n\n") or parts[0].text.endswith(" ")


def _boom(nlp: Language) -> Language:
    """The real pipeline with a last component that fails on any text holding BOOM."""
    from spacy.tokens import Doc

    name = "fails_on_boom"
    if not Language.has_factory(name):

        @Language.component(name)
        def fails_on_boom(doc: Doc) -> Doc:
            if "BOOM" in doc.text:
                raise ValueError("the component failed")
            return doc

    failing = load_model(None)
    failing.add_pipe(name, last=True)
    return failing


def test_a_text_the_model_fails_on_is_reported_and_the_rest_go_on(nlp: Language) -> None:
    failing = _boom(nlp)
    scheme = resolve_scheme(None, None, None, entity_labels(nlp))
    texts = ["Ahn met Nakatani in Seoul.", "A BOOM here.", "Kim went to Tokyo.", "BOOM " + LONG, "Last."]
    items = [SourceItem.from_text(t, {"n": n}, source=f"t{n}.txt") for n, t in enumerate(texts)]
    for batch_size in (1, 2, 8):
        problems: list[BadRecord] = []
        done = list(preannotate_stream(failing, items, scheme, batch_size, model_name="m", problems=problems))
        assert [t.meta["n"] for t, _ in done] == [0, 2, 4]
        assert [p.source for p in problems] == ["t1.txt", "t3.txt"]
        assert all(
            "the model failed on this text: ValueError: the component failed" in str(p) for p in problems
        )


def test_preannotate_and_annotate_a_folder_with_a_huge_file_in_the_middle(
    tmp_path: Path,
    same_model: None,  # noqa: F811
) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.txt").write_text("Ahn met Nakatani in Seoul.", encoding="utf-8")
    (folder / "b-huge.txt").write_text(HUGE, encoding="utf-8")
    (folder / "c.txt").write_text("Kim went to Tokyo on Monday.", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = CliRunner().invoke(app, ["preannotate", str(folder), "-o", str(out)])
    assert done.exit_code == 0, done.output
    records = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [(r["meta"]["source"], r["meta"].get("part")) for r in records] == [
        ("a.txt", None),
        ("b-huge.txt", 1),
        ("b-huge.txt", 2),
        ("c.txt", None),
    ]
    assert "".join(r["text"] for r in records[1:3]) == HUGE
    assert any(
        s["label"] == "GPE" and r["text"][s["start"] : s["end"]] == "Tokyo"
        for r in records
        for s in r["spans"]
    )

    # The annotate command's feed: every file stored, the one after the huge one too.
    events: list[FeedEvent] = []
    scheme = resolve_scheme("PERSON,ORG,GPE", None, None, [])
    feed(tmp_path / "a.db", "d", read_source(folder, []), LazyPreannotator(None, scheme), events.append, [])
    assert isinstance(events[-1], FeedDone) and events[-1].error is None
    with Store(tmp_path / "a.db") as store:
        stored = [store.task(i) for i in store.task_ids("d")]
    assert [(t.meta["source"], t.meta.get("part")) for t in stored] == [
        (r["meta"]["source"], r["meta"].get("part")) for r in records
    ]
    assert all(t.text == r["text"] for t, r in zip(stored, records, strict=True))
