"""Figures the README gives that come from files of the repository: they are computed here from the
files, so the README cannot drift from them again (it said 32 relation rules where the file has 30,
and an `_input_hash` that was not the sample article's)."""

from __future__ import annotations

import re
import tomllib

import orjson

from annotator.config import default_scheme_path
from annotator.core.hashing import input_hash, task_hash
from annotator.core.records import from_record
from tests.conftest import DATA, REPO, SAMPLE

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_the_relation_rule_count_is_the_files() -> None:
    rules = tomllib.loads((REPO / "annotator" / "data" / "relation_rules.toml").read_text(encoding="utf-8"))
    said = re.search(r"relation_rules\.toml`, (\d+) rules", README)
    assert said is not None and int(said.group(1)) == len(rules["rule"])


def test_the_json_example_carries_the_sample_articles_real_hashes() -> None:
    example = README.split("## The gold JSONL", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    hashes = {k: int(v) for k, v in re.findall(r'"(_input_hash|_task_hash)": (\d+)', example)}
    task, gold = from_record(orjson.loads((DATA / "sample_gold.jsonl").read_bytes().splitlines()[0]))
    assert task.text == SAMPLE.read_text(encoding="utf-8")
    assert hashes["_input_hash"] == input_hash(task.text) == task.input_hash
    assert hashes["_task_hash"] == task_hash(task.input_hash, gold)
    # the spans and the relation shown are the hand annotation's first ones
    first = gold.spans[0]
    assert f'"start": {first.start}, "end": {first.end}' in example and f'"label": "{first.label}"' in example


def test_the_default_relations_the_readme_lists_are_the_files() -> None:
    scheme = tomllib.loads(default_scheme_path().read_text(encoding="utf-8"))
    flowing = " ".join(README.split())  # as it reads, whatever the line breaks
    for label, spec in scheme["relations"].items():
        shown = f"`{label}` ({'/'.join(spec['head'])} → {'/'.join(spec['child'])})"
        assert shown in flowing, shown
