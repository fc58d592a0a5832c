"""Wrapping a task's tokens into screen rows, at token boundaries, lazily and incrementally.

A row is ``(first, end)``: tokens ``first .. end-1``. A blank row (from an empty line in the text)
has ``first == end``. Under a text row whose tokens carry span-group spans come its underline rows
(``kinds[r]`` = 1, 2, ...: one a nesting level, each span drawn as a line under its tokens and
labelled at its end), as blank rows that the cursor passes over. Rows depend only on where they
start, and wrapping starts afresh after every line break, so the text's lines wrap independently:

- Lazily: rows are made from the top down, a line at a time, only as far as something asks for
  (the rows on screen, the row of the cursor); the rows below are an estimate (a line's characters
  over the width) until they are reached. A document of 500,000 tokens opens on its first screen
  instead of wrapping all of it (that took seconds), and the widths and gaps of its tokens are
  worked out a line at a time too, as the lines are wrapped.
- Incrementally: after an edit that changes token widths (a span's label tag), wrapping restarts
  one row before the change and stops as soon as a new row starts where an old one did: a keystroke
  re-wraps a row or two, not the whole document.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from typing import overload

from rich.cells import cell_len

from annotator.core.display import has_unsafe
from annotator.core.model import Task
from annotator.tui.display import cells

Row = tuple[int, int]

_NEWLINE = re.compile("\n")
_START = itemgetter(1)  # a Token's start (a named tuple)
LINES_AT_ONCE = 64  # lines wrapped together when more rows are asked for
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


class Rows(Sequence[Row]):
    """The layout's rows as a sequence: an index past the rows made so far wraps more lines. Its
    length counts the rows below the wrapped ones by estimate, until they are wrapped too."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout

    def __len__(self) -> int:
        return self._layout.row_count()

    @overload
    def __getitem__(self, index: int) -> Row: ...

    @overload
    def __getitem__(self, index: slice) -> list[Row]: ...

    def __getitem__(self, index: int | slice) -> Row | list[Row]:
        layout = self._layout
        if isinstance(index, slice):
            layout.wrap_all()
            return layout.made[index]
        if index < 0:
            layout.wrap_all()
        else:
            layout.wrap_rows(index + 1)
        return layout.made[index]  # IndexError past the last row, as a list's

    def __iter__(self) -> Iterator[Row]:
        k = 0
        while True:
            self._layout.wrap_rows(k + 1)
            if k >= len(self._layout.made):
                return
            yield self._layout.made[k]
            k += 1


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
        # Per token, filled a line at a time as lines are wrapped (``_prepare``): the width of the
        # token as drawn, and what lies between it and the next token (spaces; line breaks).
        self.base_width: list[int] = [0] * n
        self.spaces_after: list[int] = [0] * n
        self.newlines_after: list[int] = [0] * n
        # The line breaks are found at once, by the text's "\n" characters, not token by token:
        # each counts for the token before it (in the gap after it, or inside a whitespace token).
        self._starts = list(map(_START, tokens))
        first_start = self._starts[0] if n else 0
        for match in _NEWLINE.finditer(text):
            at = match.start()
            if at < first_start:
                continue
            i = bisect.bisect_right(self._starts, at) - 1
            if at < tokens[i].end and not tokens[i].text.isspace():
                continue  # inside a token that is not whitespace: drawn (as a stand-in), no break
            self.newlines_after[i] += 1
        # A line: the tokens from one line break to the next (the last one's own breaks included).
        self._line_starts = [0] + [i + 1 for i, nl in enumerate(self.newlines_after) if nl and i + 1 < n]
        self._lines_done = 0  # lines wrapped: the rows made cover the tokens before _done_token
        self._done_token = 0
        self._prepared = 0  # tokens whose widths and gaps are worked out
        self.made: list[Row] = []
        self.kinds: list[int] = []  # 0: a text or blank row; k: the k-th underline row of the row above
        self.starts: list[int] = []
        self._estimate_rest = sum(self._estimate(k) for k in range(len(self._line_starts)))
        self.rows = Rows(self)
        if n == 0:
            self.made, self.kinds, self.starts = [(0, 0)], [0], [0]
            self._lines_done = len(self._line_starts)

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

    def _prepare(self, end: int) -> None:
        """Work out the widths and gaps of the tokens up to ``end`` (exclusive)."""
        tokens, text = self.task.tokens, self.task.text
        n = len(tokens)
        for i in range(self._prepared, end):
            tok = tokens[i]
            self.base_width[i] = cell_len(self.shown(i))
            nxt = tokens[i + 1].start if i + 1 < n else len(text)
            gap = text[tok.end : nxt]
            if tok.text.isspace() and not self.base_width[i]:
                gap = tok.text + gap  # nothing else in it (no control drawn): it is the gap
            self.spaces_after[i] = 0 if self.newlines_after[i] else (1 if gap else 0)
        self._prepared = max(self._prepared, end)

    def placed(self, row: int) -> list[Placed]:
        """The span-group spans under text row ``row``, each with its level and cells (its line
        runs under its tokens; its label follows the line on the row where the span ends)."""
        first, end = self.rows[row]  # (wrapped if it was not yet)
        if self.under is None or self.kinds[row]:
            return []
        return self._placed_in(first, end)

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

    def _estimate(self, line: int) -> int:
        """Rows a line not wrapped yet is taken to make: its characters over the width."""
        starts, tokens = self._line_starts, self.task.tokens
        first = starts[line]
        last = (starts[line + 1] if line + 1 < len(starts) else len(tokens)) - 1
        chars = tokens[last].end - tokens[first].start
        return max(1, -(-chars // self.width)) + max(self.newlines_after[last] - 1, 0)

    def row_count(self) -> int:
        """The rows made, and an estimate of those below them."""
        return len(self.made) + self._estimate_rest

    def _wrap_lines(self, count: int) -> None:
        """Wrap the next ``count`` lines, appending their rows."""
        line_starts, n = self._line_starts, len(self.task.tokens)
        upto = min(self._lines_done + count, len(line_starts))
        if upto <= self._lines_done:
            return
        stop = line_starts[upto] if upto < len(line_starts) else n
        self._prepare(stop)
        for k in range(self._lines_done, upto):
            self._estimate_rest -= self._estimate(k)
        rows, _ = self._wrap(self._done_token, 0, None, stop)
        self.made.extend(rows)
        self.kinds.extend(self._new_kinds)
        self.starts.extend(r[0] for r in rows)
        self._lines_done, self._done_token = upto, stop

    def wrap_rows(self, count: int) -> None:
        """Wrap lines until ``count`` rows are made (or every line is)."""
        while len(self.made) < count and self._lines_done < len(self._line_starts):
            self._wrap_lines(LINES_AT_ONCE)

    def wrap_token(self, token: int) -> None:
        """Wrap lines until the row of ``token`` is made."""
        while self._done_token <= token and self._lines_done < len(self._line_starts):
            self._wrap_lines(LINES_AT_ONCE)

    def wrap_all(self) -> None:
        self._wrap_lines(len(self._line_starts))

    def _wrap(
        self, first: int, stop_after: int, old_row_at: Callable[[int], int | None] | None, stop: int
    ) -> tuple[list[Row], int | None]:
        """Rows of the tokens from ``first`` to ``stop`` (a line's start, or the end); with
        ``old_row_at``, stop at the first row past ``stop_after`` that starts where an old row
        started and return that old row's index. The new rows' kinds are left in
        ``self._new_kinds``."""
        rows: list[Row] = []
        kinds: list[int] = []
        self._new_kinds = kinds

        def emit(row_first: int, row_end: int) -> None:
            rows.append((row_first, row_end))
            kinds.append(0)
            for level in range(1, self._under_count(row_first, row_end) + 1):
                rows.append((row_end, row_end))
                kinds.append(level)

        width = self.width
        start = first
        x = 0
        i = first
        run = first  # the first token of the run of tokens glued to each other that i is in
        while i < stop:
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
        if start < stop:
            emit(start, stop)
        return rows, None

    def rewrap(self, first_token: int, last_token: int) -> tuple[int, int, int]:
        """Re-wrap after the widths of tokens ``first_token..last_token`` changed. Returns
        ``(first, old_end, new_end)``: rows ``first..old_end-1`` were replaced by rows
        ``first..new_end-1``; the rows after them are the old ones, shifted by ``new_end - old_end``.
        Tokens not wrapped yet need nothing: they are wrapped with their widths when reached."""
        if first_token >= self._done_token:
            end = len(self.made)
            return end, end, end
        # A narrower token can pull its whole glued run ("(Ahn)") back onto the row before the
        # run's first token, so start one row before that, not before the changed token's row.
        run = first_token
        while run > 0 and self._glued(run - 1):
            run -= 1
        r = max(self.row_of(run) - 1, 0)
        while r > 0 and (self.made[r][0] == self.made[r][1] or self.kinds[r]):
            r -= 1  # start from a real row, not a blank or an underline one
        old_rows, old_starts_list, old_kinds = self.made, self.starts, self.kinds

        def old_row_at(token: int) -> int | None:
            # the real (not blank) old row after r starting at ``token``: found by bisection, as
            # building a map of every row would cost a pass over the document per keystroke
            k = bisect.bisect_right(old_starts_list, token) - 1
            if k > r and old_starts_list[k] == token and old_rows[k][0] != old_rows[k][1]:
                return k
            return None

        new_rows, resync = self._wrap(self.made[r][0], last_token, old_row_at, self._done_token)
        new_kinds = self._new_kinds
        old_end = resync if resync is not None else len(old_rows)
        self.made = old_rows[:r] + new_rows + old_rows[old_end:]
        self.kinds = old_kinds[:r] + new_kinds + old_kinds[old_end:]
        self.starts = old_starts_list[:r] + [row[0] for row in new_rows] + old_starts_list[old_end:]
        return r, old_end, r + len(new_rows)

    def _glued(self, i: int) -> bool:
        """Token ``i`` runs into token ``i + 1`` with nothing between them."""
        return not (self.spaces_after[i] or self.newlines_after[i] or self.is_space(i))

    def row_of(self, token: int) -> int:
        """The row holding ``token`` (the last row starting at or before it)."""
        self.wrap_token(token)
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
        while target >= 0:
            self.wrap_rows(target + 1)
            if target >= len(self.made):
                return None
            found = self.token_at(target, x)
            if found is not None:
                return found
            target += step
        return None

    def row_ends(self, token: int) -> tuple[int, int] | None:
        """The first and last visible tokens of the row holding ``token``."""
        pos = self.positions(self.row_of(token))
        return (pos[0][0], pos[-1][0]) if pos else None
