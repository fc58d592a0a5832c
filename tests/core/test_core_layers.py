"""Span groups (issue 14): a span is on the entity layer (never overlapping) or in a span group
(overlapping and nesting freely); the scheme names the groups and their labels; edits, relations,
the JSONL schema and the adjudication keep each layer's rules."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from annotator.config import resolve_scheme
from annotator.core.adjudication import adjudicate
from annotator.core.choices import Choice
from annotator.core.edits import Edit, relabel_span, set_span, span_from_json, span_to_json, toggle_relation
from annotator.core.errors import AnnotatorError, InvalidAnnotation
from annotator.core.hashing import input_hash, task_hash
from annotator.core.model import ENTS, Annotation, Relation, Span, Task
from annotator.core.records import from_record, to_record
from annotator.core.scheme import LabelScheme, parse_span_groups, scheme_from_toml, scheme_to_dict
from annotator.core.validate import make_span, validate_annotation
from annotator.store.serialize import annotation_from_blob, annotation_to_blob
from tests.strategies import tokenize

TEXT = "Bank of America hired Ana Lopez as a Python developer in New York ."
TASK = Task(TEXT, tokenize(TEXT), input_hash(TEXT))


def sp(phrase: str, label: str, sid: int, layer: str = ENTS) -> Span:
    start = TEXT.index(phrase)
    return make_span(TASK, start, start + len(phrase), label, None, sid, layer=layer)


NESTED = Annotation(
    spans=(
        sp("Bank of America", "ORG", 1),
        sp("America", "GPE", 2, "sc"),
        sp("Bank of America", "INSTITUTION", 3, "sc"),
        sp("Python developer", "SKILL", 4, "sc"),
        sp("Python", "TOOL", 5, "sc"),
        sp("Python", "SKILL", 6, "sc"),  # the same tokens, another label: allowed in a group
        sp("Ana Lopez", "PERSON", 7),
    ),
    relations=(Relation(7, 4, "HAS_SKILL"),),  # an entity to a group span
)


def test_group_spans_overlap_and_nest_while_entity_spans_may_not() -> None:
    validate_annotation(TASK, NESTED)
    clash = Annotation(spans=(sp("Bank of America", "ORG", 1), sp("America", "GPE", 2)))
    with pytest.raises(InvalidAnnotation, match="entity spans must not overlap"):
        validate_annotation(TASK, clash)
    twice = Annotation(spans=(sp("Python", "TOOL", 1, "sc"), sp("Python", "TOOL", 2, "sc")))
    with pytest.raises(InvalidAnnotation, match="given twice in span group 'sc'"):
        validate_annotation(TASK, twice)
    # The same place and label in two groups is two spans.
    validate_annotation(TASK, Annotation(spans=(sp("Python", "TOOL", 1, "sc"), sp("Python", "TOOL", 2, "x"))))


def test_a_new_group_span_keeps_what_it_overlaps_and_an_entity_span_replaces_it() -> None:
    ann = Annotation(spans=(sp("Bank of America", "ORG", 1), sp("Bank of America", "INSTITUTION", 2, "sc")))
    america = TASK.token_index_at_char(TEXT.index("America"))
    assert america is not None
    grouped = set_span(TASK, ann, america, america, "GPE", layer="sc")
    assert grouped.removed_spans == ()
    assert grouped.added_spans[0].layer == "sc" and grouped.added_spans[0].sid == 3
    entity = set_span(TASK, ann, america, america, "GPE")
    assert [s.label for s in entity.removed_spans] == ["ORG"]  # the group span stays
    # The same place and label again in the group changes nothing.
    again = set_span(TASK, grouped.apply(ann), america, america, "GPE", layer="sc")
    assert again.empty


def test_relabel_in_a_group_refuses_a_label_the_place_has_already() -> None:
    with pytest.raises(InvalidAnnotation, match="has a SKILL span on these tokens already"):
        relabel_span(NESTED, 5, "SKILL")
    assert relabel_span(NESTED, 5, "LANGUAGE").added_spans[0].layer == "sc"


def test_relations_join_spans_of_any_layer() -> None:
    edit = toggle_relation(NESTED, 1, 2, "LOCATED_IN")
    assert edit.added_relations == (Relation(1, 2, "LOCATED_IN"),)
    validate_annotation(TASK, edit.apply(NESTED))


def test_the_store_blob_and_the_edit_log_keep_layers_and_read_old_rows_as_entities() -> None:
    assert annotation_from_blob(annotation_to_blob(NESTED)) == NESTED
    # A blob written before layers existed: seven fields a span.
    old = orjson.dumps({"spans": [[0, 4, 0, 0, "ORG", None, 1]], "relations": []})
    assert annotation_from_blob(old).spans[0].layer == ENTS
    edit = Edit("add", added_spans=(NESTED.spans[1],))
    assert Edit.from_json(orjson.loads(orjson.dumps(edit.to_json()))) == edit
    assert span_to_json(NESTED.spans[0]) == [0, 15, 0, 2, "ORG", None, 1]  # as before layers
    assert span_from_json([0, 4, 0, 0, "ORG", None, 1]).layer == ENTS


def test_entity_hashes_are_those_before_layers_and_a_group_changes_the_hash() -> None:
    ents = Annotation(spans=(sp("Bank of America", "ORG", 1),))
    as_group = Annotation(spans=(sp("Bank of America", "ORG", 1, "sc"),))
    assert ents.content()[0] == ((0, 15, "ORG"),)
    assert task_hash(TASK.input_hash, ents) != task_hash(TASK.input_hash, as_group)


def test_scheme_groups_from_the_flag_the_config_and_the_stored_scheme(tmp_path: Path) -> None:
    assert parse_span_groups("sc:SKILL,TOOL; facts:CLAIM") == {"sc": ("SKILL", "TOOL"), "facts": ("CLAIM",)}
    for bad, message in (
        ("SKILL,TOOL", "is not KEY:LABEL,LABEL"),
        ("ents:X", "'ents' is the entity layer"),
        ("sc:A;sc:B", "span group sc is given twice"),
        ("sc:A,,B", "an empty name"),
        ("s c:A", "holds a space"),
    ):
        with pytest.raises(AnnotatorError, match=message):
            parse_span_groups(bad)
    config = tmp_path / "scheme.toml"
    config.write_text(
        '[labels]\nPERSON = "#e6b422"\n\n[span_groups.sc]\nSKILL = "#4ccfc4"\nTOOL = "#e07ac0"\n\n'
        '[relations.HAS_SKILL]\nhead = ["PERSON"]\nchild = ["SKILL"]\n',
        encoding="utf-8",
    )
    scheme = scheme_from_toml(config)
    assert scheme.span_groups == {"sc": ("SKILL", "TOOL")}
    assert scheme.layers == (ENTS, "sc") and scheme.layer_labels("sc") == ("SKILL", "TOOL")
    assert scheme.color("TOOL") == "#e07ac0"
    flagged = resolve_scheme(None, config, None, [], span_groups="facts:CLAIM")
    assert flagged.span_groups == {"facts": ("CLAIM",)}
    stored = resolve_scheme("PERSON", None, None, [], base=scheme)
    assert stored.span_groups == scheme.span_groups and stored.color("SKILL") == "#4ccfc4"


def test_a_scheme_without_groups_is_stored_as_before_and_one_with_them_reads_back() -> None:
    plain = LabelScheme(("PERSON",))
    assert "span_groups" not in scheme_to_dict(plain)
    from annotator.core.scheme import scheme_from_dict

    grouped = LabelScheme(("PERSON",), span_groups={"sc": ("SKILL",)})
    back = scheme_from_dict(orjson.loads(orjson.dumps(scheme_to_dict(grouped))), written=False)
    assert back.span_groups == {"sc": ("SKILL",)} and scheme_to_dict(back) == scheme_to_dict(grouped)


def test_jsonl_records_in_prodigys_spans_manual_shape_round_trip() -> None:
    # Only the group "sc": exactly what Prodigy's spans.manual writes, no key on the spans.
    only_sc = Annotation(spans=tuple(s for s in NESTED.spans if s.layer == "sc"), answer="accept")
    record = to_record(TASK, only_sc)
    assert record["_view_id"] == "spans_manual"
    assert all("key" not in s for s in record["spans"])
    assert from_record(orjson.loads(orjson.dumps(record)))[1].content() == only_sc.content()
    # Entities and a group: each group span names its group; entity spans have none.
    record = to_record(TASK, NESTED)
    keys = [s.get("key") for s in record["spans"]]
    assert keys.count("sc") == 5 and keys.count(None) == 2
    assert record["relations"][0]["child_span"]["key"] == "sc"
    task, back = from_record(orjson.loads(orjson.dumps(record)))
    assert back.content() == NESTED.content() and to_record(task, back) == record
    # Entity spans of a record that says spans_manual name their layer, so they read back as entities.
    ents = Annotation(spans=(sp("Ana Lopez", "PERSON", 1),))
    kept = Task(TEXT, TASK.tokens, TASK.input_hash, extra={"_view_id": "spans_manual"})
    record = to_record(kept, ents)
    assert record["spans"][0]["key"] == "ents"
    assert from_record(record)[1].spans[0].layer == ENTS


def test_a_bad_group_key_in_a_record_is_named() -> None:
    record = to_record(TASK, NESTED)
    record["spans"][1]["key"] = "\x1b[31m"
    with pytest.raises(InvalidAnnotation, match="span group key"):
        from_record(record)


def test_adjudication_per_layer_agrees_nested_spans_and_takes_both_in_a_group() -> None:
    a = NESTED
    b = Annotation(
        spans=(
            sp("Bank of America", "ORG", 1),
            sp("America", "GPE", 2, "sc"),
            sp("Bank of America", "INSTITUTION", 3, "sc"),
            sp("Python", "LANGUAGE", 5, "sc"),  # A: TOOL and SKILL on Python
            sp("Ana Lopez", "PERSON", 7),
        ),
    )
    adj = adjudicate(TASK, a, b, "alice", "bob")
    assert {s.label for s in adj.agreed.spans} == {"ORG", "GPE", "INSTITUTION", "PERSON"}
    span_dis = [d for d in adj.disagreements if d.kind != "relation"]
    assert [d.layer for d in span_dis] == ["sc"]
    [d] = span_dis
    assert d.can_take_both
    both = adj.start().take(d.index, Choice.BOTH)
    labels = {(s.label, s.layer) for s in both.result().spans}
    assert {("TOOL", "sc"), ("SKILL", "sc"), ("LANGUAGE", "sc")} <= labels
    validate_annotation(TASK, both.result())
