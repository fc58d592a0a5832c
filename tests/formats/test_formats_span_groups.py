"""Span groups through every format (issue 14): real nested annotation (the English-novels corpus'
adjudicated TSVs, whose second column nests PERSON inside PERX) put into a DocBin by spaCy itself
with ``doc.ents`` and ``doc.spans["nested"]``, imported, and written back to each format: the spans
kept, overlapping where they overlap, round trips exact; CoNLL writes the entity layer and says what
it left out."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from annotator.cli import app
from annotator.store import Store
from tests.conftest import FIXTURES

NOVELS = sorted((FIXTURES / "agreement" / "novels" / "gs").glob("*_final.tsv"))
runner = CliRunner()


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def bio(tags: list[str]) -> list[tuple[str, int, int]]:
    """(label, first, end) token ranges from IOB tags (an I- after O or another label begins one)."""
    out: list[tuple[str, int, int]] = []
    open_: list[Any] | None = None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        if open_ is not None and (prefix != "I" or label != open_[0]):
            out.append((open_[0], open_[1], i))
            open_ = None
        if prefix in ("B", "I") and open_ is None:
            open_ = [label, i]
    return out


def novel(path: Path) -> tuple[list[str], list[tuple[str, int, int]], list[tuple[str, int, int]]]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
    rows = [r for r in rows if len(r) == 3 and r[0] != "original_word"]  # header rows repeat
    return [r[0] for r in rows], bio([r[1] for r in rows]), bio([r[2] for r in rows])


@pytest.fixture(scope="module")
def docbin(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Counter[str]]:
    """The 12 novels as one DocBin made by spaCy, and how many spans each layer holds."""
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    docs = []
    counts: Counter[str] = Counter()
    for path in NOVELS:
        words, ents, nested = novel(path)
        doc = spacy.tokens.Doc(nlp.vocab, words=words)
        doc.ents = [spacy.tokens.Span(doc, a, b, label) for label, a, b in ents]
        doc.spans["nested"] = [spacy.tokens.Span(doc, a, b, label) for label, a, b in nested]
        counts["ents"] += len(ents)
        counts["nested"] += len(nested)
        docs.append(doc)
    out = tmp_path_factory.mktemp("novels") / "novels.spacy"
    DocBin(docs=docs, store_user_data=True).to_disk(out)
    return out, counts


def test_a_docbin_with_a_span_group_imports_every_group_span(
    docbin: tuple[Path, Counter[str]], workdir: Path
) -> None:
    path, counts = docbin
    assert counts["nested"] == 43 and counts["ents"] > 2000  # what the TSVs hold
    done = run("import", path, "-d", "novels", "-a", "gs", "--db", "n.db")
    assert done.exit_code == 0, done.output
    assert f"{counts['ents'] + counts['nested']} spans" in done.stdout
    with Store(Path("n.db")) as store:
        layers = Counter(s.layer for _, _, a in store.annotations("novels") for s in a.spans)
        overlapping = 0
        for _, _, a in store.annotations("novels"):
            ents = [s for s in a.spans if s.layer == "ents"]
            overlapping += sum(1 for g in a.spans if g.layer == "nested" and any(g.overlaps(e) for e in ents))
    assert layers == Counter({"ents": counts["ents"], "nested": counts["nested"]})
    assert overlapping > 30  # nested over entities: what no entity layer could hold


def _export(fmt: str, out: Path, *extra: str) -> Result:
    done = run("export", "-d", "novels", "--db", "n.db", "--format", fmt, "-o", out, *extra)
    assert done.exit_code == 0, done.output
    return done


def test_span_groups_round_trip_through_spacy_jsonl_brat_and_doccano(
    docbin: tuple[Path, Counter[str]], workdir: Path
) -> None:
    import spacy
    from spacy.tokens import DocBin

    path, counts = docbin
    assert run("import", path, "-d", "novels", "-a", "gs", "--db", "n.db").exit_code == 0
    with Store(Path("n.db")) as store:
        want = sorted(a.content() for _, _, a in store.annotations("novels"))
        places = sorted(
            {(s.start, s.end, s.label) for _, _, a in store.annotations("novels") for s in a.spans}
        )

    # spaCy: doc.spans["nested"] as spaCy reads it.
    _export("spacy", Path("out.spacy"))
    docs = list(DocBin().from_disk("out.spacy").get_docs(spacy.blank("en").vocab))
    assert sum(len(d.spans.get("nested", [])) for d in docs) == counts["nested"]
    assert sum(len(d.ents) for d in docs) == counts["ents"]

    # JSONL: Prodigy's spans_manual records, each group span naming its group.
    _export("jsonl", Path("out.jsonl"))
    recs = [orjson.loads(line) for line in Path("out.jsonl").read_bytes().splitlines()]
    grouped = [r for r in recs if any(s.get("key") == "nested" for s in r["spans"])]
    assert len(grouped) == 10 and {r["_view_id"] for r in grouped} == {"spans_manual"}  # 2 novels have none
    assert not any("_view_id" in r for r in recs if r not in grouped)
    assert sum(1 for r in recs for s in r["spans"] if s.get("key") == "nested") == counts["nested"]

    for fmt, out in (("spacy", "out.spacy"), ("jsonl", "out.jsonl")):
        dataset = f"back-{fmt}"
        done = run("import", out, "-d", dataset, "-a", "gs", "--db", "n.db")
        assert done.exit_code == 0, done.output
        with Store(Path("n.db")) as store:
            assert sorted(a.content() for _, _, a in store.annotations(dataset)) == want, fmt

    # brat and doccano name no layers: every span comes back, overlapping spans in a span group.
    for fmt, out in (("brat", "out-brat"), ("doccano", "out.doccano.jsonl")):
        _export(fmt, Path(out))
        dataset = f"back-{fmt}"
        done = run("import", out, "-d", dataset, "-a", "gs", "--db", "n.db", "--format", fmt)
        assert done.exit_code == 0, done.output
        assert "kept in span group 'sc'" in done.stderr
        with Store(Path("n.db")) as store:
            got = sorted(
                {(s.start, s.end, s.label) for _, _, a in store.annotations(dataset) for s in a.spans}
            )
        assert got == places, fmt


def test_brat_overlapping_t_lines_are_written_back_line_for_line(
    docbin: tuple[Path, Counter[str]], workdir: Path
) -> None:
    path, _ = docbin
    assert run("import", path, "-d", "novels", "-a", "gs", "--db", "n.db").exit_code == 0
    _export("brat", Path("b1"))
    assert run("import", "b1", "-d", "again", "-a", "gs", "--db", "n.db", "--format", "brat").exit_code == 0
    done = run("export", "-d", "again", "--db", "n.db", "--format", "brat", "-o", "b2")
    assert done.exit_code == 0, done.output
    for ann in sorted(Path("b1").glob("*.ann")):
        first = sorted(line.split("\t", 1)[1] for line in ann.read_text(encoding="utf-8").splitlines())
        second = sorted(
            line.split("\t", 1)[1]
            for line in (Path("b2") / ann.name).read_text(encoding="utf-8").splitlines()
        )
        assert first == second, ann.name


def test_conll_writes_the_entity_layer_and_says_what_it_left_out(
    docbin: tuple[Path, Counter[str]], workdir: Path
) -> None:
    path, counts = docbin
    assert run("import", path, "-d", "novels", "-a", "gs", "--db", "n.db").exit_code == 0
    done = _export("conll", Path("out.conll"))
    assert f"{counts['nested']} spans in span groups (conll holds the entity layer only)" in done.stdout
    tags = [
        line.split()[-1] for line in Path("out.conll").read_text(encoding="utf-8").splitlines() if " " in line
    ]
    assert sum(1 for t in tags if t.startswith("B-")) == counts["ents"]
