"""The key budget of issue 12: the sample article, as the real model suggests it, corrected to its
hand gold (tests/data/sample_gold.jsonl: the spans of the demo's labels and every relation) through
the real app, key by key, in at most 60 keys with at most a third of the keys pressed moving about.

The keys are a person's who knows the tool: `;` goes to the next place worth a look (an unsure
span, a near miss, a span the annotation contradicts) and a fix made there goes on to the next
place; `!` repeats a fix on every other mention; a relabel brings the relations the rules read in
the parse for the span; and the digits, `d`, `H` and `>` make the fixes. Every key pressed is
counted, the accept too, and `escape` (leaving relation mode) counts as moving about."""

from __future__ import annotations

from pathlib import Path

from annotator.core.model import Annotation
from annotator.nlp.relations import load_rules
from annotator.store import Store
from tests.gold_support import sample_gold
from tests.tui_support import SIZE, demo_scheme, make_app

BUDGET = 60
MOVES = {
    ";",
    ",",
    "tab",
    "shift+tab",
    "down",
    "up",
    "left",
    "right",
    "l",
    "h",
    "j",
    "k",
    "n",
    "N",
    "*",
    "#",
    "escape",
}
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
    # 'SEOUL' and 'Japan' are unsure, but the model is sure of the same words with the same label
    # elsewhere in the article: ; does not stop there.
    ((";", "d"), "'Defense' is no ORG (and its relation goes with it); on to 'North Korea’s'"),
    (("H", "!"), "'North Korea’s' ends before '’s', here (on to 'Nakatani') and at its other mention"),
    (
        ("1", "1", "1", "1", "1"),
        "'Nakatani' is a PERSON, three times, then 'Ishiba', then 'Nakatani' again: each fix goes on "
        "to the next place, each relabel brings the relations the rules see for the span",
    ),
    (("!",), "the last two 'Nakatani' are PERSON too (the cursor stays on the first of them)"),
    (("r", "shift+tab", "2", "escape"), "Nakatani MET Ahn ('his first in-person talks with Nakatani')"),
    ((";", ">"), "'a Self-Defense Forces' starts at 'Self-Defense'; on to the next place"),
    (("7",), "'the Seoul Defense Dialogue' is an EVENT; on to 'annual', nearly a DATE and rightly not"),
    ((";", "6"), "'the following day', which the model nearly made a DATE, is one"),
    (("right", "right", "2"), "'AloJapan.com' is an ORG (→ leaves the new DATE, → passes the '.')"),
    (("a",), "accept"),
]
SYMMETRIC = load_rules().symmetric  # MET: compared whichever way it was drawn, as `evaluate` scores it


def relations_of(annotation: Annotation) -> set[tuple[tuple[int, int], tuple[int, int], str]]:
    out = set()
    for r in annotation.relations:
        head, child = annotation.span(r.head), annotation.span(r.child)
        assert head is not None and child is not None
        ends = sorted([(head.start, head.end), (child.start, child.end)]) if r.label in SYMMETRIC else None
        out.add(
            (ends[0], ends[1], r.label)
            if ends
            else ((head.start, head.end), (child.start, child.end), r.label)
        )
    return out


def gold_spans() -> set[tuple[int, int, str]]:
    _, gold = sample_gold()
    labels = set(demo_scheme().labels)
    return {(s.start, s.end, s.label) for s in gold.spans if s.label in labels}


def gold_relations() -> set[tuple[tuple[int, int], tuple[int, int], str]]:
    return relations_of(sample_gold()[1])


async def test_the_sample_article_reaches_its_gold_within_the_key_budget(demo_db: Path) -> None:
    app = make_app(demo_db)
    pressed: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cur = app.session.current
        assert cur is not None and cur.doubts is not None, "the feed kept no doubts for the article"
        start = {(s.start, s.end, s.label) for s in cur.annotation.spans}
        # what there is to fix as the model leaves it: 12 wrong spans, 13 spans of the gold missing,
        # 1 wrong relation and 7 missing (six of them with a "Nakatani" the model calls ORG)
        assert (len(start - gold_spans()), len(gold_spans() - start)) == (12, 13)
        shown = relations_of(cur.annotation)
        assert (len(shown - gold_relations()), len(gold_relations() - shown)) == (1, 7)
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
    assert relations_of(stored) == gold_relations()
    moves = [k for k in pressed if k in MOVES]
    assert len(pressed) <= BUDGET and 3 * len(moves) <= len(pressed), (len(pressed), len(moves))
    # The figures the README gives.
    assert (len(pressed), len(moves)) == (23, 7)
