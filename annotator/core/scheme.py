"""Label schemes: entity labels in key order with a colour each, and relation labels with the
entity labels they allow as head and child (like brat's ``Arg1:``/``Arg2:`` constraints)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError
from annotator.core.model import ENTS

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
    # Span groups (spaCy's ``doc.spans[key]``): key -> its labels in key order. Their spans may
    # overlap and nest; the entity layer's (``labels``) never do.
    span_groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(set(self.labels)) != len(self.labels):
            raise AnnotatorError(f"entity labels repeat: {', '.join(self.labels)}")
        names = [r.label for r in self.relations]
        if len(set(names)) != len(names):
            raise AnnotatorError(f"relation labels repeat: {', '.join(names)}")
        for key, group in self.span_groups.items():
            if key == ENTS:
                raise AnnotatorError(f"{ENTS!r} names the entity layer; a span group needs another key")
            if len(set(group)) != len(group):
                raise AnnotatorError(f"labels of span group {key} repeat: {', '.join(group)}")

    @property
    def relation_labels(self) -> tuple[str, ...]:
        return tuple(r.label for r in self.relations)

    @property
    def layers(self) -> tuple[str, ...]:
        """The entity layer, then the span groups in the order they were given (``g`` cycles)."""
        return (ENTS, *self.span_groups)

    def layer_labels(self, layer: str) -> tuple[str, ...]:
        """The labels of one layer, in key order (none for a layer the scheme lacks)."""
        return self.labels if layer == ENTS else tuple(self.span_groups.get(layer, ()))

    @property
    def all_labels(self) -> tuple[str, ...]:
        """Every label of every layer, each once, entity labels first."""
        out = dict.fromkeys(self.labels)
        for group in self.span_groups.values():
            out.update(dict.fromkeys(group))
        return tuple(out)

    def color(self, label: str) -> str:
        if label in self.colors:
            return self.colors[label]
        every = self.all_labels
        if label in every:
            return PALETTE[every.index(label) % len(PALETTE)]
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

    def suggested_label(self, model_label: str, layer: str = ENTS) -> str | None:
        """The scheme's label for a span the model labelled ``model_label`` on ``layer``; None when
        the scheme has no place for it there (the suggestion is dropped)."""
        label = self.label_map.get(model_label, model_label)
        return label if label in self.layer_labels(layer) else None

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
    out: dict[str, Any] = {
        "labels": {label: scheme.color(label) for label in scheme.labels},
        "relations": {
            r.label: {"head": sorted(r.heads), "child": sorted(r.children), "color": r.color}
            for r in scheme.relations
        },
        "label_map": dict(scheme.label_map),
    }
    # Only when there are groups: a scheme without any is stored as before they existed, so that
    # comparing it with one stored then finds no change.
    if scheme.span_groups:
        out["span_groups"] = {
            key: {label: scheme.color(label) for label in group} for key, group in scheme.span_groups.items()
        }
    return out


LABEL_RULE = "a label is one word: no spaces, control characters, ',', ';' or '='"


def check_label_name(name: str, where: str) -> str:
    """``name`` if it can be a label of a scheme, else an AnnotatorError saying the rule. Labels are
    typed as keys of comma-separated lists and TOML tables and shown beside spans, so a name with
    a space or a separator is almost always a typing slip (``PERSON;ORG``, ``PERSON=#fff``)."""
    bad = next(
        (
            ch
            for ch in name
            if ch.isspace() or ch in ",;=" or unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn")
        ),
        None,
    )
    if not name or bad is not None:
        what = "is empty" if not name else f"holds {_char_name(bad or '')}"
        hint = "; colours go in a --config file" if bad == "=" else ""
        raise AnnotatorError(f"{where}: {name!r} {what}: {LABEL_RULE}{hint}")
    return name


def _char_name(ch: str) -> str:
    if ch in ",;=":
        return repr(ch)
    if ch == " ":
        return "a space"
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'a control character').lower()})"


def parse_label_list(value: str, option: str = "--labels") -> list[str]:
    """``PERSON, ORG,GPE`` -> the labels in order; spaces around a name are dropped, an empty
    name (two commas, a comma at an end) is refused as a leftover of an edit."""
    parts = [part.strip() for part in value.split(",")]
    if not any(parts):
        raise AnnotatorError(
            f"{option}: no labels in {value!r}; give them comma-separated, e.g. PERSON,ORG,GPE"
        )
    if not all(parts):
        raise AnnotatorError(
            f"{option} {value!r}: an empty name between commas (or a comma at an end); "
            "give the labels comma-separated, e.g. PERSON,ORG,GPE"
        )
    return [check_label_name(part, option) for part in parts]


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


def parse_span_groups(value: str, option: str = "--span-groups") -> dict[str, tuple[str, ...]]:
    """``sc:SKILL,TOOL;facts:CLAIM`` -> {"sc": ("SKILL", "TOOL"), "facts": ("CLAIM",)}: span group
    keys with their labels in key order."""
    out: dict[str, tuple[str, ...]] = {}
    for part in value.split(";"):
        if not part.strip():
            continue
        key, sep, labels = (x.strip() for x in part.partition(":"))
        if not sep:
            raise AnnotatorError(
                f"{option}: {part.strip()!r} is not KEY:LABEL,LABEL; e.g. sc:SKILL,TOOL (groups apart by ';')"
            )
        check_group_key(key, option)
        if key in out:
            raise AnnotatorError(f"{option}: span group {key} is given twice")
        names = parse_label_list(labels, f"{option} {key}")
        if len(set(names)) != len(names):
            raise AnnotatorError(f"{option}: span group {key} names a label twice: {labels}")
        out[key] = tuple(names)
    if not out:
        raise AnnotatorError(f"{option}: no span groups in {value!r}; give them as sc:SKILL,TOOL")
    return out


def check_group_key(key: str, where: str) -> str:
    """A span group's key follows the label rule (it is typed, shown and written as spaCy's
    ``doc.spans`` key), and ``ents`` is the entity layer."""
    check_label_name(key, f"{where}: span group key")
    if key == ENTS:
        raise AnnotatorError(
            f"{where}: {ENTS!r} is the entity layer; a span group needs another key, e.g. sc"
        )
    return key


# [keys] remaps the keys of the screens: the TUI reads it (annotator.tui.user_keymap), the scheme does not.
SECTIONS = ("labels", "relations", "label_map", "span_groups", "keys")
SECTION_NAMES = ("[labels]", "[relations.NAME]", "[label_map]", "[span_groups.KEY]", "[keys]")
RELATION_KEYS = ("head", "child", "color")
_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def parse_color(value: Any, where: str) -> str:
    """A colour as ``#rrggbb``: what every part of the screen draws (``#rgb`` is widened). Checked
    when the scheme is read, so that a mistyped colour is an error naming it, not a crash of the
    screen."""
    if not isinstance(value, str) or _HEX.fullmatch(value) is None:
        raise AnnotatorError(f'{where}: {value!r} is not a colour; write it as "#rrggbb", e.g. "#e6b422"')
    text = str(value)
    return "#" + "".join(ch * 2 for ch in text[1:]) if len(text) == 4 else text


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

    [span_groups.sc]    # optional: a span group (doc.spans["sc"]) and its labels, in key order
    SKILL = "#4ccfc4"
    """
    import tomllib  # a scheme file only: annotate on a dataset that has its scheme reads none

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
    """``written``: the scheme was written by a person, so a label name against LABEL_RULE or a
    relation naming an entity label that [labels] lacks is a mistake to refuse. A scheme stored
    with a dataset may hold both on purpose: relations whose labels --labels narrowed (which was
    said), and labels of imported work that a review added."""

    def label_name(value: object, section: str) -> str:
        return check_label_name(str(value), f"{where}: {section}") if written else str(value)

    unknown_sections = [str(k) for k in data if k not in SECTIONS]
    if unknown_sections:
        first = unknown_sections[0]
        close = difflib.get_close_matches(first, SECTIONS, n=1)
        raise AnnotatorError(
            f"{where}: unknown section [{first}]"
            + (f" (did you mean [{close[0]}]?)" if close else "")
            + f"; the sections are {', '.join(SECTION_NAMES)}"
        )
    labels_raw = data.get("labels", {})
    if isinstance(labels_raw, list):
        names = [str(label) for label in labels_raw]
        if len(set(names)) != len(names):  # a dict would drop them silently and shift the keys
            raise AnnotatorError(f"{where}: entity labels repeat: {', '.join(names)}")
        labels_raw = dict.fromkeys(names)
    if not isinstance(labels_raw, Mapping):
        raise AnnotatorError(f'{where}: [labels] must be a table of LABEL = "#colour"')
    labels = tuple(label_name(k, "[labels]") for k in labels_raw)
    colors = {
        str(k): parse_color(v, f"{where}: [labels] {k}")
        for k, v in labels_raw.items()
        if v is not None and v != ""
    }
    span_groups: dict[str, tuple[str, ...]] = {}
    groups_raw = data.get("span_groups", {})
    if not isinstance(groups_raw, Mapping):
        raise AnnotatorError(f'{where}: [span_groups.KEY] must be tables of LABEL = "#colour"')
    for raw_key, spec in groups_raw.items():
        key = check_group_key(str(raw_key), where) if written else str(raw_key)
        if isinstance(spec, list):
            spec = dict.fromkeys(str(x) for x in spec)
        if not isinstance(spec, Mapping):
            raise AnnotatorError(f'{where}: [span_groups.{key}] must be a table of LABEL = "#colour"')
        span_groups[key] = tuple(label_name(k, f"[span_groups.{key}]") for k in spec)
        for k, v in spec.items():
            if v is not None and v != "" and str(k) not in colors:
                colors[str(k)] = parse_color(v, f"{where}: [span_groups.{key}] {k}")
    rels_raw = data.get("relations", {})
    if not isinstance(rels_raw, Mapping):
        raise AnnotatorError(f"{where}: [relations] must be a table of tables")
    relations = []
    for i, (raw_name, spec) in enumerate(rels_raw.items()):
        name = label_name(raw_name, "[relations]")
        if not isinstance(spec, Mapping):
            raise AnnotatorError(
                f"{where}: relation {name} must be a table [relations.{name}] with head, child and color"
            )
        extra = [str(k) for k in spec if k not in RELATION_KEYS]
        if extra:
            raise AnnotatorError(
                f"{where}: [relations.{name}] has an unknown key {extra[0]!r}; the keys are "
                f"{', '.join(RELATION_KEYS)}"
            )
        heads = _label_set(spec.get("head", []), f"{where}: relation {name} head")
        children = _label_set(spec.get("child", []), f"{where}: relation {name} child")
        every = set(labels).union(*span_groups.values())
        unknown = (heads | children) - every if labels and written else set()
        if unknown:
            raise AnnotatorError(
                f"{where}: relation {name} names entity labels not in [labels]: {', '.join(sorted(unknown))}"
            )
        color = parse_color(
            spec.get("color", PALETTE[(i + 3) % len(PALETTE)]), f"{where}: [relations.{name}] color"
        )
        relations.append(RelationType(name, heads, children, color))
    label_map = label_map_from_dict(data.get("label_map", {}), where)
    return LabelScheme(labels, colors, tuple(relations), label_map, span_groups)
