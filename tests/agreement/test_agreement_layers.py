"""Agreement per layer (issue 14): the entity layer as before, each span group with exact, overlap
(a one-to-one maximum matching within the group), boundary and per-label figures, and token kappa
said to be undefined for a group (its spans overlap), in the table and in --json."""

from __future__ import annotations

from pathlib import Path

import orjson
from typer.testing import CliRunner

from annotator.core.agreement import TOKENS_UNDEFINED, Version, compare
from annotator.core.hashing import input_hash
from annotator.core.model import ENTS, Annotation, Relation, Span, Task
from annotator.core.records import to_record
from annotator.core.validate import make_span
from tests.strategies import tokenize

TEXT = "Bank of America hired Ana Lopez as a senior Python developer in New York ."
TASK = Task(TEXT, tokenize(TEXT), input_hash(TEXT))
runner = CliRunner()


def sp(phrase: str, label: str, sid: int, layer: str = ENTS) -> Span:
    start = TEXT.index(phrase)
    return make_span(TASK, start, start + len(phrase), label, None, sid, layer=layer)


A = Annotation(
    spans=(
        sp("Bank of America", "ORG", 1),
        sp("Ana Lopez", "PERSON", 2),
        sp("America", "GPE", 3, "sc"),
        sp("senior Python developer", "SKILL", 4, "sc"),
        sp("Python", "TOOL", 5, "sc"),
        sp("Python developer", "ROLE", 6, "sc"),
    ),
    relations=(Relation(2, 4, "HAS"),),
    answer="accept",
)
B = Annotation(
    spans=(
        sp("Bank of America", "ORG", 1),
        sp("Ana Lopez", "PERSON", 2),
        sp("America", "GPE", 3, "sc"),
        sp("Python developer", "SKILL", 4, "sc"),  # boundary: overlaps A's SKILL
        sp("Python", "TOOL", 5, "sc"),
        sp("Python developer", "TITLE", 6, "sc"),  # same place as A's ROLE, another label
    ),
    relations=(Relation(2, 4, "HAS"),),
    answer="accept",
)


def test_each_span_group_is_measured_on_its_own_and_the_entity_layer_as_before() -> None:
    report = compare({1: Version(TASK, A)}, {1: Version(TASK, B)})
    # The entity layer: the same two spans on both sides.
    assert (report.exact.tp, report.exact.fp, report.exact.fn) == (2, 0, 0)
    assert report.tokens.cohen_kappa == 1.0
    sc = report.layers["sc"]
    assert (sc.exact.tp, sc.exact.fp, sc.exact.fn) == (2, 2, 2)  # GPE, TOOL
    # Overlap: SKILL matches SKILL; ROLE and TITLE have no partner of their label.
    assert (sc.overlap.tp, sc.overlap.fp, sc.overlap.fn) == (3, 1, 1)
    # Boundary (any label): America, Python, Python developer (ROLE/TITLE), not senior...
    assert (sc.boundary.tp, sc.boundary.fp, sc.boundary.fn) == (3, 1, 1)
    assert {k: (c.tp, c.fp, c.fn) for k, c in sc.per_label.items()} == {
        "GPE": (1, 0, 0),
        "ROLE": (0, 0, 1),
        "SKILL": (0, 1, 1),
        "TITLE": (0, 1, 0),
        "TOOL": (1, 0, 0),
    }
    # The relation's child is matched within its group under overlap: aligned, not exact.
    assert report.relations_exact.tp == 0 and report.relations_aligned.tp == 1


def test_token_kappa_of_a_group_is_said_to_be_undefined_not_given_as_a_number(tmp_path: Path) -> None:
    from annotator.cli import app

    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_bytes(orjson.dumps(to_record(TASK, A)) + b"\n")
    b.write_bytes(orjson.dumps(to_record(TASK, B)) + b"\n")
    done = runner.invoke(app, ["agreement", str(a), str(b), "--json"])
    assert done.exit_code == 0, done.output
    out = orjson.loads(done.stdout)
    tokens = out["pairs"][0]["layers"]["sc"]["tokens"] if "pairs" in out else out["layers"]["sc"]["tokens"]
    assert tokens["cohen_kappa"] is None and tokens["krippendorff_alpha"] is None
    assert tokens["undefined"] == TOKENS_UNDEFINED
    table = runner.invoke(app, ["agreement", str(a), str(b)])
    assert table.exit_code == 0, table.output
    assert (
        "span group sc" in table.stdout
        and "tokens: not defined: spans of a span group may overlap" in table.stdout
    )
    assert "the spans and tokens below are the entity layer's" in table.stdout


def test_without_span_groups_the_json_is_as_before() -> None:
    plain = Annotation(spans=A.spans[:2], answer="accept")
    report = compare({1: Version(TASK, plain)}, {1: Version(TASK, plain)})
    assert "layers" not in report.as_dict()
