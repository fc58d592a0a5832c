"""--label-map and [label_map]: the model's labels seen through the scheme's, wherever suggestions are made."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from typer.testing import CliRunner

from annotator.cli import app
from annotator.config import resolve_scheme
from annotator.core.errors import AnnotatorError
from annotator.core.scheme import LabelScheme, parse_label_map, scheme_from_toml
from tests.conftest import SAMPLE

MODEL_LABELS = ["CARDINAL", "DATE", "GPE", "LOC", "NORP", "ORG", "PERSON"]

runner = CliRunner()


def test_parse_label_map() -> None:
    assert parse_label_map("PERSON=PER, GPE = LOC,LOC=LOC") == {"PERSON": "PER", "GPE": "LOC", "LOC": "LOC"}
    for bad in ("PERSON", "PERSON=", "=PER", ",", "PERSON=PER,PERSON=ORG"):
        with pytest.raises(AnnotatorError):
            parse_label_map(bad)


def test_suggested_label_maps_then_keeps_only_scheme_labels() -> None:
    scheme = LabelScheme(("PER", "LOC", "ORG"), label_map={"PERSON": "PER", "GPE": "LOC"})
    assert scheme.suggested_label("PERSON") == "PER"
    assert scheme.suggested_label("GPE") == "LOC"
    assert scheme.suggested_label("ORG") == "ORG"
    assert scheme.suggested_label("DATE") is None
    assert scheme.with_relations(()).label_map == scheme.label_map


def test_without_labels_the_scheme_is_the_mapped_model_labels() -> None:
    notes: list[str] = []
    scheme = resolve_scheme(None, None, None, MODEL_LABELS, notes, "PERSON=PER,GPE=LOC,LOC=LOC")
    assert "PERSON" not in scheme.labels and "GPE" not in scheme.labels
    assert {"PER", "LOC", "ORG"} <= set(scheme.labels)
    assert scheme.labels.count("LOC") == 1
    assert not any("predict" in n for n in notes)
    # The news scheme's relations name OntoNotes labels, which this scheme no longer has: said.
    assert any(n.startswith("relation MET links PERSON") for n in notes)


def test_labels_the_map_reaches_are_not_said_to_be_unpredicted() -> None:
    notes: list[str] = []
    resolve_scheme("PER,LOC,ORG", None, None, MODEL_LABELS, notes, "PERSON=PER,GPE=LOC")
    assert not any("predict" in n for n in notes)
    notes.clear()
    resolve_scheme("PER,LOC,ORG,MISC", None, None, MODEL_LABELS, notes, "PERSON=PER,GPE=LOC,WEAPON=MISC")
    assert any("WEAPON" in n and "does not predict" in n for n in notes)
    assert any("MISC" in n for n in notes)


def test_a_map_onto_a_label_outside_the_scheme_is_refused() -> None:
    with pytest.raises(AnnotatorError, match="PER"):
        resolve_scheme("LOC,ORG", None, None, MODEL_LABELS, [], "PERSON=PER")


def test_config_label_map_and_the_option_on_top(tmp_path: Path) -> None:
    config = tmp_path / "conll.toml"
    config.write_text(
        '[labels]\nPER = "#e6b422"\nLOC = ""\nORG = ""\n\n[label_map]\nPERSON = "PER"\nGPE = "LOC"\n'
    )
    assert scheme_from_toml(config).label_map == {"PERSON": "PER", "GPE": "LOC"}
    scheme = resolve_scheme(None, config, None, MODEL_LABELS, [], "GPE=ORG")
    assert scheme.label_map == {"PERSON": "PER", "GPE": "ORG"}
    bad = tmp_path / "bad.toml"
    bad.write_text('[labels]\nPER = ""\n[label_map]\nPERSON = 3\n')
    with pytest.raises(AnnotatorError, match="label_map"):
        scheme_from_toml(bad)


def test_preannotate_suggests_in_the_scheme_labels(tmp_path: Path) -> None:
    out = tmp_path / "sample.jsonl"
    args = ["preannotate", str(SAMPLE), "-o", str(out), "--labels", "PER,LOC,ORG"]
    result = runner.invoke(app, [*args, "--label-map", "PERSON=PER,GPE=LOC"])
    assert result.exit_code == 0, result.output
    spans = orjson.loads(out.read_bytes().splitlines()[0])["spans"]
    labels = {s["label"] for s in spans}
    assert labels == {"PER", "LOC", "ORG"}
    text = SAMPLE.read_text(encoding="utf-8")
    assert any(text[s["start"] : s["end"]] == "Seoul" and s["label"] == "LOC" for s in spans)
    result = runner.invoke(app, [*args, "--label-map", "PERSON=PERS"])
    assert result.exit_code == 1 and "PERS" in result.stderr
