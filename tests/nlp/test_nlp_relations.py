"""Relation suggestions: the rules file, the scheme's constraints, the matcher, and doc._.rel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from annotator.config import resolve_scheme
from annotator.core.errors import AnnotatorError
from annotator.core.model import Span
from annotator.core.scheme import LabelScheme, RelationType
from annotator.nlp.depmatch import ARG_ATTR
from annotator.nlp.model import entity_labels, load_model
from annotator.nlp.preannotate import doc_to_task
from annotator.nlp.relations import RelationSuggester, default_rules_path, load_rules
from tests.conftest import SAMPLE

MET_RULE = """
symmetric = ["MET"]
[[rule]]
name = "meet"
label = "MET"
head = "a"
child = "b"
pattern = [
  { RIGHT_ID = "verb", RIGHT_ATTRS = { LEMMA = "meet" } },
  { LEFT_ID = "verb", REL_OP = ">", RIGHT_ID = "a", RIGHT_ATTRS = { DEP = "nsubj" } },
  { LEFT_ID = "verb", REL_OP = ">", RIGHT_ID = "b", RIGHT_ATTRS = { DEP = "dobj" } },
]
"""


def spans_of(text: str, *marks: tuple[str, str]) -> list[Span]:
    """Spans by their text (first occurrence), with token indices from the model's tokenizer."""
    out = []
    for i, (mention, label) in enumerate(marks):
        start = text.index(mention)
        out.append(Span(start, start + len(mention), -1, -1, label, "test", i + 1))
    return out


def aligned(doc: Doc, spans: list[Span]) -> list[Span]:
    fixed = []
    for s in spans:
        cs = doc.char_span(s.start, s.end)
        assert cs is not None, s
        fixed.append(Span(s.start, s.end, cs.start, cs.end - 1, s.label, s.source, s.sid))
    return fixed


def rels(doc: Doc, spans: list[Span], found: Any) -> set[tuple[str, str, str]]:
    by = {s.sid: doc.text[s.start : s.end] for s in spans}
    return {(by[r.head], r.label, by[r.child]) for r in found}


# -- the rules file -------------------------------------------------------------------------------


def test_default_rules_load_and_cover_the_scheme(nlp: Language) -> None:
    ruleset = load_rules(None, nlp.vocab)
    labels = {r.label for r in ruleset.rules}
    assert labels == {"AFFILIATED_WITH", "MET", "VISITED", "LOCATED_IN", "ATTENDS"}
    assert ruleset.symmetric == {"MET"}
    assert ruleset.source == str(default_rules_path())
    # the array path covers every shipped rule
    suggester = RelationSuggester(nlp.vocab, resolve_scheme(None, None, None, entity_labels(nlp)))
    assert suggester._matcher.fast


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[[rule]\nname = 1", "not valid TOML"),
        ("x = 1", "no rules"),
        ('[[rule]]\nlabel = "MET"', "rule 1 has no 'name'"),
        (
            '[[rule]]\nname = "r1"\nhead = "a"\nchild = "b"\npattern = [{RIGHT_ID = "a"}]',
            "rule 'r1' needs a 'label'",
        ),
        (
            '[[rule]]\nname = "r2"\nlabel = "MET"\nhead = "a"\nchild = "zz"\n'
            'pattern = [{RIGHT_ID = "a", RIGHT_ATTRS = {}}, {LEFT_ID = "a", REL_OP = ">", RIGHT_ID = "b", RIGHT_ATTRS = {}}]',
            "rule 'r2': its child 'zz' is not a RIGHT_ID",
        ),
        (
            '[[rule]]\nname = "r3"\nlabel = "MET"\nhead = "a"\nchild = "b"\n'
            'pattern = [{RIGHT_ID = "a", RIGHT_ATTRS = {LEMMAX = "x"}}, {LEFT_ID = "a", REL_OP = ">", RIGHT_ID = "b", RIGHT_ATTRS = {}}]',
            "rule 'r3' has an invalid pattern: .*LEMMAX",
        ),
        (
            '[[rule]]\nname = "r4"\nlabel = "MET"\nhead = "a"\nchild = "b"\n'
            'pattern = [{RIGHT_ID = "a", RIGHT_ATTRS = {}}, {LEFT_ID = "a", REL_OP = ">>>", RIGHT_ID = "b", RIGHT_ATTRS = {}}]',
            "rule 'r4' has an invalid pattern: .*>>>",
        ),
        (MET_RULE + MET_RULE.replace('symmetric = ["MET"]', ""), "rule name 'meet' is used twice"),
    ],
)
def test_bad_rules_file_names_file_and_rule(
    nlp: Language, tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(AnnotatorError, match=message) as err:
        load_rules(path, nlp.vocab)
    assert str(err.value).startswith(str(path))


def test_rules_file_errors_before_any_rule(tmp_path: Path) -> None:
    with pytest.raises(AnnotatorError, match="no such relation rules file"):
        load_rules(tmp_path / "missing.toml")
    other = tmp_path / "rules.yaml"
    other.write_text("rules: []", encoding="utf-8")
    with pytest.raises(AnnotatorError, match=r"\.toml or \.json"):
        load_rules(other)


def test_json_rules_work_like_toml(nlp: Language, scheme: LabelScheme, tmp_path: Path) -> None:
    import tomllib

    data = tomllib.loads(MET_RULE)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"symmetric": data["symmetric"], "rules": data["rule"]}), encoding="utf-8")
    suggester = RelationSuggester.from_file(nlp.vocab, scheme, path)
    text = "Kishida met Biden."
    doc = nlp(text)
    spans = aligned(doc, spans_of(text, ("Kishida", "PERSON"), ("Biden", "PERSON")))
    found = suggester(doc, spans)
    assert rels(doc, spans, found) == {("Kishida", "MET", "Biden")}
    assert [r.source for r in found] == ["rule:meet"]


# -- what the suggestions may link ----------------------------------------------------------------


def test_suggestions_respect_the_scheme_constraints(nlp: Language) -> None:
    text = "Nakatani visited Seoul and met Ahn."
    doc = nlp(text)
    marks = spans_of(text, ("Nakatani", "PERSON"), ("Seoul", "GPE"), ("Ahn", "PERSON"))
    spans = aligned(doc, marks)
    full = RelationSuggester(nlp.vocab, resolve_scheme(None, None, None, entity_labels(nlp)))
    assert rels(doc, spans, full(doc, spans)) == {
        ("Nakatani", "VISITED", "Seoul"),
        ("Nakatani", "MET", "Ahn"),
    }
    # VISITED limited to LOC children: a GPE is no longer a place one can visit
    picked = resolve_scheme(None, None, "VISITED", entity_labels(nlp))
    narrow = LabelScheme(
        picked.labels, picked.colors, (RelationType("VISITED", frozenset({"PERSON"}), frozenset({"LOC"})),)
    )
    assert RelationSuggester(nlp.vocab, narrow)(doc, spans) == []
    # a Seoul labelled ORG breaks the constraint too
    relabelled = [
        s if s.label != "GPE" else Span(s.start, s.end, s.token_start, s.token_end, "ORG", None, s.sid)
        for s in spans
    ]
    assert ("Nakatani", "VISITED", "Seoul") not in rels(doc, relabelled, full(doc, relabelled))


def test_only_suggested_spans_are_linked(nlp: Language, scheme: LabelScheme) -> None:
    text = "Nakatani visited Seoul and met Ahn."
    doc = nlp(text)
    spans = aligned(doc, spans_of(text, ("Nakatani", "PERSON"), ("Ahn", "PERSON")))
    found = RelationSuggester(nlp.vocab, scheme)(doc, spans)
    assert rels(doc, spans, found) == {("Nakatani", "MET", "Ahn")}
    assert {r.head for r in found} | {r.child for r in found} <= {s.sid for s in spans}


def test_a_matched_token_stands_for_the_whole_span(nlp: Language, scheme: LabelScheme) -> None:
    text = "Japanese Defense Minister Gen Nakatani visited South Korea."
    doc = nlp(text)
    spans = aligned(
        doc, spans_of(text, ("Japanese", "NORP"), ("Gen Nakatani", "PERSON"), ("South Korea", "GPE"))
    )
    found = RelationSuggester(nlp.vocab, scheme)(doc, spans)
    assert rels(doc, spans, found) == {
        ("Gen Nakatani", "AFFILIATED_WITH", "Japanese"),
        ("Gen Nakatani", "VISITED", "South Korea"),
    }


def test_symmetric_labels_put_the_first_mention_at_the_head(
    nlp: Language, scheme: LabelScheme, tmp_path: Path
) -> None:
    # a rule that makes the object the head: MET is undirected, so the head is still the subject,
    # which comes first; without the symmetric list the rule's direction stays
    text = "Kishida met Biden."
    doc = nlp(text)
    spans = aligned(doc, spans_of(text, ("Kishida", "PERSON"), ("Biden", "PERSON")))
    reversed_rule = MET_RULE.replace('head = "a"\nchild = "b"', 'head = "b"\nchild = "a"')
    path = tmp_path / "rules.toml"
    path.write_text(reversed_rule, encoding="utf-8")
    assert rels(doc, spans, RelationSuggester.from_file(nlp.vocab, scheme, path)(doc, spans)) == {
        ("Kishida", "MET", "Biden")
    }
    path.write_text(reversed_rule.replace('symmetric = ["MET"]', ""), encoding="utf-8")
    assert rels(doc, spans, RelationSuggester.from_file(nlp.vocab, scheme, path)(doc, spans)) == {
        ("Biden", "MET", "Kishida")
    }


def test_coordination_extends_an_argument(nlp: Language, scheme: LabelScheme) -> None:
    text = "Lee traveled to Japan and China."
    doc = nlp(text)
    spans = aligned(doc, spans_of(text, ("Lee", "PERSON"), ("Japan", "GPE"), ("China", "GPE")))
    assert rels(doc, spans, RelationSuggester(nlp.vocab, scheme)(doc, spans)) == {
        ("Lee", "VISITED", "Japan"),
        ("Lee", "VISITED", "China"),
    }


# -- the matcher ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        SAMPLE.read_text(encoding="utf-8"),
        "President Joe Biden met Japanese Prime Minister Fumio Kishida in Tokyo on Friday. In Paris, "
        "Macron and Scholz signed a deal, and Tim Cook, the chief executive of Apple, attended the summit.",
    ],
)
def test_array_path_finds_exactly_what_spacy_finds(nlp: Language, scheme: LabelScheme, text: str) -> None:
    suggester = RelationSuggester(nlp.vocab, scheme)
    matcher = suggester._matcher
    assert matcher.fast
    doc = nlp(text)
    for anchors in (
        frozenset(range(len(doc))),
        frozenset(i for e in doc.ents for i in range(e.start, e.end)),
    ):
        ours = sorted((k, tuple(ids)) for k, ids in matcher(doc, anchors))
        doc.user_data[ARG_ATTR] = anchors
        try:
            theirs = sorted((int(k), tuple(ids)) for k, ids in matcher.matcher(doc))
        finally:
            del doc.user_data[ARG_ATTR]
        assert ours and ours == theirs


def test_patterns_outside_the_array_path_use_spacy(
    nlp: Language, scheme: LabelScheme, tmp_path: Path
) -> None:
    path = tmp_path / "rules.toml"
    path.write_text(MET_RULE.replace('LEMMA = "meet"', 'LEMMA = { REGEX = "^me[e]?t$" }'), encoding="utf-8")
    suggester = RelationSuggester.from_file(nlp.vocab, scheme, path)
    assert not suggester._matcher.fast
    text = "Kishida met Biden."
    doc = nlp(text)
    spans = aligned(doc, spans_of(text, ("Kishida", "PERSON"), ("Biden", "PERSON")))
    assert rels(doc, spans, suggester(doc, spans)) == {("Kishida", "MET", "Biden")}
    assert ARG_ATTR not in doc.user_data


# -- relations predicted by the pipeline (doc._.rel) ----------------------------------------------


def test_pipeline_relations_above_the_threshold_are_used(nlp: Language, tmp_path: Path) -> None:
    text = "Kishida spoke. Biden spoke. Paris is far."
    scores: dict[tuple[int, int], dict[str, float]] = {
        (0, 3): {"MET": 0.9, "VISITED": 0.95},  # VISITED needs a place child: refused
        (3, 0): {"MET": 0.3},  # below the threshold
        (0, 6): {"VISITED": 0.7, "SPOUSE_OF": 0.99},  # SPOUSE_OF is not in the scheme
    }
    if not Doc.has_extension("rel"):
        Doc.set_extension("rel", default={})

    name = "test_fake_rel"
    if name not in Language.factories:

        @Language.component(name)
        def fake_rel(doc: Doc) -> Doc:
            doc._.rel = dict(scores)
            return doc

    pipe = load_model(None)
    pipe.add_pipe(name, last=True)
    scheme = resolve_scheme(None, None, None, entity_labels(pipe))
    suggester = RelationSuggester(pipe.vocab, scheme, RuleSetEmpty.get(pipe), model_source="tiny_rel 1.0")
    doc = pipe(text)
    spans = aligned(doc, spans_of(text, ("Kishida", "PERSON"), ("Biden", "PERSON"), ("Paris", "GPE")))
    found = suggester(doc, spans)
    assert rels(doc, spans, found) == {("Kishida", "MET", "Biden"), ("Kishida", "VISITED", "Paris")}
    assert {r.source for r in found} == {"tiny_rel 1.0"}
    strict = RelationSuggester(pipe.vocab, scheme, RuleSetEmpty.get(pipe), threshold=0.8)
    assert rels(doc, spans, strict(doc, spans)) == {("Kishida", "MET", "Biden")}
    # a doc of a pipeline without the component has nothing in doc._.rel
    plain = nlp(text)
    assert strict(plain, aligned(plain, spans_of(text, ("Kishida", "PERSON"), ("Biden", "PERSON")))) == []


class RuleSetEmpty:
    """A rule set whose one rule never matches, so only the pipeline's relations are seen."""

    @staticmethod
    def get(pipe: Language) -> Any:
        from annotator.nlp.relations import RelationRule, RuleSet

        rule = RelationRule(
            "never",
            "MET",
            "a",
            "b",
            (
                {"RIGHT_ID": "a", "RIGHT_ATTRS": {"ORTH": "zzzz-never"}},
                {"LEFT_ID": "a", "REL_OP": ">", "RIGHT_ID": "b", "RIGHT_ATTRS": {}},
            ),
        )
        return RuleSet((rule,), frozenset(), "test")


def test_doc_to_task_suggestions_name_their_rule(nlp: Language, scheme: LabelScheme) -> None:
    text = "Nakatani's visit to Seoul came after Lee traveled to Japan."
    doc = nlp(text)
    _, suggestion = doc_to_task(doc, {}, scheme, "m", RelationSuggester(nlp.vocab, scheme))
    sources = {r.source for r in suggestion.relations}
    assert sources and all(s is not None and s.startswith("rule:") for s in sources)
    names = {r.name for r in load_rules(None).rules}
    assert {s.removeprefix("rule:") for s in sources if s} <= names
