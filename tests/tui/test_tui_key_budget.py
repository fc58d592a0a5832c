"""The key budget of issue 12: the sample article, as the real model suggests it, corrected to its
hand gold (tests/data/sample_gold.jsonl, the spans of the demo's labels) through the real app, key
by key, in at most 60 keys with at most 20 of them (a third of 60) moving about.

The keys are a person's who knows the tool: `;` goes to the next place worth a look (an unsure
span, a near miss, a span the annotation contradicts), `!` repeats a fix on every other mention,
and the digits, `d`, `H` and `>` make the fixes. Every key pressed is counted, the accept too."""

from __future__ import annotations

from pathlib import Path

from annotator.store import Store
from tests.gold_support import sample_gold
from tests.tui_support import SIZE, demo_scheme, make_app

BUDGET = 60
MOVES = {";", ",", "tab", "shift+tab", "down", "up", "left", "right", "l", "h", "j", "k", "n", "N", "*", "#"}
NAMES = {
    ";": "semicolon",
    ",": "comma",
    "!": "exclamation_mark",
    ">": "greater_than_sign",
    "*": "asterisk",
    "#": "number_sign",
}

# (keys, what they fix)
PLAN: list[tuple[tuple[str, ...], str]] = [
    ((";", ";", "d"), "'Defense' is no ORG (the first ; stops on 'SEOUL', unsure but right)"),
    ((";", "H", "!"), "'North Korea’s' ends before '’s', here and at its other mention"),
    ((";", "1", "!"), "'Nakatani' is a PERSON, all six of them"),
    ((";", ";", "1"), "'Ishiba' is a PERSON (; passes 'Japan', unsure but right)"),
    ((";", ">"), "'a Self-Defense Forces' starts at 'Self-Defense'"),
    ((";", "7"), "'the Seoul Defense Dialogue' is an EVENT"),
    ((";", ";", "6"), "'the following day', which the model nearly made a DATE, is one (; passes 'annual')"),
    (("right", "right", "2"), "'AloJapan.com' is an ORG (→ leaves the new DATE, → passes the '.')"),
    (("a",), "accept"),
]


def gold_spans() -> set[tuple[int, int, str]]:
    _, gold = sample_gold()
    labels = set(demo_scheme().labels)
    return {(s.start, s.end, s.label) for s in gold.spans if s.label in labels}


async def test_the_sample_article_reaches_its_gold_within_the_key_budget(demo_db: Path) -> None:
    app = make_app(demo_db)
    pressed: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cur = app.session.current
        assert cur is not None and cur.doubts is not None, "the feed kept no doubts for the article"
        start = {(s.start, s.end, s.label) for s in cur.annotation.spans}
        # what there is to fix as the model leaves it: 12 wrong spans, 13 spans of the gold missing
        assert (len(start - gold_spans()), len(gold_spans() - start)) == (12, 13)
        for keys, fix in PLAN:
            for key in keys:
                await pilot.press(NAMES.get(key, key))
                pressed.append(key)
            await pilot.pause()
            message = str(app.annotate_screen.query_one("#message").render())
            assert "refused" not in message and "no " not in message[:3], (fix, message)
    with Store(demo_db) as store:
        stored = store.annotation(store.task_ids("demo")[0], "alice")
    assert stored is not None and stored.answer == "accept"
    assert {(s.start, s.end, s.label) for s in stored.spans} == gold_spans()
    moves = [k for k in pressed if k in MOVES]
    assert len(pressed) <= BUDGET and len(moves) <= BUDGET // 3, (len(pressed), len(moves))
    # The figures the README gives.
    assert (len(pressed), len(moves)) == (23, 12)
