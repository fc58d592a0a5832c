"""Label Studio JSON export: a real project's file, and the shapes of older and other exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from annotator.formats import label_studio
from annotator.formats.base import Item
from annotator.formats.problems import Problems
from tests.formats_support import LABEL_STUDIO, messages, totals


def read(path: Path) -> tuple[list[Item], Problems]:
    problems = Problems()
    return list(label_studio.read(path, problems)), problems


def test_fixture_counts_match_the_raw_file() -> None:
    tasks = json.loads(LABEL_STUDIO.read_text(encoding="utf-8"))
    results = [r for t in tasks for a in t["annotations"] for r in a["result"]]
    n_spans = sum(1 for r in results if r["type"] == "labels")
    n_rels = sum(len(r["labels"]) for r in results if r["type"] == "relation")
    items, problems = read(LABEL_STUDIO)
    assert not problems.bad and not problems.unsupported, messages(problems)
    assert totals(items) == (sum(len(t["annotations"]) for t in tasks), n_spans, n_rels)
    assert (n_spans, n_rels) == (13, 7)


def test_fixture_text_is_the_field_the_spans_were_drawn_on_and_relations_follow_ids() -> None:
    tasks = json.loads(LABEL_STUDIO.read_text(encoding="utf-8"))
    items, _ = read(LABEL_STUDIO)
    for (task, ann), raw in zip(items, tasks, strict=True):
        # "text" (tokenized) and "original" both hold the document; the spans fit only "text".
        assert task.text == raw["data"]["text"] != raw["data"]["original"]
        assert task.meta["original"] == raw["data"]["original"] and task.meta["label_studio_id"] == raw["id"]
        regions = {
            r["id"]: r["value"] for a in raw["annotations"] for r in a["result"] if r["type"] == "labels"
        }
        assert sorted((task.text[s.start : s.end], s.label) for s in ann.spans) == sorted(
            (v["text"], v["labels"][0]) for v in regions.values()
        )
        spans = {s.sid: (s.start, s.end) for s in ann.spans}
        got = sorted((spans[r.head], r.label, spans[r.child]) for r in ann.relations)
        want = sorted(
            (
                (regions[r["from_id"]]["start"], regions[r["from_id"]]["end"]),
                r["labels"][0],
                (regions[r["to_id"]]["start"], regions[r["to_id"]]["end"]),
            )
            for a in raw["annotations"]
            for r in a["result"]
            if r["type"] == "relation"
        )
        assert got == want
        assert ann.annotator == str(raw["annotations"][0]["completed_by"]) and ann.answer == "accept"


def region(rid: str, start: int, end: int, text: str, label: str) -> dict[str, Any]:
    return {
        "id": rid,
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": start, "end": end, "text": text, "labels": [label]},
    }


def write(tmp_path: Path, tasks: list[dict[str, Any]]) -> Path:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_utf16_offsets_of_old_exports_are_converted_by_the_span_text(tmp_path: Path) -> None:
    text = "💩This is an annotation in 東京 😀 by Zoë"

    def js(i: int) -> int:  # doccano's and Label Studio's browser count in UTF-16 code units
        return len(text[:i].encode("utf-16-le")) // 2

    a, z = text.index("annotation"), text.index("Zoë")
    task = {
        "id": 1,
        "data": {"text": text},
        "annotations": [
            {
                "id": 10,
                "completed_by": 3,
                "result": [
                    region("r1", js(a), js(a) + 10, "annotation", "THING"),  # old front end: UTF-16
                    region("r2", z, z + 3, "Zoë", "PER"),  # current front end: code points
                    {
                        "from_id": "r2",
                        "to_id": "r1",
                        "type": "relation",
                        "direction": "right",
                        "labels": ["WROTE"],
                    },
                ],
            }
        ],
    }
    items, problems = read(write(tmp_path, [task]))
    assert not problems.bad, messages(problems)
    [(t, ann)] = items
    assert [(t.text[s.start : s.end], s.label) for s in ann.spans] == [
        ("annotation", "THING"),
        ("Zoë", "PER"),
    ]
    assert problems.notes[label_studio.UTF16_NOTE] == 1


def test_directions_several_users_cancelled_and_unsupported_results(tmp_path: Path) -> None:
    text = "Ann met Bob"
    regions = [region("a", 0, 3, "Ann", "PER"), region("b", 8, 11, "Bob", "PER")]
    tasks = [
        {
            "id": 7,
            "data": {"text": text, "url": "x"},
            "annotations": [
                {
                    "id": 1,
                    "completed_by": 1,
                    "result": [
                        *regions,
                        {
                            "from_id": "a",
                            "to_id": "b",
                            "type": "relation",
                            "direction": "left",
                            "labels": ["MET"],
                        },
                        {
                            "from_id": "a",
                            "to_id": "b",
                            "type": "relation",
                            "direction": "bi",
                            "labels": ["KNOWS"],
                        },
                        {
                            "from_id": "a",
                            "to_id": "b",
                            "type": "relation",
                            "direction": "right",
                            "labels": [],
                        },
                        {"type": "choices", "value": {"choices": ["news"]}},
                    ],
                },
                {"id": 2, "completed_by": 2, "was_cancelled": True, "result": []},
            ],
        },
        {"id": 8, "data": {"text": "nobody did this"}, "annotations": []},
    ]
    path = write(tmp_path, tasks)
    items, problems = read(path)
    assert [(a.annotator, a.answer) for _, a in items] == [("1", "accept"), ("2", "ignore")]
    ann = items[0][1]
    name = {s.sid: text[s.start : s.end] for s in ann.spans}
    assert sorted((name[r.head], r.label, name[r.child]) for r in ann.relations) == [
        ("Ann", "KNOWS", "Bob"),
        ("Bob", "KNOWS", "Ann"),
        ("Bob", "MET", "Ann"),
    ]
    assert dict(problems.unsupported) == {"relation without a label": 1, "choices result": 1}
    assert any("no annotations" in w.reason for w in problems.warnings)
    assert label_studio.users(path) == {"1", "2"}


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        (region("a", 0, 3, "Bob", "PER"), "says 'Bob'"),
        ({"from_id": "a", "to_id": "zz", "type": "relation", "labels": ["X"]}, "not one of the spans"),
    ],
)
def test_a_bad_result_is_reported_and_the_rest_of_its_task_and_the_file_kept(
    tmp_path: Path, result: dict[str, Any], reason: str
) -> None:
    good = {
        "id": 2,
        "data": {"text": "Ann"},
        "annotations": [{"id": 5, "completed_by": 1, "result": [region("a", 0, 3, "Ann", "PER")]}],
    }
    bad = {
        "id": 1,
        "data": {"text": "Ann met"},
        "annotations": [
            {
                "id": 4,
                "completed_by": 1,
                "result": [region("a", 0, 3, "Ann", "PER"), result]
                if result.get("type") == "relation"
                else [result],
            }
        ],
    }
    items, problems = read(write(tmp_path, [bad, good]))
    assert [t.text for t, _ in items] == ["Ann met", "Ann"]
    kept = 1 if result.get("type") == "relation" else 0  # the region beside a bad relation stays
    assert [len(a.spans) for _, a in items] == [kept, 1] and not items[0][1].relations
    assert len(problems.bad) == 1 and reason in problems.bad[0].reason
    assert "task 1 (id 1)" in problems.bad[0].reason and problems.bad[0].line == 2


def test_a_region_with_two_labels_and_overlapping_regions_are_kept(tmp_path: Path) -> None:
    """Issue 14: Label Studio's overlapping labels regions (and a region given two labels) are
    kept: the spans that overlap an entity span go to the span group sc."""
    task = {
        "id": 1,
        "data": {"text": "Bank of America"},
        "annotations": [
            {
                "id": 4,
                "completed_by": 1,
                "result": [
                    {**region("a", 0, 15, "Bank of America", "ORG")},
                    {
                        **region("b", 8, 15, "America", "GPE"),
                        "value": {"start": 8, "end": 15, "text": "America", "labels": ["GPE", "COUNTRY"]},
                    },
                ],
            }
        ],
    }
    items, problems = read(write(tmp_path, [task]))
    [(t, ann)] = items
    assert not problems.bad
    assert [(t.text[s.start : s.end], s.label, s.layer) for s in ann.spans] == [
        ("Bank of America", "ORG", "ents"),
        ("America", "COUNTRY", "sc"),
        ("America", "GPE", "sc"),
    ]
