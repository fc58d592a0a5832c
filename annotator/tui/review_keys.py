"""The review screen's keys, as data: the key tables and a user's keymap read them without importing
the review itself (which `annotate` does not need)."""

from __future__ import annotations

from annotator.tui.keymap import Key

# The ids the annotate screen also has (accept, undo, ...) are the same keys: one keymap entry
# moves both.
REVIEW_KEYS: tuple[Key, ...] = (
    Key("next_disagreement", "n", "next disagreement in the task", "n", "review"),
    Key("prev_disagreement", "p", "previous disagreement in the task", "p", "review"),
    Key("take_a", "1", "take A's version of it", "1", "review", True, action="take", params=("a",)),
    Key("take_b", "2", "take B's version of it", "2", "review", True, action="take", params=("b",)),
    Key(
        "take_both",
        "b",
        "take both (when they do not overlap)",
        "b",
        "review",
        True,
        action="take",
        params=("both",),
    ),
    Key("take_neither", "0", "take neither", "0", "review", True, action="take", params=("neither",)),
    Key("edit", "e", "edit the result freely with the annotate keys (a returns)", "e", "review"),
    Key("accept", "a,enter", "accept the result into the gold set, next task", "a enter", "decide", True),
    Key("reject", "x", "reject the task (kept out of the gold set), next task", "x", "decide"),
    Key("prev_task", "left_square_bracket", "previous task", "[", "decide"),
    Key("next_task", "right_square_bracket", "next task", "]", "decide"),
    Key("undo", "u,ctrl+z", "undo", "u ctrl+z", "history", True),
    Key("redo", "U,ctrl+y", "redo", "U ctrl+y", "history"),
    Key("help", "question_mark", "show the keys", "?", "app", True),
    Key("messages", "m", "show every message said so far, whole", "m", "app"),
    Key("quit", "q", "quit (everything is already saved)", "q", "app", True),
)
