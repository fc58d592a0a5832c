"""Search mode (``/``): type text in the message line, ``enter`` puts the cursor on the next token
run that matches it (ignoring case, wrapping), ``escape`` cancels; ``n`` / ``N`` go to the next /
previous match of the last search from the edit mode."""

from __future__ import annotations

from annotator.core.search import matches, next_match
from annotator.tui.keymap import Key
from annotator.tui.modes.base import Editor, Mode, quote


class SearchMode(Mode):
    name = "search"
    badge = "SEARCH"
    takes_text = True  # printable keys are the query, not commands
    # Keys of every mode: / turns this one on; n and N go to the matches of the last search.
    KEYS = (
        Key("search", "slash", "search: type text, enter jumps to it, esc cancels", "/", "move",
            action="mode", params=("search",)),
        Key("search_next", "n", "the next match of the last search", "n", "move",
            action="mode", params=("search", "next_match")),
        Key("search_prev", "N", "the previous match of the last search", "N", "move",
            action="mode", params=("search", "prev_match")),
    )  # fmt: skip

    def __init__(self, editor: Editor) -> None:
        super().__init__(editor)
        self.query = ""
        self.last = ""  # the last query searched for, for n and N

    def action_enter(self) -> None:
        if (self.editor.current_task or self.editor.pending_task) is None:
            return
        self.query = ""
        self.editor.mode = self.name
        self.prompt()

    def prompt(self) -> None:
        self.editor.say(f"/{self.query}█  (enter: go to it · esc: cancel)", log=False)

    def text_key(self, key: str, character: str | None) -> None:
        """A key pressed while the query is typed."""
        if key == "escape":
            self.leave()
            self.editor.say("")
        elif key == "enter":
            self.leave()
            if self.query.strip():
                self.last = self.query
                self.jump(forward=True)
        elif key == "backspace":
            self.query = self.query[:-1]
            self.prompt()
        elif character is not None and character.isprintable():
            self.query += character
            self.prompt()

    def action_next_match(self) -> None:
        self.jump(forward=True)

    def action_prev_match(self) -> None:
        self.jump(forward=False)

    def jump(self, forward: bool) -> None:
        ed = self.editor
        task = ed.current_task or ed.pending_task
        if task is None:
            return
        if not self.last:
            ed.say("no search yet: / types one")
            return
        found = matches(task, self.last)
        target = next_match(found, ed.cursor, forward)
        if target is None:
            ed.say(f"{quote(self.last, 30)} is not in this task", error=True)
            return
        ed.move_cursor(target[0])
        ed.selection = target if target[1] > target[0] else None
        ed.say(f"{quote(self.last, 30)}: match {found.index(target) + 1} of {len(found)}")
