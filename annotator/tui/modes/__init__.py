"""The modes of the annotate screen, one controller each. A new mode is a module here holding a
``Mode`` subclass (its keys, its actions, its state) and one line in ``MODES``."""

from __future__ import annotations

from annotator.tui.modes.base import Editor, Mode
from annotator.tui.modes.edit import EditMode
from annotator.tui.modes.relation import RelationMode
from annotator.tui.modes.relations_list import RelationsListMode
from annotator.tui.modes.search import SearchMode
from annotator.tui.modes.split import SplitMode

# The first is where a task opens and where esc comes back to.
MODES: tuple[type[Mode], ...] = (EditMode, RelationMode, RelationsListMode, SearchMode, SplitMode)

__all__ = ["MODES", "Editor", "Mode"]
