"""The counts the store keeps beside the annotations they count, changed in the transaction of every
write that changes an accepted annotation, so that ``stats``, ``progress`` and ``review`` read a few
rows instead of every annotation:

- label_tally (migration 8): spans and relations per label of each annotator's accepted tasks;
- pair_tally (migration 11): for each pair of annotators, the tasks both accepted and the exact span
  matches between them summed over those tasks (tp, fp, fn of the first against the second, in name
  order): ``progress``'s agreement so far is their F1.

The labels are inside the annotation blobs, which SQL cannot read in both databases; so the writer
reads the accepted rows of the tasks it changes (the state before), works out what changes, and adds
it. (The answer counts, tally, are kept by triggers: they need no blob.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import Any, NamedTuple

import orjson

from annotator.core.counts import match_counts
from annotator.core.model import Annotation
from annotator.core.records import Plain
from annotator.store.serialize import RELATION, SPAN, label_key

SpanKey = tuple[int, int, str]  # start, end, label: what an exact match compares
# A Plain's span row is (start, end, token_start, token_end, label, source, sid); a relation row
# (head, child, label, source). A stored annotation's are the same rows (serialize.py).
_SPAN_KEY = itemgetter(0, 1, 4)
_LABEL_OF_SPAN = itemgetter(4)
_LABEL_OF_KEY = itemgetter(2)
_LABEL_OF_RELATION = itemgetter(2)


class Accepted(NamedTuple):
    """What an accepted annotation counts: its spans' exact-match keys and its relations' labels.
    (A named tuple: one is made a row written or read, and a frozen dataclass sets each field
    through object.__setattr__.)"""

    spans: list[SpanKey]
    relations: Sequence[str]

    @property
    def labels(self) -> list[tuple[str, str]]:
        """(kind, label) of each span and relation, as the label tally counts them: made when
        asked, since of the rows a write reads (the other annotators' of its tasks) only the spans
        of most are compared."""
        labels = list(zip(repeat(SPAN), map(_LABEL_OF_KEY, self.spans)))
        if self.relations:
            labels += zip(repeat(RELATION), self.relations)
        return labels

    @classmethod
    def of_blob(cls, blob: bytes) -> Accepted:
        value = orjson.loads(blob)
        return cls._of_rows(value["spans"], value["relations"])

    @classmethod
    def of(cls, annotation: Annotation | Plain) -> Accepted:
        if isinstance(annotation, Plain):
            return cls._of_rows(annotation.spans, annotation.relations)
        return tuple.__new__(
            cls,
            ([(s.start, s.end, s.label) for s in annotation.spans], [r.label for r in annotation.relations]),
        )

    @classmethod
    def _of_rows(cls, spans: Sequence[Sequence[Any]], relations: Sequence[Sequence[Any]]) -> Accepted:
        """Of span and relation rows in field order, read in C: a stored annotation's (the rows of
        its blob hold the integers and strings its writer was given) or a Plain's. Made as a
        tuple: a NamedTuple's own __new__ is Python (see records.new_plain)."""
        return tuple.__new__(cls, (list(map(_SPAN_KEY, spans)), list(map(_LABEL_OF_RELATION, relations))))


# No __eq__ or __repr__: nothing compares or prints one, and each is compiled at import.
@dataclass(eq=False, repr=False)
class Kept:
    """Changes to the kept counts, gathered over a write and added at its end (``write``)."""

    labels: Counter[tuple[int, str, str, str]] = field(default_factory=Counter)
    # (dataset id, annotator a, annotator b with a < b) -> [compared, tp, fp, fn]
    pairs: dict[tuple[int, str, str], list[int]] = field(default_factory=dict)

    def add_pair(self, dataset_id: int, a: str, b: str, first: Accepted, second: Accepted, sign: int) -> None:
        """Add (sign 1) or take away (-1) one task both ``a`` and ``b`` accepted."""
        tp, fp, fn = match_counts(first.spans, second.spans)
        row = self.pairs.setdefault((dataset_id, a, b), [0, 0, 0, 0])
        row[0] += sign
        row[1] += sign * tp
        row[2] += sign * fp
        row[3] += sign * fn

    def task(
        self,
        dataset_id: int,
        before: Mapping[str, Accepted],
        after: Mapping[str, Accepted | None],
    ) -> None:
        """One task's change: ``before``, every annotator's accepted annotation of it as stored;
        ``after``, the annotators whose row this write replaces, each with its new accepted
        annotation or None (the row is no longer accepted)."""
        now = {**before, **after}
        for who in after:
            old = before.get(who)
            if old is not None:
                self.labels.subtract((dataset_id, who, kind, label) for kind, label in old.labels)
            new = after[who]
            if new is not None:
                self.labels.update((dataset_id, who, kind, label) for kind, label in new.labels)
        # Only pairs with a changed side change; each pair once, the earlier name first.
        changed = set(after)
        names = sorted(set(before) | set(after))
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                if a not in changed and b not in changed:
                    continue
                old_a, old_b = before.get(a), before.get(b)
                if old_a is not None and old_b is not None:
                    self.add_pair(dataset_id, a, b, old_a, old_b, -1)
                new_a, new_b = now.get(a), now.get(b)
                if new_a is not None and new_b is not None:
                    self.add_pair(dataset_id, a, b, new_a, new_b, 1)


def accepted_on(
    conn: Any, task_ids: Iterable[int], page: int, snapshots: set[tuple[int, str]] | None = None
) -> dict[int, dict[str, Accepted]]:
    """Every annotator's accepted annotation of these tasks, as stored (read in the write's
    transaction, before it replaces any row). ``snapshots``: add to it the (task id, annotator)
    rows of these tasks that are snapshots (store/sql.py), from the same reading: a write that
    replaces rows drops their snapshots, and a second query of the same rows cost as much again."""
    out: dict[int, dict[str, Accepted]] = {}
    ordered = sorted(set(task_ids))
    every = "" if snapshots is not None else "answer = 'accept' AND"
    for i in range(0, len(ordered), page):
        chunk = ordered[i : i + page]
        rows = conn.execute(
            f"""SELECT task_id, annotator, data_log_id, CASE WHEN answer = 'accept' THEN data END
                FROM annotations WHERE {every} task_id IN ({", ".join("?" * len(chunk))})""",
            tuple(chunk),
        ).fetchall()
        for task_id, annotator, data_log_id, data in rows:
            if data is not None:
                out.setdefault(task_id, {})[annotator] = Accepted.of_blob(bytes(data))
            if data_log_id is not None and snapshots is not None:
                snapshots.add((task_id, annotator))
    return out


def changes(
    kept: Kept,
    datasets: Mapping[int, int],
    before: Mapping[int, Mapping[str, Accepted]],
    rows: Sequence[tuple[int, str, Annotation | Plain | None]],
) -> None:
    """Add to ``kept`` what replacing these (task id, annotator) rows changes: each with its new
    annotation when that is an accepted one, else None."""
    # A row that held no accepted annotation before, alone of its task in this write (every row of
    # an import, whether others accepted the task or not): nothing to take away. Its labels are
    # gathered a (dataset, annotator) at a time, spans' and relations' apart, and counted at once (a
    # key a label built in Python was most of this); each other annotator who accepted the task
    # adds a pair. The other rows (a replaced accepted annotation, several annotators of one task
    # at once) are worked out a task at a time (Kept.task).
    task_ids = [row[0] for row in rows]
    shared = (  # tasks more than one row names (several annotators' at once)
        set() if len(set(task_ids)) == len(task_ids) else {t for t, n in Counter(task_ids).items() if n > 1}
    )
    together: dict[int, dict[str, Annotation | Plain | None]] = {}
    alone: dict[tuple[int, str], tuple[list[str], list[str]]] = {}
    for task_id, who, new in rows:
        held = before.get(task_id)
        if task_id in shared or (held and who in held):
            together.setdefault(task_id, {})[who] = new
            continue
        if new is None:
            continue
        dataset_id = datasets[task_id]
        gathered = alone.get((dataset_id, who))
        if gathered is None:
            gathered = alone[dataset_id, who] = ([], [])
        _add_labels(new, *gathered)
        if held:
            mine = Accepted.of(new)
            for other, theirs in held.items():
                if other < who:
                    kept.add_pair(dataset_id, other, who, theirs, mine, 1)
                else:
                    kept.add_pair(dataset_id, who, other, mine, theirs, 1)
    for task_id, after in together.items():
        kept.task(
            datasets[task_id],
            before.get(task_id) or {},
            {who: None if new is None else Accepted.of(new) for who, new in after.items()},
        )
    for (dataset_id, who), (span_labels, relation_labels) in alone.items():
        for kind, of_kind in ((SPAN, span_labels), (RELATION, relation_labels)):
            for label, n in Counter(of_kind).items():
                kept.labels[dataset_id, who, kind, label] += n


def _add_labels(annotation: Annotation | Plain, spans: list[str], relations: list[str]) -> None:
    """Append the labels of the annotation's spans and relations to the two lists."""
    if isinstance(annotation, Plain):  # its rows in field order, read in C
        spans.extend(map(_LABEL_OF_SPAN, annotation.spans))
        if annotation.relations:
            relations.extend(map(_LABEL_OF_RELATION, annotation.relations))
    else:
        spans.extend(s.label for s in annotation.spans)
        relations.extend(r.label for r in annotation.relations)


def write(conn: Any, kept: Kept) -> None:
    """Add the changes, in key order (PostgreSQL locks each row, and writers taking them in the
    same order cannot deadlock), at the end of the write: after the annotations' triggers have
    taken the tally's rows, as every writer does."""
    for (dataset_id, annotator, kind, label), n in sorted(kept.labels.items()):
        if n:
            conn.execute(
                """INSERT INTO label_tally (dataset_id, annotator, kind, label, n) VALUES (?, ?, ?, ?, ?)
                   ON CONFLICT (dataset_id, annotator, kind, label) DO UPDATE SET n = label_tally.n + excluded.n""",
                (dataset_id, annotator, kind, label_key(label), n),
            )
    for (dataset_id, a, b), (compared, tp, fp, fn) in sorted(kept.pairs.items()):
        if compared or tp or fp or fn:
            conn.execute(
                """INSERT INTO pair_tally (dataset_id, a, b, compared, tp, fp, fn) VALUES (?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (dataset_id, a, b) DO UPDATE SET compared = pair_tally.compared + excluded.compared,
                       tp = pair_tally.tp + excluded.tp, fp = pair_tally.fp + excluded.fp,
                       fn = pair_tally.fn + excluded.fn""",
                (dataset_id, a, b, compared, tp, fp, fn),
            )


def count_pairs(conn: Any, dataset_id: int | None = None, page: int = 1000) -> None:
    """Fill pair_tally from the accepted annotations already stored (of one dataset, or of all),
    a range of task ids at a time, so that a task's rows are read together."""
    only = "" if dataset_id is None else f"WHERE dataset_id = {int(dataset_id):d}"
    low, high = conn.execute(f"SELECT MIN(id), MAX(id) FROM tasks {only}").fetchone()
    if low is None:
        return
    kept = Kept()
    also = "" if dataset_id is None else f"AND t.dataset_id = {int(dataset_id):d}"
    for start in range(int(low), int(high) + 1, page):
        rows = conn.execute(
            f"""SELECT a.task_id, t.dataset_id, a.annotator, a.data FROM annotations a
                JOIN tasks t ON t.id = a.task_id
                WHERE a.answer = 'accept' AND a.task_id >= ? AND a.task_id < ? {also}""",
            (start, start + page),
        ).fetchall()
        tasks: dict[tuple[int, int], dict[str, Accepted]] = {}
        for task_id, task_dataset, annotator, data in rows:
            tasks.setdefault((int(task_id), int(task_dataset)), {})[annotator] = Accepted.of_blob(bytes(data))
        for (_, task_dataset), accepted in tasks.items():
            names = sorted(accepted)
            for i, a in enumerate(names):
                for b in names[i + 1 :]:
                    kept.add_pair(task_dataset, a, b, accepted[a], accepted[b], 1)
    kept.labels.clear()
    write(conn, kept)
