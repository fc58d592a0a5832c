"""One default label order everywhere, and a demo that offers every label its own hand gold needs
(it offered 7, without CARDINAL and ORDINAL, and put NORP on key 4 where annotate put it on 5)."""

from __future__ import annotations

import json

from annotator.config import PREFERRED_ORDER, resolve_scheme
from annotator.nlp.meta import ner_labels_from_meta, read_meta
from annotator.tui.launch import DEMO_LABELS
from tests.conftest import DATA


def gold_labels() -> set[str]:
    with (DATA / "sample_gold.jsonl").open(encoding="utf-8") as fh:
        return {span["label"] for line in fh for span in json.loads(line)["spans"]}


def test_the_demo_offers_every_label_of_its_gold_on_the_digit_keys() -> None:
    demo = DEMO_LABELS.split(",")
    assert gold_labels() <= set(demo)
    assert {"CARDINAL", "ORDINAL"} <= set(demo)
    assert len(demo) <= 9  # each on a digit key


def test_the_demo_and_annotate_give_shared_labels_the_same_keys() -> None:
    found = read_meta(None)
    assert found is not None
    annotate_default = resolve_scheme(None, None, None, ner_labels_from_meta(found[1])).labels
    demo = DEMO_LABELS.split(",")
    # the demo's labels come in the order annotate gives them with the model's labels
    assert [label for label in annotate_default if label in demo] == demo
    assert [label for label in PREFERRED_ORDER if label in demo] == demo
    # the keys a newcomer learns on the demo are the keys of annotate for the first labels
    assert demo[:5] == list(annotate_default[:5]) == ["PERSON", "ORG", "GPE", "LOC", "NORP"]


def test_the_readme_names_the_labels_the_demo_offers() -> None:
    readme = (DATA.parents[1] / "README.md").read_text(encoding="utf-8")
    assert ", ".join(DEMO_LABELS.split(",")) + "." in readme
