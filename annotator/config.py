"""Which label scheme a command works with: entity labels from --labels, --config or the model, and
relation labels from the config or the default news scheme, picked by --relations."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Task
from annotator.core.scheme import (
    LabelScheme,
    parse_label_list,
    parse_label_map,
    parse_span_groups,
    scheme_from_dict,
    scheme_from_toml,
    scheme_to_dict,
)

# Keys 1..9 go to the labels most news annotation needs; a model's own order is alphabetical, which
# would put CARDINAL on key 1.
PREFERRED_ORDER: tuple[str, ...] = (
    "PERSON",
    "ORG",
    "GPE",
    "LOC",
    "NORP",
    "DATE",
    "EVENT",
    "FAC",
    "PRODUCT",
    "TIME",
    "MONEY",
    "PERCENT",
    "QUANTITY",
    "CARDINAL",
    "ORDINAL",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
)


def default_scheme_path() -> Path:
    from importlib.resources import files  # as tomllib below: not on the way of a start that needs neither

    return Path(str(files("annotator") / "data" / "news_scheme.toml"))


def order_model_labels(model_labels: Sequence[str]) -> list[str]:
    known = [label for label in PREFERRED_ORDER if label in model_labels]
    return known + [label for label in model_labels if label not in PREFERRED_ORDER]


def _read_toml(path: Path) -> dict[str, object]:
    # Imported here: annotate on a dataset that has its scheme reads no TOML, and its start is
    # measured against a bare Textual app's (issue 11).
    import tomllib

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise AnnotatorError(f"{path}: no such label scheme file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotatorError(f"{path}: cannot read the label scheme: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise AnnotatorError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib recurses into nested arrays and tables
        raise AnnotatorError(f"{path}: nested too deeply to be a label scheme") from exc


def resolve_scheme(
    labels: str | None,
    config: Path | None,
    relations: str | None,
    model_labels: Sequence[str],
    notes: list[str] | None = None,
    label_map: str | None = None,
    base: LabelScheme | None = None,
    span_groups: str | None = None,
) -> LabelScheme:
    """The scheme for a run: each part from the flags when given, else from ``base`` (the scheme
    stored with the dataset), else the defaults (the model's labels, the news relations).
    ``notes`` receives what the user should be told (labels the model does not predict, relation
    labels no rule proposes, relations no entity label can take part in).

    ``label_map`` (``PERSON=PER,GPE=LOC``) adds to, and overrides, the config's ``[label_map]``: the
    model's labels are seen through it everywhere, so without --labels the scheme is the mapped labels.

    ``span_groups`` (``sc:SKILL,TOOL;facts:CLAIM``) replaces the config's ``[span_groups.KEY]``
    tables, which replace the stored scheme's groups."""
    said: list[str] = notes if notes is not None else []
    configured: LabelScheme | None = None
    config_has_relations = False
    config_has_groups = False
    mapping: dict[str, str] = dict(base.label_map) if base is not None else {}
    if config is not None:
        data = _read_toml(config)
        configured = scheme_from_toml(config)
        config_has_relations = "relations" in data
        config_has_groups = "span_groups" in data
        mapping.update(configured.label_map)
    if label_map is not None:
        mapping.update(parse_label_map(label_map))
    unmapped = [label for label in mapping if model_labels and label not in model_labels]
    if unmapped:
        said.append(f"the label map names {', '.join(unmapped)}, which the model does not predict")
    model_labels = list(dict.fromkeys(mapping.get(label, label) for label in model_labels))

    if labels is not None:
        entity = tuple(parse_label_list(labels))
        if len(set(entity)) != len(entity):
            raise AnnotatorError(f"--labels names a label twice: {labels}")
        # A label keeps its colour (the config's, else the dataset's) when --labels reorders them.
        known = {**(base.colors if base else {}), **(configured.colors if configured else {})}
        colors = {k: v for k, v in known.items() if k in entity}
    elif configured is not None and configured.labels:
        entity, colors = configured.labels, dict(configured.colors)
    elif base is not None:
        entity, colors = base.labels, dict(base.colors)
    else:
        entity, colors = tuple(order_model_labels(model_labels)), {}
        if not entity:
            raise AnnotatorError(
                "the model predicts no entity labels; give them with --labels L1,L2 or --config FILE"
            )
    if model_labels and (labels is not None or configured is not None or base is not None):
        unknown = [label for label in entity if label not in model_labels]
        if unknown:
            said.append(f"the model does not predict {', '.join(unknown)}: those spans are added by hand")

    if configured is not None and config_has_relations:
        rel_types = configured.relations
    elif base is not None:
        rel_types = base.relations
    else:
        rel_types = scheme_from_dict(_read_toml(default_scheme_path()), str(default_scheme_path())).relations
    outside = sorted({target for target in mapping.values() if target not in entity})
    if outside:
        raise AnnotatorError(
            f"the label map maps onto {', '.join(outside)}, not among the entity labels "
            f"({', '.join(entity)}); add them with --labels or [labels]"
        )
    groups: dict[str, tuple[str, ...]] = {}
    if span_groups is not None:
        groups = parse_span_groups(span_groups)
    elif configured is not None and config_has_groups:
        groups = dict(configured.span_groups)
    elif base is not None:
        groups = dict(base.span_groups)
    # A group label keeps its colour (the config's, else the dataset's) like an entity label.
    known = {**(base.colors if base else {}), **(configured.colors if configured else {})}
    colors.update(
        {k: v for group in groups.values() for k in group if (v := known.get(k)) and k not in colors}
    )
    scheme = LabelScheme(entity, colors, rel_types, mapping, groups)
    if relations is not None:
        names = parse_label_list(relations, "--relations")
        if len(set(names)) != len(names):
            raise AnnotatorError(f"--relations names a label twice: {relations}")
        new = [n for n in names if scheme.relation(n) is None]
        if new:
            said.append(
                f"relation labels {', '.join(new)} are not in the scheme: they may link any two spans "
                "and no rule suggests them"
            )
        scheme = scheme.with_relations(names)
    every = set(scheme.all_labels)
    for rel in scheme.relations:
        heads_ok = not rel.heads or bool(rel.heads & every)
        children_ok = not rel.children or bool(rel.children & every)
        if not (heads_ok and children_ok):
            said.append(
                f"relation {rel.label} links {'/'.join(sorted(rel.heads)) or 'any'} to "
                f"{'/'.join(sorted(rel.children)) or 'any'}, which the entity labels do not include"
            )
    return scheme


class SchemeStore(Protocol):
    def scheme(self, dataset: str) -> LabelScheme | None: ...
    def save_scheme(self, dataset: str, scheme: LabelScheme) -> None: ...


def keep_scheme(
    store: SchemeStore, dataset: str, scheme: LabelScheme, stored: LabelScheme | None, notes: list[str]
) -> None:
    """Store the scheme a run settled on as the dataset's, so that later commands (another
    annotator's session, the review) get it without flags: the first time, and when flags changed
    it (which is said)."""
    if stored is not None and scheme_to_dict(stored) == scheme_to_dict(scheme):
        return
    store.save_scheme(dataset, scheme)
    if stored is not None:
        notes.append(
            f"the scheme of dataset {dataset!r} is now {describe_scheme(scheme)} (was "
            f"{describe_scheme(stored)}); later commands use it"
        )


def describe_scheme(scheme: LabelScheme) -> str:
    rels = ",".join(scheme.relation_labels) or "none"
    groups = "".join(f", span group {k} {','.join(v)}" for k, v in scheme.span_groups.items())
    return f"labels {','.join(scheme.labels)}{groups}, relations {rels}"


def scoring_scheme(
    pairs: Sequence[tuple[Task, Annotation]],
    labels: str | None,
    config: Path | None,
    label_map: str | None,
    model_labels: Sequence[str],
    notes: list[str],
) -> LabelScheme:
    """The labels scored: ``--labels``, else the config's, else those the annotations use."""
    if labels is None and config is None:
        used = {s.label for _, ann in pairs for s in ann.spans}
        if not used:
            raise AnnotatorError("the accepted tasks have no spans; give the labels with --labels")
        labels = ",".join(order_model_labels(sorted(used)))
    return resolve_scheme(labels, config, None, model_labels, notes, label_map)
