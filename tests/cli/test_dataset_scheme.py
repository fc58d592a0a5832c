"""The scheme is stored with the dataset when it is first annotated, so that every later command
(another annotator's session, the review) gets it without flags; flags still override, and the
change is said and kept."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from annotator.cli import app as cli_app
from annotator.core.hashing import input_hash
from annotator.core.model import Annotation, Task
from annotator.core.tokenize import provisional_tokens
from annotator.core.validate import make_span
from annotator.review import ReviewSession, review_scheme
from annotator.store import Store
from annotator.tui.annotate_options import AnnotateOptions
from annotator.tui.launch import run_annotate

TEXT = "Gen Nakatani met Ahn Gyu Back in Seoul on Sunday ."


def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "doc.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def scheme_of(db: Path, dataset: str = "news") -> tuple[str, ...]:
    with Store(db) as store:
        found = store.scheme(dataset)
    assert found is not None
    return found.labels


def test_the_first_annotate_run_stores_the_scheme_and_later_runs_use_it(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    app, _ = run_annotate(
        AnnotateOptions(corpus(tmp_path), "news", labels="GPE,PERSON,DATE", relations="MET", db=db), "alice"
    )
    app.session.store.close()
    assert scheme_of(db) == ("GPE", "PERSON", "DATE")
    # bob comes later without flags: alice's labels, in her key order, and her relations
    app, notes = run_annotate(AnnotateOptions(corpus(tmp_path), "news", db=db), "bob")
    scheme = app.session.scheme
    app.session.store.close()
    assert scheme.labels == ("GPE", "PERSON", "DATE")
    assert scheme.relation_labels == ("MET",)
    assert not any("scheme of dataset" in n for n in notes)


def test_flags_override_the_stored_scheme_say_so_and_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    app, _ = run_annotate(AnnotateOptions(corpus(tmp_path), "news", labels="PERSON,GPE", db=db), "alice")
    color = app.session.scheme.color("GPE")
    app.session.store.close()
    app, notes = run_annotate(
        AnnotateOptions(corpus(tmp_path), "news", labels="GPE,PERSON,ORG", db=db), "alice"
    )
    app.session.store.close()
    assert app.session.scheme.labels == ("GPE", "PERSON", "ORG")
    assert app.session.scheme.color("GPE") == color  # a label keeps its colour when the keys move
    [note] = [n for n in notes if "scheme of dataset" in n]
    assert "GPE,PERSON,ORG" in note and "was labels PERSON,GPE" in note
    assert scheme_of(db) == ("GPE", "PERSON", "ORG")


def test_the_model_labels_are_stored_when_no_flag_is_given(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    app, _ = run_annotate(AnnotateOptions(corpus(tmp_path), "news", db=db), "alice")
    app.session.store.close()
    assert scheme_of(db)[:3] == ("PERSON", "ORG", "GPE")


def build_review(db: Path, scheme_labels: str | None) -> None:
    """alice and bob annotated one text; their spans use PERSON, GPE and DATE."""
    task = Task(TEXT, provisional_tokens(TEXT), input_hash(TEXT))

    def span(phrase: str, label: str, sid: int) -> object:
        start = TEXT.index(phrase)
        return make_span(task, start, start + len(phrase), label, sid=sid)

    with Store(db) as store:
        [task_id] = store.add_tasks("news", [(task, Annotation())])
        a = Annotation((span("Nakatani", "PERSON", 1), span("Seoul", "GPE", 2)), answer="accept")  # type: ignore[arg-type]
        b = Annotation((span("Nakatani", "PERSON", 1), span("Sunday", "DATE", 2)), answer="accept")  # type: ignore[arg-type]
        store.save_annotation(task_id, "alice", a)
        store.save_annotation(task_id, "bob", b)
    if scheme_labels is not None:
        app, _ = run_annotate(
            AnnotateOptions(corpus(db.parent), "news", labels=scheme_labels, db=db), "alice"
        )
        app.session.store.close()


def test_review_uses_the_stored_scheme_in_its_key_order(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_review(db, "ORG,PERSON,NORP,GPE,DATE")
    with Store(db) as store:
        notes: list[str] = []
        scheme = review_scheme(store, "news", ["alice", "bob"], None, None, None, notes)
        session = ReviewSession(store, "news", "alice", "bob", "judge", scheme=scheme)
        # the edit screen's keys: 1 = ORG, and NORP, which neither annotator used, is there
        assert session.gold.scheme.labels == ("ORG", "PERSON", "NORP", "GPE", "DATE")
    assert notes == []


def test_review_flags_override_and_labels_the_versions_use_are_kept(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_review(db, "PERSON,GPE,DATE")
    with Store(db) as store:
        notes: list[str] = []
        scheme = review_scheme(store, "news", ["alice", "bob"], "PERSON,LOC", None, None, notes)
    assert scheme.labels == ("PERSON", "LOC", "GPE", "DATE")
    assert any("GPE, DATE" in n and "added at the end" in n for n in notes)


def test_review_without_a_stored_scheme_orders_the_used_labels_as_annotate_does(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_review(db, None)  # imported work: no scheme stored
    with Store(db) as store:
        notes: list[str] = []
        scheme = review_scheme(store, "news", ["alice", "bob"], None, None, None, notes)
        assert store.scheme("news") is None  # derived, not chosen: nothing stored
    assert scheme.labels == ("PERSON", "GPE", "DATE")  # not alphabetical (DATE, GPE, PERSON)


def test_review_takes_labels_and_config_on_the_command_line(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_review(db, "PERSON,GPE,DATE")
    config = tmp_path / "scheme.toml"
    config.write_text("[labels\n", encoding="utf-8")
    review = ["review", "--dataset", "news", "--annotators", "alice,bob", "--db", str(db)]
    for flags, message in (
        (["--labels", "PERSON,PERSON"], "twice"),
        (["--config", str(config)], "scheme.toml"),
    ):
        result = CliRunner().invoke(cli_app, [*review, *flags])
        assert result.exit_code == 1 and message in result.output
