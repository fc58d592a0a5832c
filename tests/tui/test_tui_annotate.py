"""The real annotate app, driven by Pilot with the keys of DESIGN.md, on the sample article as the
real spaCy pipeline pre-annotates it; every check reads the SQLite file back."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from annotator.core.model import Span
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from annotator.tui.launch import DEMO_LABELS
from tests.tui_support import SIZE, make_app, span_with_text


def stored(db: Path, annotator: str = "alice") -> object:
    with Store(db) as store:
        (task_id,) = store.task_ids("demo")
        return store.annotation(task_id, annotator)


def texts(app: AnnotatorApp) -> dict[str, list[str]]:
    cur = app.session.current
    assert cur is not None
    out: dict[str, list[str]] = {}
    for s in sorted(cur.annotation.spans, key=lambda s: s.start):
        out.setdefault(cur.task.text[s.start : s.end], []).append(s.label)
    return out


async def tab_to(pilot: Pilot[None], app: AnnotatorApp, span: Span) -> None:
    for _ in range(len(app.session.current.annotation.spans) + 1):  # type: ignore[union-attr]
        await pilot.press("tab")
        if app.annotate_screen.selected_sid == span.sid:
            return
    raise AssertionError(f"tab never reached span {span}")


async def test_model_suggestions_are_shown_and_wrong_label_is_fixed(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # The model's known mistakes are the starting point: Nakatani as ORG.
        assert "ORG" in texts(app)["Nakatani"]
        wrong = next(
            s
            for s in app.session.current.annotation.spans  # type: ignore[union-attr]
            if s.label == "ORG" and app.session.current.task.text[s.start : s.end] == "Nakatani"  # type: ignore[union-attr]
        )
        await tab_to(pilot, app, wrong)
        await pilot.press("1")  # PERSON is key 1
    after = stored(demo_db)
    assert after is not None and after.answer is None  # type: ignore[attr-defined]
    fixed = [s for s in after.spans if (s.start, s.end) == (wrong.start, wrong.end)]  # type: ignore[attr-defined]
    assert [s.label for s in fixed] == ["PERSON"]


async def test_shrink_north_koreas_and_add_delete_undo_redo_accept(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = app.session.current.task.text  # type: ignore[union-attr]
        nk = span_with_text(app, "North Korea’s")
        await tab_to(pilot, app, nk)
        await pilot.press("H")  # shrink by one token: drop "’s"
        shrunk = [s for s in app.session.current.annotation.spans if s.start == nk.start]  # type: ignore[union-attr]
        assert [text[s.start : s.end] for s in shrunk] == ["North Korea"]

        # "the Seoul Defense Dialogue" is an ORG to the model: drop "the" from the left, make it an EVENT.
        dialogue = span_with_text(app, "the Seoul Defense Dialogue")
        await tab_to(pilot, app, dialogue)
        await pilot.press("greater_than_sign")
        await pilot.press("7")  # EVENT
        assert texts(app)["Seoul Defense Dialogue"] == ["EVENT"]

        # Delete a span, then add it back by selecting its tokens from the cursor.
        lee = span_with_text(app, "Lee Jae Myung")
        await tab_to(pilot, app, lee)
        await pilot.press("d")
        assert "Lee Jae Myung" not in texts(app)
        assert app.annotate_screen.cursor == lee.token_start
        await pilot.press("shift+right", "L")
        await pilot.press("1")  # PERSON
        assert texts(app)["Lee Jae Myung"] == ["PERSON"]

        # undo the add, redo it, undo it with the other key, redo with ctrl+y
        await pilot.press("u")
        assert "Lee Jae Myung" not in texts(app)
        await pilot.press("U")
        assert texts(app)["Lee Jae Myung"] == ["PERSON"]
        await pilot.press("ctrl+z")
        assert "Lee Jae Myung" not in texts(app)
        await pilot.press("ctrl+y")
        assert texts(app)["Lee Jae Myung"] == ["PERSON"]
        await pilot.press("a")
    final = stored(demo_db)
    assert final is not None and final.answer == "accept"  # type: ignore[attr-defined]
    spans = {(text[s.start : s.end], s.label) for s in final.spans}  # type: ignore[attr-defined]
    assert any((s.start, text[s.start : s.end]) == (nk.start, "North Korea") for s in final.spans)  # type: ignore[attr-defined]
    assert ("Seoul Defense Dialogue", "EVENT") in spans
    assert ("Lee Jae Myung", "PERSON") in spans


async def test_restart_resumes_the_draft_with_its_undo_history(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ahn = span_with_text(app, "Ahn")
        await tab_to(pilot, app, ahn)
        await pilot.press("d")
        await pilot.press("q")
    key = (ahn.start, ahn.end)
    assert key not in {(s.start, s.end) for s in stored(demo_db).spans}  # type: ignore[attr-defined]

    again = make_app(demo_db)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        current = again.session.current.annotation  # type: ignore[union-attr]
        assert key not in {(s.start, s.end) for s in current.spans}  # the draft is where it was left
        await pilot.press("u")  # and its undo history came back with it
        current = again.session.current.annotation  # type: ignore[union-attr]
        assert [s.label for s in current.spans if (s.start, s.end) == key] == ["PERSON"]
    assert key in {(s.start, s.end) for s in stored(demo_db).spans}  # type: ignore[attr-defined]


async def test_relation_drawn_toggled_and_removed_with_its_span(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        ishiba = span_with_text(app, "Shigeru Ishiba")
        before = len(app.session.current.annotation.relations)  # type: ignore[union-attr]
        await tab_to(pilot, app, ishiba)
        await pilot.press("r")
        assert screen.mode == "relation" and screen.head_sid == ishiba.sid
        # tab on to a PERSON, which MET allows as the child
        target = span_with_text(app, "Ahn", 2)
        assert target.label == "PERSON"
        for _ in range(40):
            if screen.child_sid == target.sid:
                break
            await pilot.press("tab")
        assert screen.child_sid == target.sid
        await pilot.press("2")  # MET
        rels = app.session.current.annotation.relations  # type: ignore[union-attr]
        assert any(r.head == ishiba.sid and r.child == target.sid and r.label == "MET" for r in rels)
        assert len(rels) == before + 1
        # A refused relation: VISITED needs a place as its child.
        await pilot.press("3")
        assert "refused" in str(screen.query_one("#message").render())
        assert len(app.session.current.annotation.relations) == before + 1  # type: ignore[union-attr]
        # The same keys again remove it; undo brings it back.
        await pilot.press("2")
        assert len(app.session.current.annotation.relations) == before  # type: ignore[union-attr]
        await pilot.press("u")
        assert len(app.session.current.annotation.relations) == before + 1  # type: ignore[union-attr]
        await pilot.press("escape")
        # Deleting the head span deletes its relations.
        await tab_to(pilot, app, ishiba)
        await pilot.press("d")
        rels = app.session.current.annotation.relations  # type: ignore[union-attr]
        assert not any(ishiba.sid in (r.head, r.child) for r in rels)
    final = stored(demo_db)
    assert not any(ishiba.sid in (r.head, r.child) for r in final.relations)  # type: ignore[attr-defined]


async def test_browse_relations_relabel_and_delete(demo_db: Path) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        rels = app.session.current.annotation.sorted().relations  # type: ignore[union-attr]
        assert rels, "the default rules suggest relations on the sample"
        await pilot.press("R")
        assert screen.mode == "relations" and screen.controller.selected_relation() == 0
        first = rels[0]
        assert (screen.head_sid, screen.child_sid) == (first.head, first.child)
        await pilot.press("j")
        assert screen.controller.selected_relation() == 1
        await pilot.press("k")
        assert screen.controller.selected_relation() == 0
        # relabel a relation to another label the scheme allows for its spans; refuse one it does not
        ann = app.session.current.annotation  # type: ignore[union-attr]
        scheme = app.session.scheme
        names = scheme.relation_labels

        def fits(rel: object, name: str) -> bool:
            head, child = ann.span(rel.head), ann.span(rel.child)  # type: ignore[attr-defined]
            return (
                head is not None
                and child is not None
                and scheme.relation_error(name, head.label, child.label) is None
            )

        k = next(i for i, r in enumerate(rels) if any(n != r.label and fits(r, n) for n in names))
        for _ in range(k):
            await pilot.press("j")
        assert screen.controller.selected_relation() == k
        pick = rels[k]
        allowed = [n for n, name in enumerate(names, 1) if name != pick.label and fits(pick, name)]
        refused = [n for n, name in enumerate(names, 1) if not fits(pick, name)]
        assert allowed and refused
        await pilot.press(str(refused[0]))
        assert "refused" in str(screen.query_one("#message").render())
        await pilot.press(str(allowed[0]))
        relabelled = app.session.current.annotation.relations  # type: ignore[union-attr]
        assert any(
            (r.head, r.child, r.label) == (pick.head, pick.child, names[allowed[0] - 1]) for r in relabelled
        )
        assert pick not in relabelled
        await pilot.press("u")
        assert pick in app.session.current.annotation.relations  # type: ignore[union-attr]
        await pilot.press("R", "R")  # leave and come back: the first relation is selected
        assert screen.controller.selected_relation() == 0
        await pilot.press("d")
        after = app.session.current.annotation.relations  # type: ignore[union-attr]
        assert first not in after and len(after) == len(rels) - 1
        await pilot.press("u")
        assert first in app.session.current.annotation.relations  # type: ignore[union-attr]
    final = stored(demo_db)
    assert final is not None and len(final.relations) == len(rels)  # type: ignore[attr-defined]


async def test_reject_ignore_and_task_navigation_on_a_corpus(tmp_path: Path) -> None:
    import orjson

    from annotator.core.records import from_record
    from tests.tui_support import FIXTURES_PRODIGY

    db = tmp_path / "bio.db"
    with Store(db) as store:
        lines = FIXTURES_PRODIGY.read_bytes().splitlines()[:4]
        store.add_tasks("demo", [from_record(orjson.loads(line)) for line in lines])
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        ids = app.session.queue()
        assert app.session.current.task_id == ids[0]  # type: ignore[union-attr]
        await pilot.press("x")  # reject
        assert app.session.current.task_id == ids[1]  # type: ignore[union-attr]
        await pilot.press("space")  # ignore
        await pilot.press("]")
        assert app.session.current.task_id == ids[3]  # type: ignore[union-attr]
        await pilot.press("[", "[")
        assert app.session.current.task_id == ids[1]  # type: ignore[union-attr]
        assert "task 2 of" in str(app.annotate_screen.query_one("#status").render())
    with Store(db) as store:
        answers = [store.annotation(i, "alice") for i in ids]
    assert [a.answer if a else None for a in answers] == ["reject", "ignore", None, None]


async def test_label_picker_help_palette_and_mouse(demo_db: Path) -> None:
    from annotator.tui.components.dialogs import HelpScreen, LabelPicker
    from annotator.tui.components.document_view import DocumentView

    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        # 0 lists every label; choosing one labels the span under the cursor
        first = span_with_text(app, "SEOUL")
        await tab_to(pilot, app, first)
        await pilot.press("0")
        assert isinstance(app.screen, LabelPicker)
        await pilot.press("down", "down", "down", "enter")  # the fourth label
        assert isinstance(app.screen, type(screen))
        assert texts(app)["SEOUL"] == [DEMO_LABELS.split(",")[3]]
        # ? shows the keys, escape closes them
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert app.screen is screen
        # ctrl+p offers the same actions by name
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"undo")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert texts(app)["SEOUL"] == ["GPE"]
        # mouse: a click puts the cursor on a token, a drag selects tokens that a key then labels
        doc = screen.query_one(DocumentView)
        layout = doc.wrap
        assert layout is not None
        (tok_a, xa), (tok_b, xb) = layout.positions(0)[2], layout.positions(0)[3]
        pad = doc.scrollable_content_region.x - doc.region.x
        await pilot.click(DocumentView, offset=(xa + pad, 1))
        assert screen.cursor == tok_a
        await pilot.mouse_down(DocumentView, offset=(xa + pad, 1))
        await pilot.mouse_up(DocumentView, offset=(xb + pad, 1))
        await pilot.pause()
        assert screen.selection == (tok_a, tok_b)
        await pilot.press("2")  # ORG
        current = app.session.current
        assert current is not None
        task = current.task
        phrase = task.text[task.tokens[tok_a].start : task.tokens[tok_b].end]
        assert texts(app)[phrase] == ["ORG"]


async def test_accepted_work_exports_and_reads_back_with_doc_char_span(demo_db: Path, tmp_path: Path) -> None:
    import orjson
    import spacy
    from spacy.tokens import Doc
    from typer.testing import CliRunner

    from annotator.cli import app as cli_app

    app = make_app(demo_db)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        wrong = span_with_text(app, "Nakatani")
        await tab_to(pilot, app, wrong)
        await pilot.press("1", "a")
    out = tmp_path / "demo.jsonl"
    result = CliRunner().invoke(
        cli_app, ["export", "--dataset", "demo", "--db", str(demo_db), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    (line,) = out.read_bytes().splitlines()
    record = orjson.loads(line)
    assert record["answer"] == "accept" and record["_annotator_id"] == "alice"
    vocab = spacy.blank("en").vocab
    doc = Doc(vocab, words=[t["text"] for t in record["tokens"]], spaces=[t["ws"] for t in record["tokens"]])
    assert doc.text == record["text"]
    assert record["spans"]
    ents = []
    for span in record["spans"]:
        rebuilt = doc.char_span(span["start"], span["end"], label=span["label"])
        assert rebuilt is not None, span
        assert (rebuilt.text, rebuilt.label_) == (record["text"][span["start"] : span["end"]], span["label"])
        assert (rebuilt.start, rebuilt.end - 1) == (span["token_start"], span["token_end"])
        ents.append(rebuilt)
    doc.ents = ents
    for rel in record["relations"]:
        assert rel["head"] == rel["head_span"]["token_end"] and rel["child"] == rel["child_span"]["token_end"]
        assert doc.char_span(rel["head_span"]["start"], rel["head_span"]["end"]) is not None
    fixed = [s for s in record["spans"] if (s["start"], s["end"]) == (wrong.start, wrong.end)]
    assert [s["label"] for s in fixed] == ["PERSON"]
