"""`annotator evaluate`: the model's suggestions scored against stored annotations by spaCy's Scorer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from spacy.language import Language
from typer.testing import CliRunner

from annotator.cli import app
from annotator.core.model import Annotation
from annotator.core.scheme import LabelScheme
from annotator.nlp.examples import reference_doc, task_doc
from annotator.nlp.preannotate import suggest
from annotator.nlp.scoring import score_spans
from tests.gold_support import paragraph_tasks, store_accepted

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "news.db"
    store_accepted(path, "news", "alice", paragraph_tasks())
    return path


def evaluate_json(db: Path, *extra: str) -> dict[str, object]:
    result = runner.invoke(
        app, ["evaluate", "--dataset", "news", "--annotator", "alice", "--db", str(db), "--json", *extra]
    )
    assert result.exit_code == 0, result.output
    data: dict[str, object] = orjson.loads(result.stdout)
    return data


def test_json_has_the_fixed_shape_and_matches_an_independent_count(db: Path, nlp: Language) -> None:
    data = evaluate_json(db)
    assert set(data) == {"model", "tasks", "ents", "relations"}
    assert data["tasks"] == 15 and str(data["model"]).startswith("en_core_web_sm")
    ents = data["ents"]
    assert isinstance(ents, dict) and set(ents) == {"precision", "recall", "f1", "per_label"}
    assert set(ents["per_label"]["PERSON"]) == {"precision", "recall", "f1"}
    relations = data["relations"]
    assert isinstance(relations, dict) and set(relations) == {"precision", "recall", "f1"}
    # The same predictions counted by hand (exact offsets and label, pooled over the tasks).
    pairs = paragraph_tasks()
    labels = {s.label for _, a in pairs for s in a.spans}
    scheme = LabelScheme(tuple(sorted(labels)))
    tp = predicted = gold = 0
    for task, annotation in pairs:
        doc = nlp(task_doc(nlp.vocab, task))
        s = score_spans(suggest(doc, task, scheme, "m", None), annotation)
        tp, predicted, gold = tp + s.tp, predicted + s.predicted, gold + s.gold
    assert ents["precision"] == pytest.approx(tp / predicted)
    assert ents["recall"] == pytest.approx(tp / gold)
    # The model tags "Nakatani" ORG six times: PERSON recall is well below its precision.
    person = ents["per_label"]["PERSON"]
    assert person["precision"] == 1.0 and person["recall"] < 0.7
    rel = data["relations"]
    assert isinstance(rel, dict) and 0.5 < rel["precision"] <= 1.0 and 0 < rel["recall"] < 1.0


def test_a_label_map_scores_in_the_scheme_labels(tmp_path: Path) -> None:
    pairs = [
        (
            task,
            replace(
                ann,
                spans=tuple(
                    replace(s, label={"PERSON": "PER", "GPE": "LOC"}.get(s.label, s.label)) for s in ann.spans
                ),
            ),
        )
        for task, ann in paragraph_tasks()
    ]
    db = tmp_path / "conll.db"
    store_accepted(db, "news", "alice", pairs)
    plain = evaluate_json(db, "--labels", "PER,LOC")
    mapped = evaluate_json(db, "--labels", "PER,LOC", "--label-map", "PERSON=PER,GPE=LOC")
    # Without the map the model never says PER, and says LOC only where OntoNotes has LOC.
    assert plain["ents"]["per_label"]["PER"]["f1"] == 0.0  # type: ignore[index]
    assert mapped["ents"]["f1"] > plain["ents"]["f1"] + 0.5  # type: ignore[index]
    per = mapped["ents"]["per_label"]["PER"]  # type: ignore[index]
    assert per["precision"] == 1.0 and 0.5 < per["recall"] < 0.7
    assert set(mapped["ents"]["per_label"]) == {"PER", "LOC"}  # type: ignore[index]


def test_table_and_errors(db: Path) -> None:
    result = runner.invoke(app, ["evaluate", "--dataset", "news", "--annotator", "alice", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "entities" in result.stdout and "PERSON" in result.stdout and "relations" in result.stdout
    for args, said in (
        (["--annotator", "bob"], "'bob' has accepted no task"),
        (["--gold"], "dataset 'news' has no gold set yet"),
        ([], "give --gold"),
        (["--gold", "--annotator", "alice"], "not both"),
    ):
        result = runner.invoke(app, ["evaluate", "--dataset", "news", "--db", str(db), *args])
        assert result.exit_code == 1 and said in result.stderr, result.output
    result = runner.invoke(app, ["evaluate", "--dataset", "nope", "--gold", "--db", str(db)])
    assert result.exit_code == 1 and "no dataset 'nope'" in result.stderr


def test_out_of_scheme_entities_of_the_model_are_kept_in_the_reference(nlp: Language) -> None:
    task, gold = paragraph_tasks()[0]
    scheme = LabelScheme(("PERSON",))
    only_people = Annotation(tuple(s for s in gold.spans if s.label == "PERSON"))
    keep = [(1, 2, "DATE"), (5, 7, "ORG")]  # the second overlaps "Gen Nakatani" (tokens 5-6)
    doc = reference_doc(nlp.vocab, task, only_people, scheme, keep)
    assert [(e.start, e.end, e.label_) for e in doc.ents if e.label_ != "PERSON"] == [(1, 2, "DATE")]
    assert {e.label_ for e in doc.ents} == {"PERSON", "DATE"}
    assert all(t.ent_iob_ in ("B", "I", "O") for t in doc)


def test_the_table_draws_the_model_s_name_and_the_labels_as_text(
    db: Path, nlp: Language, tmp_path: Path
) -> None:
    """A pipeline's name comes from its meta.json: its control characters, a newline too, reach the
    terminal as stand-ins, never as a row of their own or an escape sequence."""
    folder = tmp_path / "hostile-model"
    name = nlp.meta["name"]
    nlp.meta["name"] = "pwned\x1b]0;title\x07\nFAKE ROW"
    try:
        nlp.to_disk(folder)
    finally:
        nlp.meta["name"] = name
    result = runner.invoke(
        app,
        ["evaluate", "--dataset", "news", "--annotator", "alice", "--db", str(db), "--model", str(folder)],
    )
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert not any(line.startswith("FAKE ROW") for line in result.output.splitlines())
    assert "pwned␛]0;title␇␊FAKE ROW" in result.output
    assert "  PERSON" in result.output  # the labels' rows
