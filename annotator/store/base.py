"""What every store backend shares: the snapshot of one annotator's task, and how a write names
the version it was made on (the same-annotator guard)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from annotator.core.edits import History
from annotator.core.model import Annotation


class _Unchecked(Enum):
    UNCHECKED = "unchecked"


# A write that does not compare versions (importers, the review screen, scripts).
UNCHECKED = _Unchecked.UNCHECKED

# The version a write expects to replace: the id of the last log row of this task and annotator
# when it was read (None: nothing written yet), or UNCHECKED.
Expect = int | None | _Unchecked


@dataclass(frozen=True, slots=True)
class TaskState:
    """One annotator's task as read in one snapshot: the history (current annotation with its undo
    and redo stacks), the stored row (None if this annotator never wrote the task) and its version
    (the id of the latest log row of this task and annotator, None before any)."""

    history: History
    stored: Annotation | None
    version: int | None


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision as stored (annotator, session and timestamp filled in) and its log row's id."""

    annotation: Annotation
    version: int
