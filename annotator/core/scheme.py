"""Label schemes: entity labels in key order with a colour each, and relation labels with the
entity labels they allow as head and child (like brat's ``Arg1:``/``Arg2:`` constraints)."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError

# Distinct on dark and light terminals; label N gets colour N, cycling past the end.
PALETTE: tuple[str, ...] = (
    "#e6b422",
    "#4aa3df",
    "#e0686b",
    "#6cc070",
    "#b48ee0",
    "#f08c3a",
    "#4ccfc4",
    "#e07ac0",
    "#a8a8a8",
    "#c9d14f",
)


@dataclass(frozen=True, slots=True)
class RelationType:
    label: str
    heads: frozenset[str] = frozenset()  # empty: any entity label
    children: frozenset[str] = frozenset()
    color: str = "#cccccc"


@dataclass(frozen=True)
class LabelScheme:
    labels: tuple[str, ...]
    colors: Mapping[str, str] = field(default_factory=dict)
    relations: tuple[RelationType, ...] = ()
    # The model's label -> the scheme's label (PERSON -> PER), applied wherever suggestions are made.
    label_map: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.labels)) != len(self.labels):
            raise AnnotatorError(f"entity labels repeat: {', '.join(self.labels)}")
        names = [r.label for r in self.relations]
        if len(set(names)) != len(names):
            raise AnnotatorError(f"relation labels repeat: {', '.join(names)}")

    @property
    def relation_labels(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.relations)

    def color(self, label: str) -> str:
        if label in self.colors:
            return self.colors[label]
        if label in self.labels:
            return PALETTE[self.labels.index(label) % len(PALETTE)]
        return "#888888"

    def relation(self, label: str) -> RelationType | None:
        for rel in self.relations:
            if rel.label == label:
                return rel
        return None

    def relation_error(self, label: str, head_label: str, child_label: str) -> str | None:
        """Why a relation is not allowed here, or None when it is."""
        rel = self.relation(label)
        if rel is None:
            return f"{label} is not a relation label of this scheme"
        if rel.heads and head_label not in rel.heads:
            return f"{label} needs a head labelled {' or '.join(sorted(rel.heads))}, not {head_label}"
        if rel.children and child_label not in rel.children:
            return f"{label} needs a child labelled {' or '.join(sorted(rel.children))}, not {child_label}"
        return None

    def suggested_label(self, model_label: str) -> str | None:
        """The scheme's label for a span the model labelled ``model_label``; None when the scheme
        has no place for it (the suggestion is dropped)."""
        label = self.label_map.get(model_label, model_label)
        return label if label in self.labels else None

    def keep_labels(self, labels: Iterable[str]) -> list[str]:
        return [label for label in labels if label in self.labels]

    def with_relations(self, names: Sequence[str]) -> LabelScheme:
        """This scheme with only the named relation labels, in the given order.

        Labels the scheme does not know are allowed between any entity labels."""
        known = {r.label: r for r in self.relations}
        picked = tuple(
            known.get(n, RelationType(n, color=PALETTE[i % len(PALETTE)])) for i, n in enumerate(names)
        )
        return replace(self, relations=picked)


def scheme_to_dict(scheme: LabelScheme) -> dict[str, Any]:
    """The scheme in the shape of a scheme file (``scheme_from_dict`` reads it back), with every
    colour written out: how it is stored with a dataset, so that the colours stay when a later
    run reorders the labels."""
    return {
        "labels": {label: scheme.color(label) for label in scheme.labels},
        "relations": {
            r.label: {"head": sorted(r.heads), "child": sorted(r.children), "color": r.color}
            for r in scheme.relations
        },
        "label_map": dict(scheme.label_map),
    }


def parse_label_list(value: str) -> list[str]:
    labels = [part.strip() for part in value.split(",") if part.strip()]
    if not labels:
        raise AnnotatorError(f"no labels in {value!r}; give them comma-separated, e.g. PERSON,ORG,GPE")
    return labels


def parse_label_map(value: str, where: str = "--label-map") -> dict[str, str]:
    """``PERSON=PER,GPE=LOC`` -> {"PERSON": "PER", "GPE": "LOC"}: model label to scheme label."""
    out: dict[str, str] = {}
    for part in value.split(","):
        if not part.strip():
            continue
        model, sep, ours = (x.strip() for x in part.partition("="))
        if not sep or not model or not ours:
            raise AnnotatorError(
                f"{where}: {part.strip()!r} is not MODEL_LABEL=SCHEME_LABEL, e.g. PERSON=PER"
            )
        if model in out and out[model] != ours:
            raise AnnotatorError(f"{where}: {model} is mapped twice ({out[model]} and {ours})")
        out[model] = ours
    if not out:
        raise AnnotatorError(f"{where}: no mappings in {value!r}; give them as PERSON=PER,GPE=LOC")
    return out


def label_map_from_dict(raw: Any, where: str) -> dict[str, str]:
    """A config's ``[label_map]`` table: MODEL_LABEL = "SCHEME_LABEL"."""
    if not isinstance(raw, Mapping) or not all(isinstance(v, str) and v for v in raw.values()):
        raise AnnotatorError(f'{where}: [label_map] must be a table of MODEL_LABEL = "SCHEME_LABEL"')
    return {str(k): str(v) for k, v in raw.items()}


def scheme_from_toml(path: Path) -> LabelScheme:
    """Read a scheme file::

    [labels]            # key order is the key number: PERSON is 1
    PERSON = "#e6b422"
    ORG = "#4aa3df"

    [relations.MET]     # relations also in key order
    head = ["PERSON"]
    child = ["PERSON"]
    color = "#ff8800"   # optional

    [label_map]         # optional: the model's labels onto the scheme's
    PERSON = "PER"
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotatorError(f"{path}: cannot read the label scheme: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AnnotatorError(f"{path}: not valid TOML: {exc}") from exc
    return scheme_from_dict(data, str(path))


def _label_set(value: Any, what: str) -> frozenset[str]:
    # A single label written without brackets is meant as a list of one, not as its letters.
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise AnnotatorError(f'{what} must be a list of entity labels, e.g. ["PERSON", "ORG"]')
    return frozenset(value)


def scheme_from_dict(data: Mapping[str, Any], where: str = "scheme", *, written: bool = True) -> LabelScheme:
    """``written``: the scheme was written by a person, so a relation naming an entity label that
    [labels] lacks is a mistake to refuse; a scheme stored with a dataset may hold such relations
    on purpose (--labels narrowed the labels of the default relations, which was said)."""
    labels_raw = data.get("labels", {})
    if isinstance(labels_raw, list):
        names = [str(label) for label in labels_raw]
        if len(set(names)) != len(names):  # a dict would drop them silently and shift the keys
            raise AnnotatorError(f"{where}: entity labels repeat: {', '.join(names)}")
        labels_raw = dict.fromkeys(names)
    if not isinstance(labels_raw, Mapping):
        raise AnnotatorError(f'{where}: [labels] must be a table of LABEL = "#colour"')
    labels = tuple(str(k) for k in labels_raw)
    bad = [str(k) for k, v in labels_raw.items() if v and not isinstance(v, str)]
    if bad:
        raise AnnotatorError(f'{where}: the colour of {bad[0]} must be a string such as "#e6b422"')
    colors = {str(k): str(v) for k, v in labels_raw.items() if v}
    rels_raw = data.get("relations", {})
    if not isinstance(rels_raw, Mapping):
        raise AnnotatorError(f"{where}: [relations] must be a table of tables")
    relations = []
    for i, (name, spec) in enumerate(rels_raw.items()):
        spec = spec if isinstance(spec, Mapping) else {}
        heads = _label_set(spec.get("head", []), f"{where}: relation {name} head")
        children = _label_set(spec.get("child", []), f"{where}: relation {name} child")
        unknown = (heads | children) - set(labels) if labels and written else set()
        if unknown:
            raise AnnotatorError(
                f"{where}: relation {name} names entity labels not in [labels]: {', '.join(sorted(unknown))}"
            )
        color = str(spec.get("color", PALETTE[(i + 3) % len(PALETTE)]))
        relations.append(RelationType(str(name), heads, children, color))
    label_map = label_map_from_dict(data.get("label_map", {}), where)
    return LabelScheme(labels, colors, tuple(relations), label_map)
