"""Every key of the annotate screen in one table: the bindings, the help screen and the README's key
table are all made from it, so they cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True, slots=True)
class Key:
    keys: str  # comma-separated Textual key names
    action: str
    description: str
    shown: str  # how the help screen writes the keys
    group: str
    footer: bool = False


ANNOTATE_KEYS: tuple[Key, ...] = (
    Key("right,l", "cursor_right", "cursor to the next token", "→ l", "move"),
    Key("left,h", "cursor_left", "cursor to the previous token", "← h", "move"),
    Key("down,j", "cursor_down", "cursor to the token below", "↓ j", "move"),
    Key("up,k", "cursor_up", "cursor to the token above", "↑ k", "move"),
    Key("home", "line_start", "cursor to the start of the line", "home", "move"),
    Key("end", "line_end", "cursor to the end of the line", "end", "move"),
    Key("pagedown", "page_down", "one screen down", "pgdn", "move"),
    Key("pageup", "page_up", "one screen up", "pgup", "move"),
    Key("tab", "next_span", "select the next span (child, in relation mode)", "tab", "spans"),
    Key("shift+tab", "prev_span", "select the previous span", "shift+tab", "spans"),
    Key("shift+right,L", "grow", "grow the selection (or selected span) by one token", "shift+→ L", "spans"),
    Key(
        "shift+left,H", "shrink", "shrink the selection (or selected span) by one token", "shift+← H", "spans"
    ),
    Key("less_than_sign", "grow_left", "move the selected span's start one token left", "<", "spans"),
    Key("greater_than_sign", "shrink_left", "move the selected span's start one token right", ">", "spans"),
    Key(
        "1,2,3,4,5,6,7,8,9", "label", "give the selection (or span under the cursor) label N", "1…9", "spans"
    ),
    Key("0", "pick_label", "pick any label from a list", "0", "spans"),
    Key("d,delete", "delete", "delete the span under the cursor and its relations", "d del", "spans"),
    Key("escape", "clear", "clear the selection; leave relation mode", "esc", "spans"),
    Key(
        "r",
        "relation_mode",
        "relation mode: the selected span (or the one under the cursor) is the head; tab or the "
        "arrows choose the child, 1…9 the label (again removes it), esc leaves",
        "r",
        "relations",
    ),
    Key(
        "R",
        "browse_relations",
        "go through the task's relations (j/k, 1…9 relabel, d delete)",
        "R",
        "relations",
    ),
    Key("u,ctrl+z", "undo", "undo", "u ctrl+z", "history", True),
    Key("U,ctrl+y", "redo", "redo", "U ctrl+y", "history", True),
    Key("a,enter", "accept", "accept the task and go to the next", "a enter", "decide", True),
    Key("x", "reject", "reject the task and go to the next", "x", "decide", True),
    Key("space", "ignore", "ignore (skip) the task and go to the next", "space", "decide", True),
    Key("left_square_bracket", "prev_task", "previous task, no decision (draft kept)", "[", "decide"),
    Key("right_square_bracket", "next_task", "next task, no decision (draft kept)", "]", "decide"),
    Key("question_mark", "help", "show the keys", "?", "app", True),
    Key("q", "quit", "quit (everything is already saved)", "q", "app", True),
)


def bindings(keys: tuple[Key, ...]) -> list[Binding]:
    out: list[Binding] = []
    for key in keys:
        if key.action == "label":
            out.extend(Binding(str(n), f"label({n})", f"label {n}", show=False) for n in range(1, 10))
            continue
        # The document view is a scroll view with its own bindings for the arrows, home/end and the
        # page keys; it has the focus, so without priority they would scroll it and leave the cursor.
        priority = key.group == "move"
        out.append(Binding(key.keys, key.action, key.description, show=key.footer, priority=priority))
    return out
