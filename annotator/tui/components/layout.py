"""Wrapping a task's tokens into screen rows, at token boundaries, with incremental re-wrapping.

A row is ``(first, end)``: tokens ``first .. end-1``. A blank row (from an empty line in the text)
has ``first == end``. Rows depend only on where they start, so after an edit that changes token
widths (a span's label tag), wrapping restarts one row before the change and stops as soon as a new
row starts where an old one did: a keystroke re-wraps a row or two, not the whole document.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable

from rich.cells import cell_len

from annotator.core.display import has_unsafe
from annotator.core.model import Task
from annotator.tui.display import cells

Row = tuple[int, int]


class Layout:
    def __init__(self, task: Task, width: int, extra_width: Callable[[int], int]) -> None:
        """``extra_width(i)`` is the width of what is drawn after token ``i`` besides the token
        itself (a span's label tag)."""
        self.task = task
        self.width = max(width, 8)
        self.extra_width = extra_width
        tokens = task.tokens
        text = task.text
        n = len(tokens)
        # A text with control characters in it (rare: one scan tells) is drawn with stand-ins.
        self.raw = not has_unsafe(text, keep="\n\t")
        self.base_width: list[int] = [cell_len(self.shown(i)) for i in range(n)]
        # What lies between token i and token i+1: -1 = nothing, 0 = line break(s), k = k spaces.
        self.newlines_after: list[int] = [0] * n
        self.spaces_after: list[int] = [0] * n
        for i, tok in enumerate(tokens):
            nxt = tokens[i + 1].start if i + 1 < n else len(text)
            gap = text[tok.end : nxt]
            nl = gap.count("\n")
            if tok.text.isspace():
                nl += tok.text.count("\n")  # its line breaks are the layout's
                if not self.base_width[i]:
                    gap = tok.text + gap  # nothing else in it (no control drawn): it is the gap
            self.newlines_after[i] = nl
            self.spaces_after[i] = 0 if nl else (1 if gap else 0)
        self.rows: list[Row] = []
        self.starts: list[int] = []
        self.relayout()

    def shown(self, i: int) -> str:
        """Token ``i`` as drawn: its text, every control character in it a one-cell stand-in, so
        that data never writes to the terminal and the n-th cell of a token is its n-th character.
        A whitespace token is drawn as the gap the layout gives it (spaces, tabs and line breaks,
        CRLF included): only the other controls in it (a lone CR, a form feed) are drawn."""
        text = self.task.tokens[i].text
        if text.isspace():
            if self.raw:
                return ""
            kept = text.replace("\r\n", "\n")
            return cells("".join(c for c in kept if not c.isspace() or has_unsafe(c, keep="\n\t")))
        return text if self.raw else cells(text)

    def is_space(self, i: int) -> bool:
        return self.base_width[i] == 0

    def token_width(self, i: int) -> int:
        return self.base_width[i] + self.extra_width(i)

    def _wrap(
        self, first: int, stop_after: int, old_row_at: Callable[[int], int | None] | None
    ) -> tuple[list[Row], int | None]:
        """Rows from token ``first``; with ``old_row_at``, stop at the first row past ``stop_after``
        that starts where an old row started and return that old row's index."""
        rows: list[Row] = []
        n = len(self.task.tokens)
        width = self.width
        start = first
        x = 0
        i = first
        run = first  # the first token of the run of tokens glued to each other that i is in
        while i < n:
            if x == 0 and old_row_at is not None and i > stop_after and i == start:
                old = old_row_at(i)
                if old is not None:
                    return rows, old
            w = self.token_width(i)
            if x > 0 and x + w > width:
                # Break before the run ("spending" + ".", "(" + "Ahn" + ")") rather than inside
                # it, unless the run began the row: then it is wider than a line anyway.
                cut = run if run > start else i
                rows.append((start, cut))
                start = cut
                x = sum(self.token_width(k) for k in range(cut, i))
                continue
            x += w
            nl = self.newlines_after[i]
            if nl:
                rows.append((start, i + 1))
                rows.extend((i + 1, i + 1) for _ in range(nl - 1))
                start, x = i + 1, 0
                run = i + 1
            else:
                x += self.spaces_after[i]
                if self.spaces_after[i] or self.is_space(i):
                    run = i + 1
            i += 1
        if start < n or not rows:
            rows.append((start, n))
        return rows, None

    def relayout(self) -> None:
        self.rows, _ = self._wrap(0, 0, None)
        self.starts = [r[0] for r in self.rows]

    def rewrap(self, first_token: int, last_token: int) -> tuple[int, int, int]:
        """Re-wrap after the widths of tokens ``first_token..last_token`` changed. Returns
        ``(first, old_end, new_end)``: rows ``first..old_end-1`` were replaced by rows
        ``first..new_end-1``; the rows after them are the old ones, shifted by ``new_end - old_end``."""
        if not self.rows:
            self.relayout()
            return 0, 0, len(self.rows)
        # A narrower token can pull its whole glued run ("(Ahn)") back onto the row before the
        # run's first token, so start one row before that, not before the changed token's row.
        run = first_token
        while run > 0 and self._glued(run - 1):
            run -= 1
        r = max(self.row_of(run) - 1, 0)
        while r > 0 and self.rows[r][0] == self.rows[r][1]:
            r -= 1  # start from a real row, not a blank one
        old_rows, old_starts_list = self.rows, self.starts

        def old_row_at(token: int) -> int | None:
            # the real (not blank) old row after r starting at ``token``: found by bisection, as
            # building a map of every row would cost a pass over the document per keystroke
            k = bisect.bisect_right(old_starts_list, token) - 1
            if k > r and old_starts_list[k] == token and old_rows[k][0] != old_rows[k][1]:
                return k
            return None

        new_rows, resync = self._wrap(self.rows[r][0], last_token, old_row_at)
        old_end = resync if resync is not None else len(self.rows)
        self.rows = old_rows[:r] + new_rows + old_rows[old_end:]
        self.starts = old_starts_list[:r] + [row[0] for row in new_rows] + old_starts_list[old_end:]
        return r, old_end, r + len(new_rows)

    def _glued(self, i: int) -> bool:
        """Token ``i`` runs into token ``i + 1`` with nothing between them."""
        return not (self.spaces_after[i] or self.newlines_after[i] or self.is_space(i))

    def row_of(self, token: int) -> int:
        """The row holding ``token`` (the last row starting at or before it)."""
        return max(bisect.bisect_right(self.starts, token) - 1, 0)

    def positions(self, row: int) -> list[tuple[int, int]]:
        """(token, x) for the visible tokens of a row."""
        first, end = self.rows[row]
        out = []
        x = 0
        for i in range(first, end):
            if not self.is_space(i):
                out.append((i, x))
            x += self.token_width(i) + self.spaces_after[i]
        return out

    def token_at(self, row: int, x: int) -> int | None:
        best = None
        for i, tx in self.positions(row):
            if tx <= x:
                best = i
            else:
                break
        if best is None:
            pos = self.positions(row)
            return pos[0][0] if pos else None
        return best

    def x_of(self, token: int) -> int:
        for i, x in self.positions(self.row_of(token)):
            if i == token:
                return x
        return 0

    def token_rows_away(self, token: int, rows: int) -> int | None:
        """The token ``rows`` rows below ``token`` (above, when negative), nearest its column; blank
        rows are passed over. None past the first or last row."""
        x = self.x_of(token)
        target = self.row_of(token) + rows
        step = 1 if rows > 0 else -1
        while 0 <= target < len(self.rows):
            found = self.token_at(target, x)
            if found is not None:
                return found
            target += step
        return None

    def row_ends(self, token: int) -> tuple[int, int] | None:
        """The first and last visible tokens of the row holding ``token``."""
        pos = self.positions(self.row_of(token))
        return (pos[0][0], pos[-1][0]) if pos else None
