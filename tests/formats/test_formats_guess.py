"""Which format a file is in, from its name and contents; the real fixtures of each tool."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.formats.guess import guess
from annotator.formats.registry import get
from tests.formats_support import BRAT_NEWS, DOCCANO, LABEL_STUDIO, NOVELS, REL_FILE


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (REL_FILE, "jsonl"),
        (DOCCANO / "data_export-pipeline-examples-relation_extraction-example.jsonl", "doccano"),
        (DOCCANO / "data_export-pipeline-examples-sequence_labeling-example.jsonl", "doccano"),
        (DOCCANO / "data_import-pipeline-examples-relation_extraction-example.jsonl", "doccano"),
        (NOVELS / "Emma.jsonl", "doccano"),
        (LABEL_STUDIO, "label-studio"),
        (BRAT_NEWS, "brat"),
        (BRAT_NEWS / "000-introduction.ann", "brat"),
        (BRAT_NEWS / "000-introduction.txt", "brat"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_fixtures_are_recognised(path: Path, expected: str) -> None:
    assert guess(path)[0] == expected


def test_conll_spacy_and_plain_tasks(tmp_path: Path) -> None:
    (tmp_path / "a.tsv").write_text("-DOCSTART- -X- O O\n\nAnn B-PER\nsings O\n")
    (tmp_path / "b.conll").write_text("")
    (tmp_path / "c.spacy").write_bytes(b"")
    (tmp_path / "d.json").write_text('{"text": "plain task"}\n')
    (tmp_path / "e.txt").write_text("just some prose\nwith lines\n")
    assert guess(tmp_path / "a.tsv")[0] == "conll"
    assert guess(tmp_path / "b.conll")[0] == "conll"
    assert guess(tmp_path / "c.spacy")[0] == "spacy"
    assert guess(tmp_path / "d.json")[0] == "jsonl"
    with pytest.raises(AnnotatorError, match="pass --format"):
        guess(tmp_path / "e.txt")
    with pytest.raises(AnnotatorError, match="no such file"):
        guess(tmp_path / "missing.jsonl")
    (tmp_path / "folder").mkdir()
    with pytest.raises(AnnotatorError, match="cannot tell"):
        guess(tmp_path / "folder")


def test_format_names_and_aliases() -> None:
    assert get("Prodigy").name == "jsonl" and get("labelstudio").name == "label-studio"
    with pytest.raises(AnnotatorError, match=r"choose one of: jsonl, doccano, brat, conll, spacy$"):
        get("label-studio", writing=True)
    with pytest.raises(AnnotatorError, match="cannot read format 'xml'"):
        get("xml")
