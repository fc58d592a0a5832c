"""Wrapping a task's tokens into screen rows, at token boundaries, with incremental re-wrapping.

A row is ``(first, end)``: tokens ``first .. end-1``. A blank row (from an empty line in the text)
has ``first == end``. Under a text row whose tokens carry span-group spans come its underline rows
(``kinds[r]`` = 1, 2, ...: one a nesting level, each span drawn as a line under its tokens and
labelled at its end), as blank rows that the cursor passes over. Rows depend only on where they start, so after an edit that changes token
widths (a span's label tag), wrapping restarts one row before the change and stops as soon as a new
row starts where an old one did: a keystroke re-wraps a row or two, not the whole document.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence

from rich.cells import cell_len

from annotator.core.display import has_unsafe
from annotator.core.model import Task
from annotator.tui.display import cells

Row = tuple[int, int]
# A span-group span as the layout places it under a row: its first and last token, and the width of
# the label written after its end.
Under = tuple[int, int, int]
# One span on an underline row: (level from 1, first cell, cells of its line, its index in the list
# the ``under`` callback gave).
Placed = tuple[int, int, int, int]


def place_levels(items: Sequence[tuple[int, int]]) -> list[int]:
    """A level (1, 2, ...) for each range of cells ``(x, width)``: ranges on one level never touch
    (one cell apart at least), the widest first at each place; the fewest levels an interval
    colouring needs."""
    order = sorted(range(len(items)), key=lambda k: (items[k][0], -items[k][1]))
    reach: list[int] = []  # the first free cell of each level
    out = [0] * len(items)
    for k in order:
        x, w = items[k]
        level = next((n for n, free in enumerate(reach) if free <= x), len(reach))
        if level == len(reach):
            reach.append(0)
        reach[level] = x + w + 1
        out[k] = level + 1
    return out


class Layout:
    def __init__(
        self,
        task: Task,
        width: int,
        extra_width: Callable[[int], int],
        under: Callable[[int, int], Sequence[Under]] | None = None,
    ) -> None:
        """``extra_width(i)`` is the width of what is drawn after token ``i`` besides the token
        itself (a span's label tag); ``under(first, end)`` the span-group spans touching tokens
        ``first..end-1``, drawn on underline rows below them."""
        self.task = task
        self.width = max(width, 8)
        self.extra_width = extra_width
        self.under = under
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
        self.kinds: list[int] = []  # 0: a text or blank row; k: the k-th underline row of the row above
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

    def placed(self, row: int) -> list[Placed]:
        """The span-group spans under text row ``row``, each with its level and cells (its line
        runs under its tokens; its label follows the line on the row where the span ends)."""
        if self.under is None or self.kinds[row]:
            return []
        return self._placed_in(*self.rows[row])

    def _placed_in(self, first: int, end: int) -> list[Placed]:
        spans = self.under(first, end) if self.under is not None and end > first else ()
        if not spans:
            return []
        xs = dict(self._positions(first, end))
        ranges = []
        for a, b, tag in spans:
            lo, hi = max(a, first), min(b, end - 1)
            while lo < hi and lo not in xs:
                lo += 1
            while hi > lo and hi not in xs:
                hi -= 1
            x0 = xs.get(lo, 0)
            x1 = xs.get(hi, x0) + self.base_width[hi]
            ranges.append((x0, x1 - x0 + (tag if b < end else 0)))
        levels = place_levels(ranges)
        return [(levels[k], ranges[k][0], ranges[k][1], k) for k in range(len(spans))]

    def _under_count(self, first: int, end: int) -> int:
        return max((level for level, *_ in self._placed_in(first, end)), default=0)

    def _wrap(
        self, first: int, stop_after: int, old_row_at: Callable[[int], int | None] | None
    ) -> tuple[list[Row], int | None]:
        """Rows from token ``first``; with ``old_row_at``, stop at the first row past ``stop_after``
        that starts where an old row started and return that old row's index. The new rows' kinds
        are left in ``self._new_kinds``."""
        rows: list[Row] = []
        kinds: list[int] = []
        self._new_kinds = kinds

        def emit(row_first: int, row_end: int) -> None:
            rows.append((row_first, row_end))
            kinds.append(0)
            for level in range(1, self._under_count(row_first, row_end) + 1):
                rows.append((row_end, row_end))
                kinds.append(level)

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
                emit(start, cut)
                start = cut
                x = sum(self.token_width(k) for k in range(cut, i))
                continue
            x += w
            nl = self.newlines_after[i]
            if nl:
                emit(start, i + 1)
                rows.extend((i + 1, i + 1) for _ in range(nl - 1))
                kinds.extend(0 for _ in range(nl - 1))
                start, x = i + 1, 0
                run = i + 1
            else:
                x += self.spaces_after[i]
                if self.spaces_after[i] or self.is_space(i):
                    run = i + 1
            i += 1
        if start < n or not rows:
            emit(start, n)
        return rows, None

    def relayout(self) -> None:
        self.rows, self.kinds = [], []
        rows, _ = self._wrap(0, 0, None)
        self.rows, self.kinds = rows, self._new_kinds
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
        while r > 0 and (self.rows[r][0] == self.rows[r][1] or self.kinds[r]):
            r -= 1  # start from a real row, not a blank or an underline one
        old_rows, old_starts_list, old_kinds = self.rows, self.starts, self.kinds

        def old_row_at(token: int) -> int | None:
            # the real (not blank) old row after r starting at ``token``: found by bisection, as
            # building a map of every row would cost a pass over the document per keystroke
            k = bisect.bisect_right(old_starts_list, token) - 1
            if k > r and old_starts_list[k] == token and old_rows[k][0] != old_rows[k][1]:
                return k
            return None

        new_rows, resync = self._wrap(self.rows[r][0], last_token, old_row_at)
        new_kinds = self._new_kinds
        old_end = resync if resync is not None else len(old_rows)
        self.rows = old_rows[:r] + new_rows + old_rows[old_end:]
        self.kinds = old_kinds[:r] + new_kinds + old_kinds[old_end:]
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
        return self._positions(*self.rows[row])

    def _positions(self, first: int, end: int) -> list[tuple[int, int]]:
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
