"""spaCy DocBin: round trip, relations where spaCy's relation tutorial reads them, and proof by
spaCy itself: `spacy debug data` finds nothing misaligned and `spacy train` runs on the export."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Relation, Span, Task, Token
from annotator.formats import docbin, jsonl
from annotator.formats import docbin_layout as layout
from annotator.formats.base import Counts
from annotator.formats.problems import Problems
from annotator.formats.tokens import tokenize
from annotator.store import Store
from annotator.transfer.exporting import export_dataset
from annotator.transfer.importing import import_file
from tests.formats_support import REL_FILE, messages, totals
from tests.strategies import annotated_tasks


def spacy_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spacy", *args], capture_output=True, text=True, timeout=180, cwd=cwd
    )


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Prodigy relation fixture imported into a real store and exported with --split."""
    root = tmp_path_factory.mktemp("spacy")
    with Store(root / "gold.db") as store:
        report = import_file(store, REL_FILE, "rel", "alice")
        assert not report.problems.bad
        result = export_dataset(store, "rel", fmt="spacy", output=root / "corpus", split=0.8, seed=3)
    assert [p.name for p in result.counts.paths] == ["train.spacy", "dev.spacy"]
    assert (result.counts.tasks, result.counts.spans, result.counts.relations) == (149, 466, 263)
    return root


def test_split_is_seeded_disjoint_and_complete(exported: Path, tmp_path: Path) -> None:
    train = list(docbin.read(exported / "corpus" / "train.spacy", Problems()))
    dev = list(docbin.read(exported / "corpus" / "dev.spacy", Problems()))
    assert (len(train), len(dev)) == (119, 30)
    assert not {t.input_hash for t, _ in train} & {t.input_hash for t, _ in dev}
    with Store(exported / "gold.db") as store:
        again = export_dataset(store, "rel", fmt="spacy", output=tmp_path / "again", split=0.8, seed=3)
        other = export_dataset(store, "rel", fmt="spacy", output=tmp_path / "other", split=0.8, seed=4)
    assert again.counts.tasks == 149
    same = list(docbin.read(tmp_path / "again" / "dev.spacy", Problems()))
    differs = list(docbin.read(tmp_path / "other" / "dev.spacy", Problems()))
    assert [t.input_hash for t, _ in same] == [t.input_hash for t, _ in dev]
    assert [t.input_hash for t, _ in differs] != [t.input_hash for t, _ in dev]
    assert other.counts.tasks == 149


def ner_config(folder: Path, name: str) -> Path:
    """A config for an NER pipeline made by `spacy init config`, as a user would start."""
    cfg = folder / name
    made = spacy_cli(
        "init", "config", str(cfg), "--lang", "en", "--pipeline", "ner", "--optimize", "efficiency", "--force",
        cwd=folder,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return cfg


def test_spacy_debug_data_finds_nothing_misaligned(exported: Path) -> None:
    cfg = ner_config(exported, "debug.cfg")
    done = spacy_cli(
        "debug", "data", str(cfg),
        "--paths.train", "corpus/train.spacy", "--paths.dev", "corpus/dev.spacy",
        cwd=exported,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Corpus is loadable" in out
    assert "misaligned" not in out
    assert "0 missing value(s)" in out  # no entity spaCy could not align to its tokens
    assert "No entities consisting of or starting/ending with whitespace" in out
    assert "119 training docs" in out and "30 evaluation docs" in out


@pytest.mark.slow
def test_spacy_train_runs_on_the_export(exported: Path) -> None:
    cfg = ner_config(exported, "train.cfg")
    done = spacy_cli(
        "train", str(cfg), "--output", "model",
        "--paths.train", "corpus/train.spacy", "--paths.dev", "corpus/dev.spacy",
        "--training.max_steps", "5", "--training.eval_frequency", "5",
        cwd=exported,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert (exported / "model" / "model-last" / "ner").is_dir()


def test_round_trip_keeps_tokens_spans_relations_and_task_fields(tmp_path: Path) -> None:
    items = list(jsonl.read(REL_FILE, Problems()))
    out = tmp_path / "rel.spacy"
    counts = docbin.write(out, items)
    assert (counts.tasks, counts.spans, counts.relations) == totals(items)
    problems = Problems()
    back = list(docbin.read(out, problems))
    assert not problems.bad, messages(problems)
    for (task, ann), (t2, a2) in zip(items, back, strict=True):
        assert (t2.text, t2.tokens, t2.input_hash, t2.meta, t2.extra) == (
            task.text,
            task.tokens,
            task.input_hash,
            task.meta,
            task.extra,
        )
        assert a2.content() == ann.content() and a2.answer == ann.answer


def test_relations_are_stored_as_the_rel_component_tutorial_reads_them(tmp_path: Path) -> None:
    from spacy.tokens import Doc, DocBin
    from spacy.vocab import Vocab

    text = "Ann Lee met Bob in Paris"
    task = Task(text, tokenize(text), 5)
    ann = Annotation(
        (Span(0, 7, 0, 1, "PER", sid=1), Span(12, 15, 3, 3, "PER", sid=2), Span(19, 24, 5, 5, "GPE", sid=3)),
        (Relation(1, 2, "MET"), Relation(1, 3, "IN"), Relation(2, 3, "IN"), Relation(1, 2, "KNOWS")),
    )
    docbin.write(tmp_path / "x.spacy", [(task, ann)])
    if not Doc.has_extension("rel"):
        Doc.set_extension("rel", default={})
    [doc] = list(DocBin().from_disk(tmp_path / "x.spacy").get_docs(Vocab()))
    assert [(e.text, e.label_) for e in doc.ents] == [("Ann Lee", "PER"), ("Bob", "PER"), ("Paris", "GPE")]
    assert doc._.rel == {(0, 3): {"MET": 1.0, "KNOWS": 1.0}, (0, 5): {"IN": 1.0}, (3, 5): {"IN": 1.0}}


def test_text_not_covered_by_tokens_still_gives_the_exact_text(tmp_path: Path) -> None:
    text = "  Zoë\tmet\u00a0 東京  😀\n"
    tokens = (
        Token("Zoë", 2, 5, 0, False),
        Token("met", 6, 9, 1, False),
        Token("東京", 11, 13, 2, True),
        Token("😀", 15, 16, 3, False),
    )
    task = Task(text, tokens, 9)
    ann = Annotation(
        (Span(11, 13, 2, 2, "GPE", sid=1), Span(2, 5, 0, 0, "PER", sid=2)), (Relation(2, 1, "IN"),)
    )
    docbin.write(tmp_path / "x.spacy", [(task, ann)])
    [(t2, a2)] = list(docbin.read(tmp_path / "x.spacy", Problems()))
    assert t2.text == text
    assert [t.text for t in t2.tokens if not t.text.isspace()] == ["Zoë", "met", "東京", "😀"]
    assert a2.content() == ann.content()


def test_a_file_that_is_not_a_docbin_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.spacy"
    bad.write_bytes(b"not msgpack at all")
    problems = Problems()
    assert list(docbin.read(bad, problems)) == []
    assert problems.bad and "DocBin" in problems.bad[0].reason


def test_a_large_export_is_a_folder_of_bounded_docbins_that_spacy_reads_as_one_corpus(
    exported: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(docbin, "CHUNK", 50)  # 149 tasks: three files, as 2,000 per file would be
    out = tmp_path / "big.spacy"
    with Store(exported / "gold.db") as store:
        whole = export_dataset(store, "rel", fmt="spacy", output=tmp_path / "whole.spacy")
        report = export_dataset(store, "rel", fmt="spacy", output=out)
        assert report.counts.tasks == whole.counts.tasks == 149
        # Again onto the same folder: the earlier chunks are replaced, not added to.
        export_dataset(store, "rel", fmt="spacy", output=out)
    assert sorted(p.name for p in out.iterdir()) == [
        "part-00001.spacy",
        "part-00002.spacy",
        "part-00003.spacy",
    ]
    assert not list(tmp_path.glob(".*"))  # no staging folder left behind
    chunked = list(docbin.read(out, Problems()))
    assert chunked == list(docbin.read(tmp_path / "whole.spacy", Problems()))
    cfg = ner_config(tmp_path, "debug.cfg")
    done = spacy_cli(
        "debug", "data", str(cfg), "--paths.train", str(out), "--paths.dev", str(tmp_path / "whole.spacy"),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "149 training docs" in done.stdout + done.stderr


def test_a_folder_that_is_not_an_export_is_not_replaced(exported: Path, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me", encoding="utf-8")
    with Store(exported / "gold.db") as store, pytest.raises(AnnotatorError, match="not replaced"):
        export_dataset(store, "rel", fmt="spacy", output=mine)
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_whitespace_at_entity_edges_is_trimmed_so_spacy_debug_data_is_clean(tmp_path: Path) -> None:
    """Issue 9 item 13: entities imported with whitespace at an edge ('Perform\\xa0', 'New York ')
    were written as they were, and `spacy debug data` reported invalid whitespace entity spans."""
    records = [
        {"text": "Please Perform\u00a0the task.", "label": [[7, 15, "TASK"]]},
        {"text": "I live in New York now.", "label": [[10, 19, "GPE"], [19, 22, "DATE"]]},
        {"text": "Just  spaces here.", "label": [[4, 6, "GPE"], [6, 12, "THING"]]},
        {"text": "Seoul is big.", "label": [[0, 5, "GPE"]]},
    ]
    source = tmp_path / "ws.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with Store(tmp_path / "ws.db") as store:
        imported = import_file(store, source, "ws", "alice", "doccano")
        result = export_dataset(store, "ws", fmt="spacy", output=tmp_path / "all.spacy")
    # the import says what such spans will meet (issue 9 item 12)
    said = [w.reason for w in imported.problems.warnings]
    assert any("only whitespace; kept, but the conll and spacy exports leave it out" in w for w in said)
    assert sum("the spacy export trims it to its words" in w for w in said) == 2
    assert result.counts.changed == {docbin.TRIMMED: 2}
    assert result.counts.left_out == {docbin.BLANK: 1}
    back = list(docbin.read(tmp_path / "all.spacy", Problems()))
    assert sorted(t.text[s.start : s.end] for t, a in back for s in a.spans) == [
        "New York", "Perform", "Seoul", "now", "spaces",
    ]  # fmt: skip
    cfg = ner_config(tmp_path, "debug.cfg")
    done = spacy_cli(
        "debug", "data", str(cfg), "--paths.train", "all.spacy", "--paths.dev", "all.spacy", cwd=tmp_path
    )
    out = done.stdout + done.stderr
    assert "No entities consisting of or starting/ending with whitespace" in out, out
    assert "invalid whitespace entity spans" not in out


def spacy_docbin_bytes(items: list[tuple[Task, Annotation]]) -> bytes:
    """What spaCy's own DocBin writes for these tasks: a Doc made of each (``to_doc``), added with
    ``DocBin.add``, serialized with ``DocBin.to_bytes``; decompressed."""
    from spacy.tokens import DocBin

    vocab = docbin._vocab()
    counts = Counts()
    docs = [docbin.to_doc(vocab, *docbin.trimmed(task, a, counts)) for task, a in items]
    return zlib.decompress(DocBin(store_user_data=True, docs=docs).to_bytes())


CORNERS = [
    # words and labels that are spaCy symbols (fixed ids, not hashes), and the empty text
    (Task("PERSON met ORG", tokenize("PERSON met ORG"), 1), [(0, 0, "ORG"), (2, 2, "PERSON")]),
    (Task("", (), 2), []),
    # text the tokens leave uncovered (two spaces, a leading line break): whitespace words
    (Task("\nAnn  met Bo", tokenize("\nAnn  met Bo"), 3), [(0, 0, "PERSON")]),
    # a span group beside an entity (a Doc of its own in the chunk), and a relation across them
    (Task("Ann met Bo in Rome", tokenize("Ann met Bo in Rome"), 4), [(0, 0, "PERSON"), (2, 4, "sc:EVENT")]),
    (Task("Ünïcode 東京 😀 ok", tokenize("Ünïcode 東京 😀 ok"), 5), [(1, 1, "GPE"), (2, 3, "X")]),
]


def corner_items() -> list[tuple[Task, Annotation]]:
    out = []
    for task, ranges in CORNERS:
        spans = []
        for sid, (a, b, label) in enumerate(ranges, 1):
            layer, _, name = label.rpartition(":")
            start, end = task.tokens[a].start, task.tokens[b].end
            spans.append(Span(start, end, a, b, name, None, sid, layer or "ents"))
        rels = (Relation(1, 2, "REL"),) if len(spans) == 2 else ()
        out.append((task, Annotation(tuple(spans), rels, "accept", "alice", "s", 7)))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(annotated_tasks(), max_size=6), st.integers(0, 5))
def test_the_file_is_the_bytes_spacy_itself_writes(items: list[tuple[Task, Annotation]], at: int) -> None:
    """The writer fills the DocBin's columns itself, without a Doc a task (a task it cannot be sure
    of goes through a Doc): the file must be exactly what spaCy's DocBin writes for the same Docs,
    byte for byte, and what spaCy's reader gives back must be those Docs."""
    from spacy.tokens import DocBin

    first = len(items[:at])  # where the corner cases begin
    items = items[:at] + corner_items() + items[at:]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.spacy"
        docbin.write(out, items)
        ours = out.read_bytes()
    assert zlib.decompress(ours) == spacy_docbin_bytes(items)
    docs = list(DocBin().from_bytes(ours).get_docs(docbin._vocab()))
    assert [d.text for d in docs] == [t.text for t, _ in items]
    assert [(e.start_char, e.end_char, e.label_) for e in docs[first].ents] == [
        (0, 6, "ORG"), (11, 14, "PERSON")
    ]  # fmt: skip
    assert [(s.text, s.label_) for s in docs[first + 3].spans["sc"]] == [("Bo in Rome", "EVENT")]


def test_the_layout_and_string_ids_are_spacys() -> None:
    """The writer knows DocBin's layout and spaCy's string ids without importing spaCy; each is
    checked here against the installed spaCy, so a spaCy that changed one fails here."""
    from spacy.attrs import IDS as ATTR_IDS
    from spacy.strings import hash_string  # type: ignore[attr-defined]
    from spacy.symbols import IDS as SYMBOL_IDS
    from spacy.tokens import DocBin

    empty = DocBin(store_user_data=True)
    assert (layout.VERSION, list(layout.ATTRS)) == (empty.version, [int(a) for a in empty.attrs])
    places = [layout.ORTH, layout.ENT_IOB, layout.ENT_TYPE, layout.SENT_START]
    assert places == [empty.attrs.index(ATTR_IDS[n]) for n in ("ORTH", "ENT_IOB", "ENT_TYPE", "SENT_START")]
    assert dict(zip(layout.SYMBOLS, range(len(layout.SYMBOLS)), strict=True)) == SYMBOL_IDS
    words = ["", "a", "PERSON", "nsubj", "a\x00b", "Zürich", "東京", "😀", "x" * 300, " \n\t"]
    ids = layout.string_ids(words, {})
    assert ids == {w: SYMBOL_IDS.get(w, hash_string(w)) for w in words}


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_string_hash_is_spacys(word: str) -> None:
    from spacy.strings import hash_string  # type: ignore[attr-defined]

    assert layout.hash_string(word) == hash_string(word)


def test_an_export_of_plain_tasks_does_not_import_spacy(tmp_path: Path) -> None:
    """Tasks whose entities sit on their tokens are written without spaCy (its import alone was
    twice the raw dump of 10,000 tasks); text the tokens leave uncovered or a span group needs a
    Doc, and then spaCy is imported. Both files are read back by spaCy here."""
    from spacy.tokens import DocBin

    source = tmp_path / "corners.jsonl"
    jsonl.write(source, corner_items())  # made here: the corner tasks are tokenized with spaCy
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from annotator.formats import docbin, jsonl\n"
        "from annotator.formats.problems import Problems\n"
        "items = list(jsonl.read(Path(sys.argv[1]), Problems()))\n"
        "docbin.write(Path(sys.argv[2]), items[:2] if sys.argv[3] == 'plain' else items)\n"
        "print('spacy' in sys.modules)\n"
    )
    seen = {}
    for kind in ("plain", "groups"):
        out = tmp_path / f"{kind}.spacy"
        done = subprocess.run(
            [sys.executable, "-c", script, str(source), str(out), kind],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        seen[kind] = done.stdout.strip()
        docs = list(DocBin().from_disk(out).get_docs(docbin._vocab()))
        assert [d.text for d in docs] == [t.text for t, _ in corner_items()[: len(docs)]]
    assert seen == {"plain": "False", "groups": "True"}
