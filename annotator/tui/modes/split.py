"""Split mode (``s``): cut the token under the cursor where a span must begin or end inside it
("U.S." in spaCy's "U.S.-Japan"). The arrows move the cut through the token, the message line
shows where it falls (``U.S.│-Japan``), ``enter`` splits, ``escape`` cancels. The split is the
task's (every annotator sees the new tokens) and ``u`` merges the halves back."""

from __future__ import annotations

from annotator.core.model import Token
from annotator.tui.display import cells
from annotator.tui.keymap import Key
from annotator.tui.modes.base import Editor, Mode


class SplitMode(Mode):
    name = "split"
    badge = "SPLIT"
    KEYS = (
        Key(
            "split",
            "s",
            "split the token under the cursor: ←/→ choose where, enter splits, esc cancels",
            "s",
            "spans",
            action="mode",
            params=("split",),
        ),
    )

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        self.at = 0  # the character the token is cut before
        self.token: Token | None = None

    def action_enter(self) -> None:
        ed = self.editor
        if not ed.editable():
            return
        task = ed.current_task
        assert task is not None
        tok = task.tokens[ed.cursor]
        if len(tok.text) < 2:
            ed.say(f"{cells(tok.text)!r} is one character: nothing to split", error=True)
            return
        self.token = tok
        self.at = tok.start + 1
        ed.selection = None
        ed.selected_sid = None
        ed.mode = self.name
        self.prompt()

    def prompt(self) -> None:
        tok = self.token
        assert tok is not None
        cut = self.at - tok.start
        left, right = cells(tok.text[:cut]), cells(tok.text[cut:])
        self.editor.say(
            f"split here: {left}│{right}  (←/→ move the cut · enter splits · esc cancels)", log=False
        )

    def _move(self, delta: int) -> None:
        tok = self.token
        assert tok is not None
        self.at = min(max(self.at + delta, tok.start + 1), tok.end - 1)
        self.prompt()

    def action_cursor_left(self) -> None:
        self._move(-1)

    def action_cursor_right(self) -> None:
        self._move(1)

    def action_line_start(self) -> None:
        self._move(-len(self.token.text) if self.token else 0)

    def action_line_end(self) -> None:
        self._move(len(self.token.text) if self.token else 0)

    def action_accept(self) -> None:
        self.leave()
        self.editor.split_token(self.at)

    def action_clear(self) -> None:
        self.leave()
        self.editor.say("not split")

    def cursor_moved(self, token: int) -> None:
        # Up, down, a page or a click leave the token: the cut goes with it.
        self.leave()
        self.editor.say("not split")
