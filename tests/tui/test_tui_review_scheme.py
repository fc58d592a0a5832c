"""The review's edit screen (e) uses the dataset's scheme in its key order: it used only the labels
the two annotators used, alphabetically (1 DATE, 2 GPE, ...), so a reviewer used to 1 = ORG here
relabelled wrongly and could not add a label nobody used."""

from __future__ import annotations

from pathlib import Path

from annotator.review import ReviewSession, review_scheme
from annotator.store import Store
from annotator.tui.components.side_panels import Legend
from annotator.tui.review_app import ReviewApp
from annotator.tui.screens.review import GoldEditScreen
from tests.cli.test_dataset_scheme import build_review
from tests.tui_support import drawn


async def test_the_edit_screen_keys_are_the_datasets_scheme(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    build_review(db, "ORG,PERSON,NORP,GPE,DATE")  # annotate stored this scheme with the dataset
    store = Store(db)
    scheme = review_scheme(store, "news", ["alice", "bob"], None, None, None, [])
    app = ReviewApp(ReviewSession(store, "news", "alice", "bob", reviewer="judge", scheme=scheme))
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        await pilot.press("e")
        assert isinstance(app.screen, GoldEditScreen)
        legend = [line.strip() for line in drawn(app.screen.query_one(Legend)).splitlines()]
        keyed = [line for line in legend if line[:1].isdigit()]
        assert [line.split()[1] for line in keyed[:5]] == ["ORG", "PERSON", "NORP", "GPE", "DATE"]
        await pilot.press("tab", "3")  # the agreed 'Nakatani': key 3 is NORP, which nobody used
        gold = app.screen.session.current
        assert gold is not None and [s.label for s in gold.annotation.spans] == ["NORP"]
        await pilot.press("tab", "1")
        assert [s.label for s in gold.annotation.spans] == ["ORG"]
