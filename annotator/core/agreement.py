"""Agreement between annotators on spans, tokens and relations, in pure Python.

Conventions (the README carries the longer version):

- A is the reference: precision = tp / (spans of B), recall = tp / (spans of A); counts are pooled
  over all compared tasks before any ratio is taken. F1 = 2tp / (2tp + fp + fn), which does not
  depend on who is the reference.
- Zero denominators: when neither side has anything (tp = fp = fn = 0) precision, recall and F1 are
  1.0, since there is nothing to disagree on. When one side has spans and the other none, the ratio
  that would divide by zero is 0.0 (so are the other two). When no task at all was compared, the
  JSON gives ``null`` for every ratio instead, because there is no evidence either way.
- Cohen's kappa, Krippendorff's alpha and Fleiss' kappa are 1.0 when every label given is the same
  one (expected agreement 1, so the usual formula is 0/0), and ``None`` when there are no tokens.
- ``overlap`` pairs spans of the same label that share at least one character, each span at most
  once, by a maximum matching (see :func:`overlap_matching` for how ties are broken).
"""

from __future__ import annotations

import bisect
import itertools
import operator
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, Protocol, TypeVar

from annotator.core.adjudication import Disagreement, find_disagreements
from annotator.core.counts import Counts, multiset_counts
from annotator.core.model import ENTS, Annotation, Relation, Span, SpanKey, Task
from annotator.core.records import Plain as PlainRecord
from annotator.core.records import RelationRow, SpanRow

OUTSIDE = "O"
Offsets = tuple[int, int]
RelationKey = tuple[SpanKey, SpanKey, str]


@dataclass(frozen=True, slots=True)
class Version:
    """One annotator's version of one task, with where it came from (``task 12``, ``a.jsonl:3``)."""

    task: Task
    annotation: Annotation
    ref: str = ""

    @property
    def text(self) -> str:
        return self.task.text


class Plain(NamedTuple):
    """One annotator's version of one task read without its task's tokens: a gold file's record
    as ``annotator import`` reads it (``core.records.plain_record``: the tokens as columns, entity
    spans in text order, none overlapping another, each on its tokens, and relations as rows), and
    where it came from. Two versions whose spans agree are compared on those rows; the annotation
    is built only for versions that differ (most tasks of a good team agree, and building every
    span was a tenth of reading a record). A record without an answer counts as accepted: a file
    handed to ``agreement`` is a list of finished annotations."""

    record: PlainRecord
    ref: str = ""

    @property
    def text(self) -> str:
        return self.record.text

    @property
    def starts(self) -> list[int]:
        return self.record.tokens[1]

    @property
    def ends(self) -> list[int]:
        return self.record.tokens[2]

    @property
    def annotation(self) -> Annotation:
        record = self.record
        spans = tuple(Span(*row) for row in record.spans)
        return Annotation(spans, tuple(Relation(*row) for row in record.relations), record.answer or "accept")


# A version as it is compared: read whole, or plain.
Seen = Version | Plain


# One annotator's versions, keyed by the task's input hash.
Side = Mapping[int, Version]


def exact_counts(a: Sequence[Span], b: Sequence[Span]) -> Counts:
    """Same start, end and label."""
    return multiset_counts(((s.start, s.end, s.label) for s in a), ((s.start, s.end, s.label) for s in b))


def boundary_counts(a: Sequence[Span], b: Sequence[Span]) -> Counts:
    """Same start and end, label ignored."""
    return multiset_counts(((s.start, s.end) for s in a), ((s.start, s.end) for s in b))


def per_label_counts(a: Sequence[Span], b: Sequence[Span]) -> dict[str, Counts]:
    """Exact matches, by label (a span whose label differs counts as fn of A's and fp of B's)."""
    out: dict[str, Counts] = {}
    for label in sorted({s.label for s in a} | {s.label for s in b}):
        out[label] = exact_counts([s for s in a if s.label == label], [s for s in b if s.label == label])
    return out


class Placed(Protocol):
    """What the overlap matching reads of a span: a Span, or a plain version's row seen as one
    (``_SpanView``)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...

    @property
    def label(self) -> str: ...


class _SpanView(NamedTuple):
    """A plain version's span row (``SpanRow``) read by field name, as a Span is, made in C from
    the row (``_view``): building a Span (a frozen dataclass) took a tenth of comparing two plain
    versions whose spans differ."""

    start: int
    end: int
    token_start: int
    token_end: int
    label: str
    source: str | None
    sid: int


_view = partial(tuple.__new__, _SpanView)


def _shared(x: Placed, y: Placed) -> int:
    return min(x.end, y.end) - max(x.start, y.start)


def overlap_matching(a: Sequence[Placed], b: Sequence[Placed]) -> dict[int, int]:
    """A maximum matching of A's spans to B's spans of the same label sharing >= 1 character.

    Returns {index in a: index in b}. Its size is the largest possible. Which of several maximum
    matchings is returned is fixed as follows: A's spans are taken in text order; each takes its
    most preferred B span that is still free, preferring (1) identical offsets, (2) more shared
    characters, (3) the earlier B span; when none is free, an earlier pair is moved to another free
    span if that makes room (an augmenting path, searched in the same order of preference). When
    neither side has overlapping spans (NER mode), a span with identical offsets on the other side
    overlaps nothing else there, so such pairs are always kept.
    """
    b_by_label: dict[str, list[int]] = {}
    for j in sorted(range(len(b)), key=lambda j: (b[j].start, b[j].end)):
        b_by_label.setdefault(b[j].label, []).append(j)
    index: dict[str, tuple[list[int], list[int]]] = {}
    for label, js in b_by_label.items():
        starts = [b[j].start for j in js]
        reach = list(itertools.accumulate((b[j].end for j in js), max))
        index[label] = (starts, reach)

    candidates: dict[int, list[int]] = {}
    for i, span in enumerate(a):
        if span.label not in index:
            candidates[i] = []
            continue
        js = b_by_label[span.label]
        starts, reach = index[span.label]
        found = []
        # B spans starting before A's end; walk back while some earlier one can still reach A's start.
        k = bisect.bisect_left(starts, span.end) - 1
        while k >= 0 and reach[k] > span.start:
            if b[js[k]].end > span.start:
                found.append(js[k])
            k -= 1
        found.sort(
            key=lambda j: (
                (b[j].start, b[j].end) != (span.start, span.end),
                -_shared(span, b[j]),
                b[j].start,
                b[j].end,
            )
        )
        candidates[i] = found

    match_a: dict[int, int] = {}
    match_b: dict[int, int] = {}
    for i in sorted(range(len(a)), key=lambda i: (a[i].start, a[i].end, a[i].label)):
        free = next((j for j in candidates[i] if j not in match_b), None)
        if free is not None:
            match_a[i], match_b[free] = free, i
            continue
        _augment(i, candidates, match_a, match_b)
    return match_a


def _augment(
    root: int, candidates: Mapping[int, list[int]], match_a: dict[int, int], match_b: dict[int, int]
) -> None:
    """Kuhn's augmenting path search from ``root``, iterative so long chains do not hit the recursion limit."""
    visited: set[int] = set()
    came_from: dict[int, int] = {}
    stack = [(root, iter(candidates[root]))]
    end: int | None = None
    while stack and end is None:
        u, options = stack[-1]
        for j in options:
            if j in visited:
                continue
            visited.add(j)
            came_from[j] = u
            if j not in match_b:
                end = j
            else:
                stack.append((match_b[j], iter(candidates[match_b[j]])))
            break
        else:
            stack.pop()
    step = end
    while step is not None:
        u = came_from[step]
        previous = match_a.get(u)
        match_a[u], match_b[step] = step, u
        step = None if u == root else previous


def token_labels(tokens: Sequence[Offsets], spans: Iterable[Span], outside: str = OUTSIDE) -> list[str]:
    """IO labels: each token (start, end), in text order, gets the label of a span sharing a character
    with it, or ``outside``. Where spans overlap (never in NER mode) the earliest-starting one wins."""
    labels = [outside] * len(tokens)
    ends = [end for _, end in tokens]
    for span in sorted(spans, key=lambda s: (s.start, s.end)):
        k = bisect.bisect_right(ends, span.start)
        while k < len(tokens) and tokens[k][0] < span.end:
            if labels[k] == outside:
                labels[k] = span.label
            k += 1
    return labels


@dataclass
class LabelTally:
    """What Cohen's kappa, Krippendorff's alpha and the observed agreement of two coders need, as
    sums: items, items labelled alike, and each coder's label counts. Adding task after task gives
    exactly the figures of the whole sequences at once (every quantity is an integer)."""

    items: int = 0
    same: int = 0
    a: Counter[Hashable] = field(default_factory=Counter)
    b: Counter[Hashable] = field(default_factory=Counter)

    def add(self, a: Sequence[Hashable], b: Sequence[Hashable]) -> None:
        _check_pair(a, b)
        self.items += len(a)
        self.same += sum(map(operator.eq, a, b))
        self.a.update(a)
        self.b.update(b)

    def add_equal(self, labels: Sequence[Hashable]) -> None:
        """Both coders gave these same labels."""
        self.items += len(labels)
        self.same += len(labels)
        self.a.update(labels)
        self.b.update(labels)

    def add_counts(self, items: int, labels: Counter[Hashable]) -> None:
        """Both coders gave ``items`` items the same labels, ``labels`` counting them."""
        self.items += items
        self.same += items
        self.a.update(labels)
        self.b.update(labels)

    @property
    def observed(self) -> float | None:
        return self.same / self.items if self.items else None

    @property
    def cohen_kappa(self) -> float | None:
        n = self.items
        if n == 0:
            return None
        chance = sum(self.a[k] * self.b[k] for k in self.a)
        if chance == n * n:  # both constant and equal: 0/0, defined as perfect agreement
            return 1.0
        return (self.same / n - chance / (n * n)) / (1 - chance / (n * n))

    @property
    def krippendorff_alpha(self) -> float | None:
        """Nominal, two coders, every item coded by both."""
        n = self.items
        if n == 0:
            return None
        pooled = self.a + self.b
        values = 2 * n
        same_pairs = sum(c * c for c in pooled.values())
        if same_pairs == values * values:  # one value only: no expected disagreement
            return 1.0
        observed = (n - self.same) / n
        expected = (values * values - same_pairs) / (values * (values - 1))
        return 1.0 - observed / expected


def _tally(a: Sequence[Hashable], b: Sequence[Hashable]) -> LabelTally:
    tally = LabelTally()
    tally.add(a, b)
    return tally


def observed_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    return _tally(a, b).observed


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's kappa of two coders' labels for the same items."""
    return _tally(a, b).cohen_kappa


def krippendorff_alpha(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Krippendorff's alpha, nominal, two coders, every item coded by both."""
    return _tally(a, b).krippendorff_alpha


@dataclass
class FleissTally:
    """Fleiss' kappa's sums, item by item (each item: the label each of m coders gave it)."""

    coders: int = 0
    items: int = 0
    totals: Counter[Hashable] = field(default_factory=Counter)
    agreement: float = 0.0

    def add(self, row: Sequence[Hashable]) -> None:
        m = len(row)
        if self.coders == 0:
            self.coders = m
        if m < 2 or m != self.coders:
            raise ValueError("every item needs the same number (>= 2) of labels")
        counts = Counter(row)
        self.items += 1
        self.totals.update(counts)
        self.agreement += (sum(c * c for c in counts.values()) - m) / (m * (m - 1))

    @property
    def kappa(self) -> float | None:
        n, m = self.items, self.coders
        if n == 0:
            return None
        squares = sum(c * c for c in self.totals.values())
        if squares == (n * m) ** 2:
            return 1.0
        p_bar = self.agreement / n
        p_e = squares / (n * m) ** 2
        return (p_bar - p_e) / (1 - p_e)


def fleiss_kappa(rows: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa: each row is one item, holding the label each of m coders gave it."""
    tally = FleissTally()
    for row in rows:
        tally.add(row)
    return tally.kappa


def _check_pair(a: Sequence[Hashable], b: Sequence[Hashable]) -> None:
    if len(a) != len(b):
        raise ValueError(f"the two label sequences differ in length ({len(a)} and {len(b)})")


def relation_keys(annotation: Annotation) -> list[RelationKey]:
    """Each relation as (head offsets, child offsets, label); relations to missing spans are skipped."""
    by_sid = {s.sid: s for s in annotation.spans}
    out = []
    for r in annotation.relations:
        head, child = by_sid.get(r.head), by_sid.get(r.child)
        if head is not None and child is not None:
            out.append((head.key, child.key, r.label))
    return out


def aligned_relation_counts(a: Annotation, b: Annotation, matching: Mapping[int, int]) -> Counts:
    """Relations compared after mapping each of B's argument spans onto the A span it matched under
    ``overlap`` (``matching``: index in a.spans -> index in b.spans). A B span that matched nothing
    keeps its own offsets, so a relation that agrees exactly also agrees here (in NER mode a matched
    B span cannot have the offsets of another A span)."""
    to_a = {b.spans[j].sid: a.spans[i].key for i, j in matching.items()}
    to_a.update({s.sid: s.key for s in b.spans if s.sid not in to_a})
    b_keys = [
        (to_a[r.head], to_a[r.child], r.label) for r in b.relations if r.head in to_a and r.child in to_a
    ]
    return multiset_counts(relation_keys(a), b_keys)


# Why token kappa and alpha are not given for a span group.
TOKENS_UNDEFINED = (
    "not defined: spans of a span group may overlap and nest, so a token has no single label "
    "to compare (see the span figures)"
)


def layer_matching(a: Sequence[Span], b: Sequence[Span]) -> dict[int, int]:
    """``overlap_matching`` within each layer (a span matches only one of its own layer), as
    {index in a: index in b}."""
    out: dict[int, int] = {}
    for layer in {s.layer for s in a} & {s.layer for s in b}:
        ia = [i for i, s in enumerate(a) if s.layer == layer]
        ib = [j for j, s in enumerate(b) if s.layer == layer]
        found = overlap_matching([a[i] for i in ia], [b[j] for j in ib])
        out.update({ia[i]: ib[j] for i, j in found.items()})
    return out


@dataclass(frozen=True, slots=True)
class LayerReport:
    """The span figures of one span group (its token figures are not defined)."""

    exact: Counts = Counts()
    overlap: Counts = Counts()
    boundary: Counts = Counts()
    per_label: dict[str, Counts] = field(default_factory=dict)

    def add(self, a: Sequence[Span], b: Sequence[Span]) -> LayerReport:
        """This layer's figures with one more task's spans (of this layer) added."""
        per_label = dict(self.per_label)
        for label, counts in per_label_counts(a, b).items():
            per_label[label] = per_label.get(label, Counts()) + counts
        matched = len(overlap_matching(a, b))
        return LayerReport(
            self.exact + exact_counts(a, b),
            self.overlap + Counts(matched, len(b) - matched, len(a) - matched),
            self.boundary + boundary_counts(a, b),
            per_label,
        )

    def as_dict(self, defined: bool) -> dict[str, Any]:
        return {
            "spans": {
                "exact": self.exact.as_dict(defined),
                "overlap": self.overlap.as_dict(defined),
                "boundary": self.boundary.as_dict(defined),
                "per_label": {label: c.as_dict(defined) for label, c in sorted(self.per_label.items())},
            },
            "tokens": {
                "scheme": None,
                "observed": None,
                "cohen_kappa": None,
                "krippendorff_alpha": None,
                "undefined": TOKENS_UNDEFINED,
            },
        }


@dataclass(frozen=True, slots=True)
class TaskCounts:
    """compared: both accepted. only_a/only_b: only one side has the task (whatever its answer).
    answer_mismatch: both have it but did not both accept it."""

    compared: int = 0
    only_a: int = 0
    only_b: int = 0
    answer_mismatch: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "compared": self.compared,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "answer_mismatch": self.answer_mismatch,
        }


@dataclass(frozen=True, slots=True)
class TokenAgreement:
    tokens: int = 0
    observed: float | None = None
    cohen_kappa: float | None = None
    krippendorff_alpha: float | None = None
    tasks_left_out: int = 0  # compared tasks whose two versions have different tokens

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheme": "IO",
            "observed": self.observed,
            "cohen_kappa": self.cohen_kappa,
            "krippendorff_alpha": self.krippendorff_alpha,
            "tasks_left_out": self.tasks_left_out,
        }


@dataclass(frozen=True, slots=True)
class TaskDiff:
    """The disagreements of one compared task, for ``--details``."""

    ref_a: str
    ref_b: str
    task: Task
    a: Annotation
    b: Annotation
    disagreements: tuple[Disagreement, ...]


@dataclass(frozen=True, slots=True)
class PairReport:
    annotators: tuple[str, str]
    tasks: TaskCounts
    exact: Counts
    overlap: Counts
    boundary: Counts
    per_label: dict[str, Counts]
    tokens: TokenAgreement
    relations_exact: Counts
    relations_aligned: Counts
    details: tuple[TaskDiff, ...] = ()
    problems: tuple[str, ...] = ()  # pairs of tasks that could not be compared, said for the user
    # The span groups' figures by key (the fields above are the entity layer's, and relations are
    # of every layer); empty when neither annotator used a span group.
    layers: dict[str, LayerReport] = field(default_factory=dict)

    def as_dict(self, details: bool = False) -> dict[str, Any]:
        """The JSON object of ``annotator agreement --json`` for two annotators."""
        defined = self.tasks.compared > 0
        out: dict[str, Any] = {
            "annotators": list(self.annotators),
            "tasks": self.tasks.as_dict(),
            "spans": {
                "exact": self.exact.as_dict(defined),
                "overlap": self.overlap.as_dict(defined),
                "boundary": self.boundary.as_dict(defined),
                "per_label": {label: c.as_dict(defined) for label, c in self.per_label.items()},
            },
            "tokens": self.tokens.as_dict(),
            "relations": {
                "exact": self.relations_exact.as_dict(defined),
                "aligned": self.relations_aligned.as_dict(defined),
            },
        }
        if self.layers:
            out["layers"] = {key: layer.as_dict(defined) for key, layer in sorted(self.layers.items())}
        if details:
            out["disagreements"] = [disagreement_dict(d) for d in self.details]
        return out


def disagreement_dict(diff: TaskDiff) -> dict[str, Any]:
    def span(s: Span) -> dict[str, Any]:
        out = {"start": s.start, "end": s.end, "label": s.label, "text": diff.task.text[s.start : s.end]}
        if s.layer != ENTS:
            out["key"] = s.layer
        return out

    def rel(ann: Annotation, r: Relation) -> dict[str, Any]:
        head, child = ann.span(r.head), ann.span(r.child)
        assert head is not None and child is not None
        return {"head": span(head), "child": span(child), "label": r.label}

    return {
        "task": diff.ref_a if diff.ref_a == diff.ref_b else f"{diff.ref_a} / {diff.ref_b}",
        "input_hash": diff.task.input_hash,
        "items": [
            {
                "kind": d.kind,
                "start": d.start,
                "end": d.end,
                "a": [rel(diff.a, r) for r in d.a_relations]
                if d.kind == "relation"
                else [span(s) for s in d.a_spans],
                "b": [rel(diff.b, r) for r in d.b_relations]
                if d.kind == "relation"
                else [span(s) for s in d.b_spans],
            }
            for d in diff.disagreements
        ],
    }


def _accepted(v: Seen) -> bool:
    return (v.record.answer or "accept" if isinstance(v, Plain) else v.annotation.answer) == "accept"


def _token_offsets(task: Task) -> list[Offsets]:
    return [(t.start, t.end) for t in task.tokens]


def _offsets(v: Seen) -> list[Offsets]:
    return list(zip(v.starts, v.ends, strict=True)) if isinstance(v, Plain) else _token_offsets(v.task)


def _same_tokens(a: Seen, b: Seen) -> bool:
    """Whether the two versions' tokens have the same offsets (shared ones, without a look)."""
    if isinstance(a, Plain) and isinstance(b, Plain):
        return (a.starts is b.starts and a.ends is b.ends) or (a.starts == b.starts and a.ends == b.ends)
    if isinstance(a, Version) and isinstance(b, Version) and a.task.tokens is b.task.tokens:
        return True
    return _offsets(a) == _offsets(b)


def _labels(a: Seen, b: Seen, sa: Sequence[Span], sb: Sequence[Span]) -> tuple[list[str], list[str]]:
    """Both versions' token labels, on A's tokens (the same offsets as B's): as ``token_labels``
    gives them, from the spans' token indices when both are plain (their spans sit on the tokens
    without overlapping: each labels the tokens token_start..token_end, and only those)."""
    if isinstance(a, Plain) and isinstance(b, Plain):
        ranges_a = ((s.token_start, s.token_end, s.label) for s in sa)
        ranges_b = ((s.token_start, s.token_end, s.label) for s in sb)
        return _on_tokens(len(a.starts), ranges_a), _on_tokens(len(a.starts), ranges_b)
    offsets = _offsets(a)
    return token_labels(offsets, sa), token_labels(offsets, sb)


def _on_tokens(count: int, ranges: Iterable[tuple[int, int, str]]) -> list[str]:
    """Token labels from spans' (token_start, token_end, label), spans that do not overlap."""
    labels = [OUTSIDE] * count
    for first, last, label in ranges:
        labels[first : last + 1] = [label] * (last - first + 1)
    return labels


def _distinct_tp(a: Sequence[Hashable], b: Sequence[Hashable]) -> int:
    """``multiset_counts(a, b).tp`` when ``a`` has no repeats (a plain version's relations: each
    joins two of its spans, which never share their offsets, once): each key of ``b`` found in
    ``a`` matches one, however often ``b`` has it."""
    if not a or not b:
        return 0
    if a == b:
        return len(a)
    return len(set(a).intersection(b))


def _relation_rows_keys(spans: list[SpanRow], relations: list[RelationRow]) -> list[RelationKey]:
    """``relation_keys`` of a plain version's rows (each relation joins two of its spans)."""
    at = {row[6]: (row[0], row[1]) for row in spans}
    return [(at[head], at[child], label) for head, child, label, _ in relations]


def _span_triples(spans: Sequence[Span]) -> list[tuple[int, int, str]]:
    return sorted((s.start, s.end, s.label) for s in spans)


T = TypeVar("T")


def _ranked(
    items: list[T], keys: list[int], rank: Callable[[Sequence[int]], Sequence[int]]
) -> tuple[list[T], list[int]]:
    """Items (each found for the task of the same place in ``keys``) sorted by their tasks' ranks,
    in the order found where the ranks are equal."""
    order = sorted(range(len(items)), key=list(rank(keys)).__getitem__)
    return [items[k] for k in order], [keys[k] for k in order]


class PairTally:
    """One pair of annotators compared task by task, A as the reference: every figure is a sum over
    tasks, so nothing but the sums is kept (and, for ``details``, the tasks that disagree)."""

    # Slots: past 30 attributes an instance's dict no longer shares its keys, and Python 3.11 reads
    # its attributes by a lookup each instead of a place (a third of counting two versions alike).
    __slots__ = (
        "_alike",
        "_alike_items",
        "_boundary_tp",
        "_diff_keys",
        "_exact_tp",
        "_label_fn",
        "_label_fp",
        "_label_tp",
        "_overlap_tp",
        "_problem_keys",
        "_rel_aligned_tp",
        "_rel_exact_tp",
        "_relations_a",
        "_relations_b",
        "_spans_a",
        "_spans_b",
        "boundary",
        "compared",
        "details",
        "diffs",
        "exact",
        "layers",
        "left_out",
        "mismatch",
        "names",
        "only_a",
        "only_b",
        "overlap",
        "per_label",
        "problems",
        "rel_aligned",
        "rel_exact",
        "tokens",
    )

    def __init__(self, names: tuple[str, str] = ("A", "B"), *, details: bool = False) -> None:
        self.names, self.details = names, details
        self.only_a = self.only_b = self.mismatch = self.compared = self.left_out = 0
        self.exact = self.overlap = self.boundary = self.rel_exact = self.rel_aligned = Counts()
        self.per_label: dict[str, Counts] = {}
        # Plain versions are counted in integers, the Counts made once in ``report`` (making two
        # a figure a task was a tenth of comparing two whose spans differ): their spans and
        # relations on each side, and the matches of each kind (fp and fn follow). Spans that
        # agree are a match of every kind.
        self._spans_a = self._spans_b = self._exact_tp = self._overlap_tp = self._boundary_tp = 0
        self._relations_a = self._relations_b = self._rel_exact_tp = self._rel_aligned_tp = 0
        self._label_tp: dict[str, int] = {}  # exact matches by label
        self._label_fn: dict[str, int] = {}  # A's spans without a twin, by label
        self._label_fp: dict[str, int] = {}  # B's spans without a twin, by label
        self.tokens = LabelTally()
        self._alike: dict[Hashable, int] = {}  # token labels of those tasks (the same on both sides)
        self._alike_items = 0
        self.diffs: list[TaskDiff] = []
        self.problems: list[str] = []
        self._problem_keys: list[int] = []  # the task of each problem, and of each diff, as found
        self._diff_keys: list[int] = []
        self.layers: dict[str, LayerReport] = {}

    def add(self, key: int, va: Seen | None, vb: Seen | None) -> None:
        """One task: A's and B's version of it (None: that annotator has not got it). Plain
        versions only without ``details``."""
        if type(va) is Plain and type(vb) is Plain:  # the checks below, on the records
            a, b = va.record, vb.record
            if a.text != b.text:
                self._texts_differ(key, va, vb)
            elif (a.answer or "accept") != "accept" or (b.answer or "accept") != "accept":
                self.mismatch += 1
            else:
                self.compared += 1
                if not self._plain_alike(a, b):
                    self._plain_differ(a, b)
            return
        if va is None or vb is None:
            if va is not None:
                self.only_a += 1
            elif vb is not None:
                self.only_b += 1
            return
        if va.text != vb.text:
            self._texts_differ(key, va, vb)
            return
        if not (_accepted(va) and _accepted(vb)):
            self.mismatch += 1
            return
        self.compared += 1
        if isinstance(va, Plain) and isinstance(vb, Plain):
            if not self._plain_alike(va.record, vb.record):
                self._plain_differ(va.record, vb.record)
            return
        aa, ab = va.annotation, vb.annotation
        sa, sb = aa.spans, ab.spans
        grouped = any(s.layer != ENTS for s in sa) or any(s.layer != ENTS for s in sb)
        if grouped:
            self._groups(sa, sb)
            sa = tuple(s for s in sa if s.layer == ENTS)
            sb = tuple(s for s in sb if s.layer == ENTS)
        same_tokens = _same_tokens(va, vb)
        alike = _span_triples(sa) == _span_triples(sb)
        relations = Counts()
        if aa.relations or ab.relations:
            relations = multiset_counts(relation_keys(aa), relation_keys(ab))
            self.rel_exact += relations
        if alike:
            # The same spans (most tasks of a good team): every count is a match, and the overlap
            # matching pairs each span with its twin, so aligned relations are the exact ones.
            self._count_twins(len(sa))
            for span in sa:
                self._label_tp[span.label] = self._label_tp.get(span.label, 0) + 1
            if grouped:
                matching = layer_matching(aa.spans, ab.spans)
                self.rel_aligned += aligned_relation_counts(aa, ab, matching)
            else:
                self.rel_aligned += relations
            if same_tokens:
                self._tokens_alike(va, sa)
        else:
            self.exact += exact_counts(sa, sb)
            self.boundary += boundary_counts(sa, sb)
            matching = overlap_matching(sa, sb)
            self.overlap += Counts(len(matching), len(sb) - len(matching), len(sa) - len(matching))
            for label, counts in per_label_counts(sa, sb).items():
                self.per_label[label] = self.per_label.get(label, Counts()) + counts
            if grouped:  # relations may join spans of any layer: each matched within its layer
                matching = layer_matching(aa.spans, ab.spans)
            self.rel_aligned += aligned_relation_counts(aa, ab, matching)
            if same_tokens:
                self.tokens.add(*_labels(va, vb, sa, sb))
        if not same_tokens:
            self.left_out += 1
        if self.details:
            assert isinstance(va, Version) and isinstance(vb, Version), "details need whole versions"
            found = find_disagreements(aa, ab)
            if found:
                self.diffs.append(TaskDiff(va.ref, vb.ref, va.task, aa, ab, found))
                self._diff_keys.append(key)

    def _count_twins(self, n: int) -> None:
        """``n`` spans on each side, each with a twin on the other: a match of every kind."""
        self._spans_a += n
        self._spans_b += n
        self._exact_tp += n
        self._overlap_tp += n
        self._boundary_tp += n

    def _texts_differ(self, key: int, va: Seen, vb: Seen) -> None:
        self.problems.append(
            f"{va.ref or self.names[0]} and {vb.ref or self.names[1]} share input hash {key} but their "
            "texts differ; not compared"
        )
        self._problem_keys.append(key)

    def order(self, rank: Callable[[Sequence[int]], Sequence[int]]) -> None:
        """The problems and diffs in the order of their tasks' ranks (``rank`` gives each key's)."""
        self.problems, self._problem_keys = _ranked(self.problems, self._problem_keys, rank)
        self.diffs, self._diff_keys = _ranked(self.diffs, self._diff_keys, rank)

    def _groups(self, sa: Sequence[Span], sb: Sequence[Span]) -> None:
        for layer in sorted({s.layer for s in (*sa, *sb)} - {ENTS}):
            self.layers[layer] = self.layers.get(layer, LayerReport()).add(
                [s for s in sa if s.layer == layer], [s for s in sb if s.layer == layer]
            )

    def _plain_alike(self, a: PlainRecord, b: PlainRecord) -> bool:
        """Count two plain versions whose spans agree (the same offsets and labels, in text order
        as plain spans are) from their rows, without a span built: every span is a match of every
        kind, and the overlap matching pairs each with its twin, so aligned relations are the exact
        ones. False, counting nothing, when their spans differ."""
        sa, sb = a.spans, b.spans
        if sa is not sb and [(r[0], r[1], r[4]) for r in sa] != [(r[0], r[1], r[4]) for r in sb]:
            return False
        self._count_twins(len(sa))
        ra, rb = a.relations, b.relations
        if sa is sb and ra is rb:  # the same lists, read once
            self._relations_a += len(ra)
            self._relations_b += len(ra)
            self._rel_exact_tp += len(ra)
            self._rel_aligned_tp += len(ra)
        elif ra or rb:
            keys_a = _relation_rows_keys(sa, ra)
            tp = _distinct_tp(keys_a, _relation_rows_keys(sb, rb))
            self._relations_a += len(ra)
            self._relations_b += len(rb)
            self._rel_exact_tp += tp
            self._rel_aligned_tp += tp
        ta, tb = a.tokens, b.tokens
        same_tokens = ta is tb or (ta[1] == tb[1] and ta[2] == tb[2])
        if not same_tokens:
            self.left_out += 1
        # Each span's label: an exact match, and (same tokens) its width in tokens labelled alike.
        labels, alike = self._label_tp, self._alike
        covered = 0
        for row in sa:
            label = row[4]
            labels[label] = labels.get(label, 0) + 1
            if same_tokens:
                width = row[3] - row[2] + 1
                alike[label] = alike.get(label, 0) + width
                covered += width
        if same_tokens:
            count = len(ta[1])
            alike[OUTSIDE] = alike.get(OUTSIDE, 0) + count - covered
            self._alike_items += count
        return True

    def _plain_differ(self, a: PlainRecord, b: PlainRecord) -> None:
        """Count two plain versions whose spans differ, from their rows. Plain spans are entity
        spans in text order, none overlapping another: no two of one side share their offsets, so
        every multiset is a set, and a span with a twin (offsets and label) on the other side
        overlaps nothing else there, so the overlap matching pairs the twins and matches only the
        rest, which alone are built as spans (``overlap_matching`` of the rest is the whole
        matching's but for the twins: no candidate of theirs is a twin)."""
        sa, sb = a.spans, b.spans
        ea = {(r[0], r[1], r[4]) for r in sa}
        eb = {(r[0], r[1], r[4]) for r in sb}
        twins = ea & eb
        tp = len(twins)
        self._spans_a += len(sa)
        self._spans_b += len(sb)
        self._exact_tp += tp
        self._boundary_tp += len({(r[0], r[1]) for r in sa} & {(r[0], r[1]) for r in sb})
        rest_a = [r for r in sa if (r[0], r[1], r[4]) not in twins]
        rest_b = [r for r in sb if (r[0], r[1], r[4]) not in twins]
        matching: dict[int, int] = {}
        if len(rest_a) == 1 == len(rest_b):  # the commonest: one span changed
            x, y = rest_a[0], rest_b[0]
            if x[4] == y[4] and y[0] < x[1] and x[0] < y[1]:  # overlap_matching's candidate
                matching[0] = 0
        elif rest_a and rest_b:
            matching = overlap_matching(list(map(_view, rest_a)), list(map(_view, rest_b)))
        self._overlap_tp += tp + len(matching)
        ra, rb = a.relations, b.relations
        if ra or rb:
            keys_a = _relation_rows_keys(sa, ra)
            self._relations_a += len(ra)
            self._relations_b += len(rb)
            self._rel_exact_tp += _distinct_tp(keys_a, _relation_rows_keys(sb, rb))
            # B's relations on A's spans: a span matched takes its A span's offsets (a twin has
            # them already), any other keeps its own (aligned_relation_counts).
            to_a = {r[6]: (r[0], r[1]) for r in sb}
            for i, j in matching.items():
                to_a[rest_b[j][6]] = (rest_a[i][0], rest_a[i][1])
            aligned = [(to_a[head], to_a[child], label) for head, child, label, _ in rb]
            self._rel_aligned_tp += _distinct_tp(keys_a, aligned)
        labels = self._label_tp
        for triple in twins:
            labels[triple[2]] = labels.get(triple[2], 0) + 1
        for counted, own in ((self._label_fn, rest_a), (self._label_fp, rest_b)):
            for row in own:
                counted[row[4]] = counted.get(row[4], 0) + 1
        ta, tb = a.tokens, b.tokens
        if ta is tb or (ta[1] == tb[1] and ta[2] == tb[2]):
            count = len(ta[1])
            tally = self.tokens
            tally.items += count
            # Tokens labelled alike: all but those the spans without a twin label differently.
            # A twin labels the same tokens on both sides, and no other span of either side
            # overlaps it, so only those spans' tokens may differ.
            at_a = {t: row[4] for row in rest_a for t in range(row[2], row[3] + 1)}
            at_b = {t: row[4] for row in rest_b for t in range(row[2], row[3] + 1)}
            tally.same += count - sum(
                at_a.get(t, OUTSIDE) != at_b.get(t, OUTSIDE) for t in at_a.keys() | at_b.keys()
            )
            # Each side's label counts (what LabelTally.add counts of the labels): a span labels
            # its tokens and only those, the rest are outside.
            for given, rows in ((tally.a, sa), (tally.b, sb)):
                outside = count
                for row in rows:
                    width = row[3] - row[2] + 1
                    given[row[4]] = given.get(row[4], 0) + width
                    outside -= width
                if outside:
                    given[OUTSIDE] = given.get(OUTSIDE, 0) + outside
        else:
            self.left_out += 1

    def _tokens_alike(self, version: Seen, spans: Sequence[Span]) -> None:
        """Both annotators gave every token the same label: count the labels from the spans' token
        ranges (what token_labels would give, without a label a token), when the spans do not
        overlap and sit on the task's tokens as stored (a plain version's always do)."""
        if isinstance(version, Plain):
            count = len(version.starts)
            widths = [(s.label, s.token_end - s.token_start + 1) for s in spans]
        else:
            tokens = version.task.tokens
            count = len(tokens)
            widths = []
            end = 0
            for s in sorted(spans, key=lambda s: (s.start, s.end)):
                if (
                    s.start < end
                    or not 0 <= s.token_start <= s.token_end < len(tokens)
                    or tokens[s.token_start].start != s.start
                    or tokens[s.token_end].end != s.end
                ):
                    self.tokens.add_equal(token_labels(_token_offsets(version.task), spans))
                    return
                end = s.end
                widths.append((s.label, s.token_end - s.token_start + 1))
        self._count_alike(count, widths)

    def _count_alike(self, count: int, widths: list[tuple[str, int]]) -> None:
        """``count`` tokens both annotators labelled alike: each (label, width) labels ``width``
        of them, the rest are outside."""
        alike = self._alike
        covered = 0
        for label, width in widths:
            alike[label] = alike.get(label, 0) + width
            covered += width
        alike[OUTSIDE] = alike.get(OUTSIDE, 0) + count - covered
        self._alike_items += count

    def report(self) -> PairReport:
        t = LabelTally(self.tokens.items, self.tokens.same, Counter(self.tokens.a), Counter(self.tokens.b))
        t.add_counts(self._alike_items, Counter({k: n for k, n in self._alike.items() if n}))
        per_label = dict(self.per_label)
        for label in self._label_tp.keys() | self._label_fp.keys() | self._label_fn.keys():
            counted = Counts(
                self._label_tp.get(label, 0), self._label_fp.get(label, 0), self._label_fn.get(label, 0)
            )
            per_label[label] = per_label.get(label, Counts()) + counted
        spans_a, spans_b = self._spans_a, self._spans_b
        relations_a, relations_b = self._relations_a, self._relations_b

        def plain(found: Counts, tp: int, a: int, b: int) -> Counts:
            return found + Counts(tp, b - tp, a - tp)

        return PairReport(
            annotators=self.names,
            tasks=TaskCounts(self.compared, self.only_a, self.only_b, self.mismatch),
            exact=plain(self.exact, self._exact_tp, spans_a, spans_b),
            overlap=plain(self.overlap, self._overlap_tp, spans_a, spans_b),
            boundary=plain(self.boundary, self._boundary_tp, spans_a, spans_b),
            per_label=dict(sorted(per_label.items())),
            tokens=TokenAgreement(
                tokens=t.items,
                observed=t.observed,
                cohen_kappa=t.cohen_kappa,
                krippendorff_alpha=t.krippendorff_alpha,
                tasks_left_out=self.left_out,
            ),
            relations_exact=plain(self.rel_exact, self._rel_exact_tp, relations_a, relations_b),
            relations_aligned=plain(self.rel_aligned, self._rel_aligned_tp, relations_a, relations_b),
            details=tuple(self.diffs),
            problems=tuple(self.problems),
            layers=dict(self.layers),
        )


def compare(a: Side, b: Side, names: tuple[str, str] = ("A", "B"), *, details: bool = False) -> PairReport:
    """Compare two annotators' versions, paired by input hash, with A as the reference."""
    tally = PairTally(names, details=details)
    for key, va in a.items():
        tally.add(key, va, b.get(key))
    for key, vb in b.items():
        if key not in a:
            tally.add(key, None, vb)
    return tally.report()


@dataclass(frozen=True, slots=True)
class FleissResult:
    kappa: float | None = None
    tasks: int = 0  # tasks every annotator accepted, with the same tokens
    tokens: int = 0
    tasks_left_out: int = 0  # tasks every annotator accepted, but with different tokens

    def as_dict(self) -> dict[str, Any]:
        return {
            "scheme": "IO",
            "fleiss_kappa": self.kappa,
            "tasks_compared": self.tasks,
            "tasks_left_out": self.tasks_left_out,
        }


class FleissOver:
    """Fleiss' kappa on IO token labels over the tasks every annotator accepted, task by task."""

    def __init__(self, coders: int) -> None:
        if coders < 2:
            raise ValueError("Fleiss' kappa needs at least two annotators")
        self.coders = coders
        self.tally = FleissTally()
        self.tasks = self.left_out = 0

    def add(self, versions: Sequence[Seen | None]) -> None:
        present = [v for v in versions if v is not None]
        if len(present) != self.coders or not all(_accepted(v) for v in present):
            return
        first = present[0]
        if any(v.text != first.text for v in present):
            return
        if not all(_same_tokens(first, v) for v in present):
            self.left_out += 1
            return
        offsets = _offsets(first)
        self.tasks += 1
        columns = [token_labels(offsets, [s for s in v.annotation.spans if s.layer == ENTS]) for v in present]
        for row in zip(*columns, strict=True):
            self.tally.add(row)

    def result(self) -> FleissResult:
        return FleissResult(self.tally.kappa, self.tasks, self.tally.items, self.left_out)


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Every pair of annotators (in the order given, the first of a pair as reference), and Fleiss'
    kappa over all of them when there are more than two."""

    annotators: tuple[str, ...]
    pairs: tuple[PairReport, ...]
    fleiss: FleissResult | None = None
    problems: tuple[str, ...] = field(default=())

    def as_dict(self, details: bool = False) -> dict[str, Any]:
        if len(self.pairs) == 1 and self.fleiss is None:
            return self.pairs[0].as_dict(details)
        return {
            "annotators": list(self.annotators),
            "pairs": [p.as_dict(details) for p in self.pairs],
            "tokens": self.fleiss.as_dict() if self.fleiss else None,
        }


# One task as the annotators compared have it: its key, and each one's version (None: not there).
TaskVersions = tuple[int, Sequence[Version | None]]


def by_task(
    rows: Iterable[tuple[int, Task, Annotation]], annotators: Sequence[str]
) -> Iterator[TaskVersions]:
    """Rows (task id, task, annotation) in task order, a task's rows together (as the store gives
    them), grouped into one item a task: each named annotator's version, or None. Rows of other
    annotators are passed over. Nothing is held but the task at hand."""
    column = {name: i for i, name in enumerate(annotators)}
    current: int | None = None
    versions: list[Version | None] = []
    for task_id, task, annotation in rows:
        i = column.get(annotation.annotator or "")
        if i is None:
            continue
        if task_id != current:
            if current is not None:
                yield current, versions
            current, versions = task_id, [None] * len(annotators)
        versions[i] = Version(task, annotation, f"task {task_id}")
    if current is not None:
        yield current, versions


class Comparison:
    """Every pair of two or more annotators compared task by task (each task once, the versions in
    the order of ``names``): nothing is kept but sums (and, for ``details``, the tasks that
    disagree), so memory does not grow with the number of tasks. Fleiss' kappa on tokens when
    there are more than two."""

    def __init__(self, names: Sequence[str], *, details: bool = False) -> None:
        if len(names) < 2:
            raise ValueError("agreement needs at least two annotators")
        self.names, self.details = tuple(names), details
        self.clear()

    def clear(self) -> None:
        """Back to no task compared."""
        names, details = self.names, self.details
        self.pairs = [
            (i, j, PairTally((names[i], names[j]), details=details))
            for i, j in itertools.combinations(range(len(names)), 2)
        ]
        self.fleiss = FleissOver(len(names)) if len(names) > 2 else None

    def add(self, key: int, versions: Sequence[Seen | None]) -> None:
        for i, j, tally in self.pairs:
            tally.add(key, versions[i], versions[j])
        if self.fleiss is not None:
            self.fleiss.add(versions)

    def order(self, rank: Callable[[Sequence[int]], Sequence[int]]) -> None:
        """Put the problems and disagreements found in the order of their tasks' ranks (``rank``
        gives each key's): every figure is a sum of integers, so two annotators' tasks may be
        added in any order and still give exactly the report of the tasks added in rank order."""
        for _, _, tally in self.pairs:
            tally.order(rank)

    def report(self) -> AgreementReport:
        reports = tuple(tally.report() for _, _, tally in self.pairs)
        problems = tuple(dict.fromkeys(p for pair in reports for p in pair.problems))
        fleiss = self.fleiss.result() if self.fleiss else None
        return AgreementReport(self.names, reports, fleiss, problems)


def compare_stream(
    names: Sequence[str], tasks: Iterable[TaskVersions], *, details: bool = False
) -> AgreementReport:
    """Compare every pair of two or more annotators, the versions coming task by task (see
    ``Comparison``)."""
    comparison = Comparison(names, details=details)
    for key, versions in tasks:
        comparison.add(key, versions)
    return comparison.report()


def compare_all(sides: Sequence[tuple[str, Side]], *, details: bool = False) -> AgreementReport:
    """Compare every pair of annotators whose versions are held in memory (keyed by input hash);
    tasks in the first side's order, then the ones only later sides have."""
    names = [name for name, _ in sides]
    if len(names) < 2:
        raise ValueError("agreement needs at least two annotators")
    keys = dict.fromkeys(key for _, side in sides for key in side)
    return compare_stream(
        names, ((key, [side.get(key) for _, side in sides]) for key in keys), details=details
    )
