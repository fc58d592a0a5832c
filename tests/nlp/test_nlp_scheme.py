"""Label scheme resolution: --labels, --config, the model's labels, and relation labels."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.config import default_scheme_path, resolve_scheme
from annotator.core.errors import AnnotatorError
from annotator.core.scheme import scheme_from_toml

# The labels en_core_web_sm predicts, in the order the model reports them (alphabetical).
MODEL_LABELS = [
    "CARDINAL",
    "DATE",
    "EVENT",
    "FAC",
    "GPE",
    "LANGUAGE",
    "LAW",
    "LOC",
    "MONEY",
    "NORP",
    "ORDINAL",
    "ORG",
    "PERCENT",
    "PERSON",
    "PRODUCT",
    "QUANTITY",
    "TIME",
    "WORK_OF_ART",
]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_default_news_scheme_has_constrained_relations() -> None:
    scheme = scheme_from_toml(default_scheme_path())
    assert len(scheme.relations) >= 4
    assert scheme.relation_labels == ("AFFILIATED_WITH", "MET", "VISITED", "LOCATED_IN", "ATTENDS")
    affiliated = scheme.relation("AFFILIATED_WITH")
    assert affiliated is not None
    assert affiliated.heads == {"PERSON"} and affiliated.children == {"NORP", "GPE", "ORG"}
    visited = scheme.relation("VISITED")
    assert visited is not None and "PERSON" in visited.heads and "GPE" in visited.children


def test_model_labels_put_common_news_labels_on_the_first_keys() -> None:
    notes: list[str] = []
    scheme = resolve_scheme(None, None, None, MODEL_LABELS, notes)
    assert scheme.labels[:6] == ("PERSON", "ORG", "GPE", "LOC", "NORP", "DATE")
    assert sorted(scheme.labels) == sorted(MODEL_LABELS)
    assert scheme.relation_labels == ("AFFILIATED_WITH", "MET", "VISITED", "LOCATED_IN", "ATTENDS")
    assert notes == []


def test_labels_fix_the_order_and_unknown_ones_are_said() -> None:
    notes: list[str] = []
    scheme = resolve_scheme("GPE, PERSON,WEAPON", None, None, MODEL_LABELS, notes)
    assert scheme.labels == ("GPE", "PERSON", "WEAPON")
    assert any("does not predict WEAPON" in n for n in notes)
    # ORG is not an entity label here, so AFFILIATED_WITH can still link PERSON to GPE: no note.
    assert not any("AFFILIATED_WITH" in n for n in notes)
    # ATTENDS needs an EVENT or ORG child, which these labels lack.
    assert any(n.startswith("relation ATTENDS") for n in notes)


def test_config_gives_labels_colours_and_relations(tmp_path: Path) -> None:
    config = write(
        tmp_path / "scheme.toml",
        '[labels]\nDRUG = "#ff0000"\nDISEASE = "#00ff00"\n\n'
        '[relations.TREATS]\nhead = ["DRUG"]\nchild = ["DISEASE"]\n',
    )
    notes: list[str] = []
    scheme = resolve_scheme(None, config, None, MODEL_LABELS, notes)
    assert scheme.labels == ("DRUG", "DISEASE")
    assert scheme.color("DRUG") == "#ff0000"
    assert scheme.relation_labels == ("TREATS",)
    assert scheme.relation_error("TREATS", "DISEASE", "DRUG") is not None
    assert any("does not predict DRUG, DISEASE" in n for n in notes)


def test_labels_override_config_labels_but_keep_its_colours(tmp_path: Path) -> None:
    config = write(tmp_path / "s.toml", '[labels]\nPERSON = "#123456"\nORG = "#654321"\n')
    scheme = resolve_scheme("ORG,PERSON", config, None, MODEL_LABELS)
    assert scheme.labels == ("ORG", "PERSON")
    assert scheme.color("PERSON") == "#123456"
    # no [relations] in the config: the default news relations
    assert "MET" in scheme.relation_labels


def test_config_with_empty_relations_table_means_none(tmp_path: Path) -> None:
    config = write(tmp_path / "s.toml", '[labels]\nPERSON = "#123456"\n\n[relations]\n')
    assert resolve_scheme(None, config, None, MODEL_LABELS).relations == ()


def test_relations_option_picks_and_orders(tmp_path: Path) -> None:
    notes: list[str] = []
    scheme = resolve_scheme(None, None, "VISITED,MET,SPOUSE_OF", MODEL_LABELS, notes)
    assert scheme.relation_labels == ("VISITED", "MET", "SPOUSE_OF")
    visited = scheme.relation("VISITED")
    assert visited is not None and visited.heads == {"PERSON"}  # constraints survive the pick
    assert scheme.relation_error("SPOUSE_OF", "ORG", "DATE") is None  # unknown: unconstrained
    assert any("SPOUSE_OF" in n and "not in the scheme" in n for n in notes)


@pytest.mark.parametrize(
    ("labels", "relations", "message"),
    [
        ("PERSON,PERSON", None, "twice"),
        (" , ", None, "no labels"),
        (None, "MET,MET", "twice"),
    ],
)
def test_bad_options_are_errors(labels: str | None, relations: str | None, message: str) -> None:
    with pytest.raises(AnnotatorError, match=message):
        resolve_scheme(labels, None, relations, MODEL_LABELS)


def test_missing_or_broken_config_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(AnnotatorError, match="no such label scheme file"):
        resolve_scheme(None, tmp_path / "nope.toml", None, MODEL_LABELS)
    broken = write(tmp_path / "broken.toml", "[labels\nPERSON=1\n")
    with pytest.raises(AnnotatorError, match=r"broken\.toml: not valid TOML"):
        resolve_scheme(None, broken, None, MODEL_LABELS)


def test_a_model_without_labels_needs_labels() -> None:
    with pytest.raises(AnnotatorError, match="--labels"):
        resolve_scheme(None, None, None, [])
    assert resolve_scheme("PERSON", None, None, []).labels == ("PERSON",)
