"""A screen pushed while the app mounts, drawn once for its first frame (annotate and review)."""

from __future__ import annotations

from typing import TypeVar

from textual.screen import Screen

Result = TypeVar("Result")

# How soon a screen whose render was put off (see RenderedOnce) looks again.
PUT_OFF_S = 1 / 60


class RenderedOnce(Screen[Result]):
    """The app pushes its screen while it mounts, inside Textual's batch_update: Textual lays the
    screen out and renders it whole there, then drops that render unwritten (App._display writes
    nothing while a batch is open), and renders it again once every widget has its size. The
    annotate screen's first frame was so made twice (80M machine instructions, about 20 ms, of the
    start), the review's three times. While the app batches, the render waits; it is made (the
    whole screen, the region Textual marked) as soon as the batch is over, by the widgets' own
    refreshes or, should none come, by the timer."""

    _unpainted = False  # a render was put off while the app mounted; none has been made since

    def _compositor_refresh(self) -> None:
        if self.app._batch_count:
            self._unpainted = True
            self.set_timer(PUT_OFF_S, self._paint_if_unpainted)
            return
        self._unpainted = False
        super()._compositor_refresh()
        if self._callbacks:  # those held while the render waited (below)
            self.call_next(self._invoke_and_clear_callbacks)

    def _paint_if_unpainted(self) -> None:
        if self._unpainted:
            self._compositor_refresh()

    async def _invoke_and_clear_callbacks(self) -> None:
        # What was asked for "after the refresh" (call_after_refresh) waits for the frame the
        # render put off above: Textual runs it once the layout is refreshed, which was before that
        # frame, so the annotate screen's collection of what the start made (tui/collector.py: 3-11
        # ms of CPU) and its spans' places came before its first frame, not after it.
        if not self._unpainted:
            await super()._invoke_and_clear_callbacks()
