"""Relation suggestions: rules over the dependency parse, and a pipeline's own predictions.

Rules live in a data file users edit (``annotator/data/relation_rules.toml``; ``--relation-rules``
replaces it). Each rule is a spaCy ``DependencyMatcher`` pattern that names the relation label it
proposes and the pattern nodes that are its head and child. A matched token stands for the entity
span that contains it; tokens outside every span propose nothing, so rules only ever link spans
that are already suggested. Rules are written against the parse, not against entity labels: the
scheme's head/child constraints decide which spans may take part.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from spacy.tokens import Doc
from spacy.tokens import Token as SpacyToken
from spacy.vocab import Vocab

from annotator.core.errors import AnnotatorError
from annotator.core.links import Link, relations
from annotator.core.model import Relation, Span
from annotator.core.scheme import LabelScheme
from annotator.nlp.depmatch import AnchoredMatcher

DEFAULT_THRESHOLD = 0.5
# How far a matched argument is followed along conjunctions and appositions ("Nakatani and Ahn",
# "the minister, Nakatani"): far enough for "X and his counterpart Y", short enough to stay local.
_EXPAND_DEPTH = 3
_EXPANDABLE = frozenset({"conj", "appos"})


@dataclass(frozen=True, slots=True)
class RelationRule:
    name: str
    label: str
    head: str  # RIGHT_ID of the pattern node that stands for the head span
    child: str
    pattern: tuple[Mapping[str, Any], ...]
    # Dependency labels along which the head and child are extended to coordinated and apposed
    # tokens, so that one rule covers "X met Y" and "X and Z met Y".
    expand: frozenset[str] = _EXPANDABLE
    description: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    rules: tuple[RelationRule, ...]
    # Labels whose direction means nothing (MET): the head is the span that comes first.
    symmetric: frozenset[str] = frozenset()
    source: str = ""


def default_rules_path() -> Path:
    return Path(str(files("annotator") / "data" / "relation_rules.toml"))


def _read_rules_file(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise AnnotatorError(f"{path}: no such relation rules file") from exc
    except OSError as exc:
        raise AnnotatorError(f"{path}: cannot read the relation rules: {exc}") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise AnnotatorError(f"{path}: the relation rules are not UTF-8 text: {exc}") from exc
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise AnnotatorError(f"{path}: not valid JSON: {exc}") from exc
        except RecursionError as exc:  # the decoder recurses into nested arrays and objects
            raise AnnotatorError(f"{path}: nested too deeply to be relation rules") from exc
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise AnnotatorError(f"{path}: not valid TOML: {exc}") from exc
        except RecursionError as exc:
            raise AnnotatorError(f"{path}: nested too deeply to be relation rules") from exc
    raise AnnotatorError(f"{path}: relation rules must be a .toml or .json file")


def _pattern_error(exc: Exception) -> str:
    # spaCy names the rule by its hash on the first line; the details follow.
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    if len(lines) > 1 and "matcher rule" in lines[0]:
        lines = lines[1:]
    return "; ".join(lines) or type(exc).__name__


def _parse_rule(raw: Any, index: int, where: str) -> RelationRule:
    if not isinstance(raw, Mapping):
        raise AnnotatorError(f"{where}: rule {index} is not a table")
    name = raw.get("name")
    if not isinstance(name, str) or not name:
        raise AnnotatorError(f"{where}: rule {index} has no 'name'")
    what = f"{where}: rule {name!r}"
    fields: dict[str, str] = {}
    for key in ("label", "head", "child"):
        value = raw.get(key)
        if not isinstance(value, str) or not value:
            raise AnnotatorError(f"{what} needs a '{key}' string")
        fields[key] = value
    pattern = raw.get("pattern")
    if not isinstance(pattern, list) or not pattern or not all(isinstance(n, Mapping) for n in pattern):
        raise AnnotatorError(f"{what} needs a 'pattern': a list of DependencyMatcher nodes")
    for i, node in enumerate(pattern):
        if not isinstance(node.get("RIGHT_ATTRS", {}), Mapping):
            raise AnnotatorError(f"{what}: pattern node {i + 1} has RIGHT_ATTRS that is not a table")
    ids = [n.get("RIGHT_ID") for n in pattern]
    for key in ("head", "child"):
        if fields[key] not in ids:
            raise AnnotatorError(
                f"{what}: its {key} {fields[key]!r} is not a RIGHT_ID of its pattern "
                f"({', '.join(str(i) for i in ids)})"
            )
    if fields["head"] == fields["child"]:
        raise AnnotatorError(f"{what}: head and child are the same node {fields['head']!r}")
    expand_raw = raw.get("expand", sorted(_EXPANDABLE))
    if not isinstance(expand_raw, list) or not all(isinstance(x, str) for x in expand_raw):
        raise AnnotatorError(f"{what}: 'expand' must be a list of dependency labels, e.g. [\"conj\"]")
    description = raw.get("description", "")
    return RelationRule(
        name=name,
        label=fields["label"],
        head=fields["head"],
        child=fields["child"],
        pattern=tuple(dict(n) for n in pattern),
        expand=frozenset(expand_raw),
        description=description if isinstance(description, str) else "",
    )


def load_rules(path: Path | None = None, vocab: Vocab | None = None) -> RuleSet:
    """Read and check a rules file (default: the one shipped with the package).

    With a ``vocab`` every pattern is also compiled, so a bad pattern fails here, naming its rule."""
    path = path or default_rules_path()
    where = str(path)
    data = _read_rules_file(path)
    if not isinstance(data, Mapping):
        raise AnnotatorError(f"{where}: expected a table with a list of [[rule]] entries")
    raw_rules = data.get("rule", data.get("rules"))
    if not isinstance(raw_rules, list) or not raw_rules:
        raise AnnotatorError(
            f"{where}: no rules; write them as [[rule]] tables (TOML) or a 'rules' list (JSON)"
        )
    rules = [_parse_rule(raw, i + 1, where) for i, raw in enumerate(raw_rules)]
    seen: set[str] = set()
    for rule in rules:
        if rule.name in seen:
            raise AnnotatorError(f"{where}: rule name {rule.name!r} is used twice")
        seen.add(rule.name)
    symmetric = data.get("symmetric", [])
    if not isinstance(symmetric, list) or not all(isinstance(x, str) for x in symmetric):
        raise AnnotatorError(f"{where}: 'symmetric' must be a list of relation labels")
    ruleset = RuleSet(tuple(rules), frozenset(symmetric), where)
    if vocab is not None:
        _compile(ruleset, vocab, ruleset.rules)
    return ruleset


def _compile(ruleset: RuleSet, vocab: Vocab, rules: Iterable[RelationRule]) -> AnchoredMatcher:
    matcher = AnchoredMatcher(vocab)
    for rule in rules:
        try:
            matcher.add(rule.name, rule.pattern, (rule.head, rule.child))
        except Exception as exc:  # spaCy raises ValueError, KeyError or MatchPatternError
            raise AnnotatorError(
                f"{ruleset.source}: rule {rule.name!r} has an invalid pattern: {_pattern_error(exc)}"
            ) from exc
    return matcher


def _expand(token: SpacyToken, deps: frozenset[str]) -> list[int]:
    found = [token.i]
    if not deps:
        return found
    frontier = [token]
    for _ in range(_EXPAND_DEPTH):
        nxt = [child for tok in frontier for child in tok.children if child.dep_ in deps]
        found.extend(t.i for t in nxt)
        frontier = nxt
        if not frontier:
            break
    return found


class RelationSuggester:
    """Proposes relations between the suggested spans of a parsed Doc.

    ``rules`` None means the shipped rules file. Rules whose label is not in the scheme are left
    out. ``model_source`` names the pipeline on relations it predicts through ``doc._.rel``."""

    def __init__(
        self,
        vocab: Vocab,
        scheme: LabelScheme,
        rules: RuleSet | None = None,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        model_source: str = "model",
    ) -> None:
        self.scheme = scheme
        self.ruleset = rules if rules is not None else load_rules(None)
        self.threshold = threshold
        self.model_source = model_source
        wanted = set(scheme.relation_labels)
        self.rules = {r.name: r for r in self.ruleset.rules if r.label in wanted}
        self._matcher = _compile(self.ruleset, vocab, self.rules.values())
        self._rule_by_key = {vocab.strings.add(name): rule for name, rule in self.rules.items()}
        self._expand_deps = frozenset().union(*(r.expand for r in self.rules.values()))

    @classmethod
    def from_file(
        cls, vocab: Vocab, scheme: LabelScheme, path: Path | None, **kwargs: Any
    ) -> RelationSuggester:
        return cls(vocab, scheme, load_rules(path, vocab), **kwargs)

    def __call__(self, doc: Doc, spans: Sequence[Span]) -> list[Relation]:
        if len(spans) < 2 or not self.scheme.relations:
            return []
        by_token: dict[int, Span] = {}
        for span in spans:
            for i in range(span.token_start, span.token_end + 1):
                by_token[i] = span
        out: dict[tuple[int, int, str], Relation] = {}
        for rel in self._from_pipeline(doc, spans):
            out.setdefault(rel.key, rel)
        if self.rules:
            for rel in self._from_rules(doc, by_token):
                out.setdefault(rel.key, rel)
        return list(out.values())

    def _anchors(self, doc: Doc, by_token: Mapping[int, Span]) -> frozenset[int]:
        """Tokens in spans, and the tokens whose conj/appos expansion reaches one."""
        deps = self._expand_deps
        found = set(by_token)
        if deps:
            for i in by_token:
                tok = doc[i]
                for _ in range(_EXPAND_DEPTH):
                    if tok.dep_ not in deps or tok.head.i == tok.i:
                        break
                    tok = tok.head
                    found.add(tok.i)
        return frozenset(found)

    def _allowed(self, label: str, head: Span, child: Span) -> bool:
        return head.sid != child.sid and self.scheme.relation_error(label, head.label, child.label) is None

    def _from_rules(self, doc: Doc, by_token: Mapping[int, Span]) -> Iterable[Relation]:
        spans = list({s.sid: s for s in by_token.values()}.values())
        return relations(spans, self._links(doc, self._anchors(doc, by_token)), self.scheme)

    def links(self, doc: Doc) -> tuple[Link, ...]:
        """Every rule match on the parse with any token as an argument, whichever spans there are:
        kept with the task, so that spans the annotator relabels, resizes or adds later get the
        relations the rules see for them (core/links.py)."""
        if not self.rules or not len(doc):
            return ()
        return self._links(doc, frozenset(range(len(doc))))

    def _links(self, doc: Doc, anchors: frozenset[int]) -> tuple[Link, ...]:
        symmetric = self.ruleset.symmetric
        out: dict[tuple[tuple[int, ...], tuple[int, ...], str], Link] = {}
        for match_id, token_ids in self._matcher(doc, anchors):
            rule = self._rule_by_key[match_id]
            nodes = {node["RIGHT_ID"]: token_ids[i] for i, node in enumerate(rule.pattern)}
            heads = tuple(sorted(set(_expand(doc[nodes[rule.head]], rule.expand))))
            children = tuple(sorted(set(_expand(doc[nodes[rule.child]], rule.expand))))
            key = (heads, children, rule.label)
            if key not in out:
                out[key] = Link(heads, children, rule.label, f"rule:{rule.name}", rule.label in symmetric)
        return tuple(out.values())

    def _from_pipeline(self, doc: Doc, spans: Sequence[Span]) -> Iterable[Relation]:
        # spaCy's rel_component tutorial: doc._.rel[(head_start, child_start)] = {label: score}.
        if not Doc.has_extension("rel"):
            return
        predicted = doc._.rel
        if not isinstance(predicted, Mapping) or not predicted:
            return
        by_start = {s.token_start: s for s in spans}
        for key, scores in predicted.items():
            if not isinstance(key, tuple | list) or len(key) != 2 or not isinstance(scores, Mapping):
                continue
            head, child = by_start.get(key[0]), by_start.get(key[1])
            if head is None or child is None:
                continue
            for label, score in scores.items():
                if (
                    isinstance(score, int | float)
                    and score >= self.threshold
                    and self._allowed(label, head, child)
                ):
                    yield Relation(head.sid, child.sid, label, self.model_source)
