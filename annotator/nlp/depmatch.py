"""spaCy's DependencyMatcher, run so that only some tokens can fill the argument nodes, and fast.

A relation rule's head and child nodes can only ever be tokens of suggested spans (or tokens whose
conj/appos expansion reaches one): the "anchors". spaCy's DependencyMatcher finds every node's
candidates with a token Matcher over the whole Doc (a Python predicate call per token for each
``IN`` list, a walk up the tree for every candidate), which on a 500-token news article costs about
a tenth of the pipeline itself. Here the candidates of each node are found with array operations
over ``Doc.to_array`` and the anchor mask, and the pattern tree is searched node by node from its
root (each node's candidates are the operator's results from its already-placed LEFT_ID node, kept
to one sentence tree as spaCy keeps them) instead of trying every combination of candidates. The
operators are spaCy's own (``DependencyMatcher._resolve_node_operator``), so the matches are the
same.

Patterns whose token attributes the array path does not cover (REGEX, comparisons, flags, other
extension attributes) make the matcher use spaCy's own ``__call__`` with the anchor constraint
expressed as a token extension. tests/test_nlp_relations.py checks both paths give the same matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.matcher import DependencyMatcher
from spacy.parts_of_speech import IDS as POS_IDS
from spacy.strings import get_string_id
from spacy.tokens import Doc
from spacy.tokens import Token as SpacyToken
from spacy.vocab import Vocab

ARG_ATTR = "annotator_relation_arg"

# Token attributes compared by string id (or, for POS, by part-of-speech id) in a pattern.
_COLUMNS = {
    "ORTH": "ORTH",
    "TEXT": "ORTH",
    "LOWER": "LOWER",
    "NORM": "NORM",
    "LEMMA": "LEMMA",
    "TAG": "TAG",
    "DEP": "DEP",
    "POS": "POS",
    "ENT_TYPE": "ENT_TYPE",
    "SHAPE": "SHAPE",
    "PREFIX": "PREFIX",
    "SUFFIX": "SUFFIX",
}


def _is_arg(token: SpacyToken) -> bool:
    return token.i in token.doc.user_data.get(ARG_ATTR, ())


if not SpacyToken.has_extension(ARG_ATTR):
    SpacyToken.set_extension(ARG_ATTR, getter=_is_arg)


@dataclass(frozen=True, slots=True)
class _Test:
    column: str
    negate: bool
    values: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class _Node:
    tests: tuple[_Test, ...]
    arg: bool


def _value_id(column: str, value: str) -> int:
    if column == "POS" and value in POS_IDS:
        return int(POS_IDS[value])
    return int(get_string_id(value))


def _compile_node(attrs: Mapping[str, Any], arg: bool) -> _Node | None:
    """The array form of one node's RIGHT_ATTRS, or None when it uses anything else."""
    tests = []
    for name, value in attrs.items():
        column = _COLUMNS.get(name)
        if column is None:
            return None
        if isinstance(value, str):
            tests.append(_Test(column, False, (_value_id(column, value),)))
            continue
        if not isinstance(value, Mapping) or len(value) != 1:
            return None
        ((op, values),) = value.items()
        if op not in ("IN", "NOT_IN") or not isinstance(values, list):
            return None
        if not all(isinstance(v, str) for v in values):
            return None
        tests.append(_Test(column, op == "NOT_IN", tuple(_value_id(column, v) for v in values)))
    return _Node(tuple(tests), arg)


def with_arg_constraint(pattern: Sequence[Mapping[str, Any]], args: Iterable[str]) -> list[dict[str, Any]]:
    """The pattern with the anchor extension required on the named nodes (for spaCy's path)."""
    arg_ids = set(args)
    nodes = []
    for node in pattern:
        new = dict(node)
        if new.get("RIGHT_ID") in arg_ids:
            attrs = dict(new.get("RIGHT_ATTRS") or {})
            ext = attrs.get("_")
            attrs["_"] = {**(dict(ext) if isinstance(ext, Mapping) else {}), ARG_ATTR: True}
            new["RIGHT_ATTRS"] = attrs
        nodes.append(new)
    return nodes


class AnchoredMatcher:
    """Named single-pattern rules; ``__call__(doc, anchors)`` gives (name id, token ids) matches."""

    def __init__(self, vocab: Vocab) -> None:
        self.vocab = vocab
        self.matcher = DependencyMatcher(vocab, validate=True)
        # (name id, node numbers in self._nodes or None, (LEFT_ID index, REL_OP) of each node after
        # the root). Rules share nodes; numbering them lets a call cache each node's tokens in a list.
        self._rules: list[tuple[int, list[int] | None, list[tuple[int, str]]]] = []
        self._nodes: list[_Node] = []
        self._node_ids: dict[_Node, int] = {}
        # spaCy's operators are used directly on the array path; without them (another spaCy
        # version), everything goes through DependencyMatcher.__call__.
        self._internals = hasattr(self.matcher, "_resolve_node_operator")
        self._column_list: list[str] | None = None

    def add(self, name: str, pattern: Sequence[Mapping[str, Any]], args: Iterable[str]) -> None:
        """Add a rule; spaCy's validation errors (ValueError, MatchPatternError) pass through."""
        arg_ids = set(args)
        self.matcher.add(name, [with_arg_constraint(pattern, arg_ids)])
        nodes: list[int] | None = []
        for node in pattern:
            compiled = _compile_node(node.get("RIGHT_ATTRS") or {}, node.get("RIGHT_ID") in arg_ids)
            if compiled is None or nodes is None:
                nodes = None
                continue
            if compiled not in self._node_ids:
                self._node_ids[compiled] = len(self._nodes)
                self._nodes.append(compiled)
            nodes.append(self._node_ids[compiled])
        index = {node["RIGHT_ID"]: i for i, node in enumerate(pattern)}
        edges = [(index[node["LEFT_ID"]], str(node["REL_OP"])) for node in pattern[1:]]
        self._rules.append((int(self.vocab.strings.add(name)), nodes, edges))
        self._column_list = None

    @property
    def fast(self) -> bool:
        return self._internals and all(nodes is not None for _, nodes, _ in self._rules)

    def __call__(self, doc: Doc, anchors: frozenset[int]) -> list[tuple[int, list[int]]]:
        if not self._rules or not anchors:
            return []
        if not self.fast:
            doc.user_data[ARG_ATTR] = anchors
            try:
                return [(int(k), list(ids)) for k, ids in self.matcher(doc)]
            finally:
                del doc.user_data[ARG_ATTR]
        return self._array_matches(doc, anchors)

    def _array_matches(self, doc: Doc, anchors: frozenset[int]) -> list[tuple[int, list[int]]]:
        # Rules share most of their node tests (DEP == nsubj, LOWER in [in, at], ...), so each test
        # and each node is worked out once per Doc; on a short Doc these fixed costs dominate.
        n = len(doc)
        columns = self._columns()
        table = doc.to_array(list[int | str](columns)).reshape(n, len(columns)) if columns else None
        col = {c: table[:, i] for i, c in enumerate(columns)} if table is not None else {}
        arg_mask = np.zeros(n, dtype=bool)
        arg_mask[list(anchors)] = True
        # The sentence root of every token, as spaCy groups candidates (pointer jumping on heads).
        roots = np.arange(n, dtype=np.int64) + doc.to_array("HEAD").astype(np.int64)
        while True:
            up = roots[roots]
            if np.array_equal(up, roots):
                break
            roots = up
        root_of = roots.tolist()

        test_masks: dict[_Test, Any] = {}
        node_tokens: list[tuple[list[int], frozenset[int]] | None] = [None] * len(self._nodes)

        def tokens_of(number: int) -> tuple[list[int], frozenset[int]]:
            found = node_tokens[number]
            if found is None:
                node = self._nodes[number]
                mask = arg_mask if node.arg else None
                for t in node.tests:
                    hit = test_masks.get(t)
                    if hit is None:
                        hit = _hits(col[t.column], t.values)
                        if t.negate:
                            hit = ~hit
                        test_masks[t] = hit
                    mask = hit if mask is None else mask & hit
                positions = list(range(n)) if mask is None else np.flatnonzero(mask).tolist()
                found = (positions, frozenset(positions))
                node_tokens[number] = found
            return found

        resolve = self.matcher._resolve_node_operator  # type: ignore[attr-defined]
        cache: dict[Any, Any] = {}

        def related(tok: int, op: str) -> list[int]:
            return resolve(cache, doc, tok, op)  # type: ignore[no-any-return]

        out: list[tuple[int, list[int]]] = []
        for key, nodes, edges in self._rules:
            assert nodes is not None
            firsts = tokens_of(nodes[0])[0]
            if not firsts:
                continue
            sets = [tokens_of(node)[1] for node in nodes]
            if not all(sets):
                continue
            for first in firsts:
                for match in _search(first, sets, edges, root_of, related):
                    out.append((key, match))
        return out

    def _columns(self) -> list[str]:
        if self._column_list is None:
            self._column_list = sorted({t.column for node in self._nodes for t in node.tests})
        return self._column_list


def _hits(values: Any, wanted: tuple[int, ...]) -> Any:
    """Which of ``values`` (uint64 string ids) are among ``wanted``."""
    if len(wanted) == 1:
        return values == np.uint64(wanted[0])
    # np.isin costs tens of microseconds a call; a binary search in the sorted few is a few.
    table = np.array(sorted(wanted), dtype=np.uint64)
    at = np.searchsorted(table, values)
    np.minimum(at, len(table) - 1, out=at)
    return table[at] == values


def _search(
    first: int,
    cands: Sequence[frozenset[int]],
    edges: Sequence[tuple[int, str]],
    root_of: Sequence[int],
    related: Any,
) -> Iterable[list[int]]:
    """Every placement of the pattern's nodes with ``first`` as its root node: node j (j >= 1) is a
    token related to its LEFT_ID node by its REL_OP, among its candidates, in the same tree."""
    root = root_of[first]
    placed = [first]

    def place(j: int) -> Iterable[list[int]]:
        if j == len(cands):
            yield list(placed)
            return
        left, op = edges[j - 1]
        ok = cands[j]
        for tok in related(placed[left], op):
            if tok in ok and root_of[tok] == root:
                placed.append(tok)
                yield from place(j + 1)
                placed.pop()

    return place(1)
