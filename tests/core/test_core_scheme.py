"""Label schemes: TOML files, key order, colours, relation constraints and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.scheme import (
    PALETTE,
    LabelScheme,
    RelationType,
    parse_label_list,
    scheme_from_dict,
    scheme_from_toml,
)

SCHEME_TOML = """
[labels]
PERSON = "#ff0000"
ORG = ""
GPE = "#00ff00"
NORP = ""
DATE = ""

[relations.WORKS_FOR]
head = ["PERSON"]
child = ["ORG", "GPE"]
color = "#ff8800"

[relations.MET]
head = "PERSON"
child = ["PERSON"]

[relations.RELATED]
"""


def write(tmp_path: Path, text: str, name: str = "scheme.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_scheme_from_toml_keeps_key_order_colours_and_constraints(tmp_path: Path) -> None:
    scheme = scheme_from_toml(write(tmp_path, SCHEME_TOML))
    # Key order is the key number, not alphabetical order.
    assert scheme.labels == ("PERSON", "ORG", "GPE", "NORP", "DATE")
    assert scheme.relation_labels == ("WORKS_FOR", "MET", "RELATED")
    assert scheme.color("PERSON") == "#ff0000"
    assert scheme.color("GPE") == "#00ff00"
    # Labels without a colour get the palette colour of their position, cycling past its end.
    assert scheme.color("ORG") == PALETTE[1]
    assert scheme.color("DATE") == PALETTE[4]
    assert scheme.color("UNKNOWN") not in (scheme.color(label) for label in scheme.labels)
    works_for = scheme.relation("WORKS_FOR")
    assert works_for == RelationType("WORKS_FOR", frozenset({"PERSON"}), frozenset({"ORG", "GPE"}), "#ff8800")
    # A single label without brackets is a list of one.
    met = scheme.relation("MET")
    assert met is not None and met.heads == frozenset({"PERSON"})
    related = scheme.relation("RELATED")
    assert related is not None and related.heads == related.children == frozenset()
    assert len({r.color for r in scheme.relations}) == 3


def test_relation_error_says_which_argument_is_wrong(tmp_path: Path) -> None:
    scheme = scheme_from_toml(write(tmp_path, SCHEME_TOML))
    assert scheme.relation_error("WORKS_FOR", "PERSON", "ORG") is None
    assert scheme.relation_error("WORKS_FOR", "PERSON", "GPE") is None
    assert scheme.relation_error("WORKS_FOR", "ORG", "ORG") == (
        "WORKS_FOR needs a head labelled PERSON, not ORG"
    )
    assert scheme.relation_error("WORKS_FOR", "PERSON", "DATE") == (
        "WORKS_FOR needs a child labelled GPE or ORG, not DATE"
    )
    assert scheme.relation_error("RELATED", "DATE", "NORP") is None  # no constraint: any labels
    assert (
        scheme.relation_error("LIKES", "PERSON", "PERSON") == "LIKES is not a relation label of this scheme"
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[labels\nPERSON = 1", "not valid TOML"),
        ('[labels]\nPERSON = "#f00"\nPERSON = "#0f0"', "not valid TOML"),
        ('labels = "PERSON,ORG"', "[labels] must be a table"),
        ("[labels]\nPERSON = 3", "[labels] PERSON: 3 is not a colour"),
        (
            '[labels]\nPERSON = ""\n[relations.MET]\nhead = ["PERSN"]',
            "relation MET names entity labels not in [labels]: PERSN",
        ),
        (
            '[labels]\nPERSON = ""\n[relations.MET]\nchild = 7',
            "relation MET child must be a list of entity labels",
        ),
        ('relations = ["MET"]', "[relations] must be a table of tables"),
    ],
)
def test_bad_scheme_files_give_an_error_naming_the_file(tmp_path: Path, text: str, reason: str) -> None:
    path = write(tmp_path, text, "my labels.toml")
    with pytest.raises(AnnotatorError) as info:
        scheme_from_toml(path)
    assert str(path) in str(info.value)
    assert reason in str(info.value)


def test_unreadable_scheme_files_give_an_error_naming_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.toml"
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[labels]\nPERSÖN = ""\n'.encode("latin-1"))
    for path in (missing, latin1):
        with pytest.raises(AnnotatorError) as info:
            scheme_from_toml(path)
        assert str(info.value).startswith(f"{path}: cannot read the label scheme")


def test_repeated_labels_and_label_lists() -> None:
    with pytest.raises(AnnotatorError, match="entity labels repeat"):
        scheme_from_dict({"labels": ["PERSON", "ORG", "PERSON"]})
    with pytest.raises(AnnotatorError, match="relation labels repeat"):
        LabelScheme(("PERSON",), relations=(RelationType("MET"), RelationType("MET")))
    assert scheme_from_dict({"labels": ["B", "A"]}).labels == ("B", "A")
    assert parse_label_list(" PERSON, ORG ,GPE ") == ["PERSON", "ORG", "GPE"]
    with pytest.raises(AnnotatorError, match="no labels"):
        parse_label_list(" , ")


def test_with_relations_picks_in_the_given_order_and_allows_unknown_labels_anywhere() -> None:
    scheme = scheme_from_dict(
        {"labels": {"PERSON": "", "ORG": ""}, "relations": {"MET": {"head": ["PERSON"], "child": ["PERSON"]}}}
    )
    picked = scheme.with_relations(["NEW", "MET"])
    assert picked.relation_labels == ("NEW", "MET")
    assert picked.labels == scheme.labels
    assert picked.relation_error("NEW", "ORG", "PERSON") is None
    assert picked.relation_error("MET", "ORG", "PERSON") is not None
