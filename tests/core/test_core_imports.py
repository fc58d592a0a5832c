"""Importing every module of ``annotator.core`` loads neither Textual nor spaCy (nor rich, sqlite3).

The import contracts in ``pyproject.toml`` read the source; this checks what Python really loads, in
a fresh interpreter (a test process has long since imported everything).
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

FORBIDDEN = ("textual", "spacy", "thinc", "rich", "sqlite3", "_sqlite3")

PROBE = """
import importlib, json, pkgutil, sys
import annotator.core
names = [m.name for m in pkgutil.walk_packages(annotator.core.__path__, "annotator.core.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""


def loaded_by(code: str) -> tuple[list[str], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    result = json.loads(done.stdout)
    return result["modules"], set(result["loaded"])


def test_core_loads_neither_textual_nor_spacy() -> None:
    modules, loaded = loaded_by(PROBE)
    assert "annotator.core.adjudication" in modules and "annotator.core.model" in modules
    assert not loaded & set(FORBIDDEN), f"annotator.core loaded {sorted(loaded & set(FORBIDDEN))}"


def test_the_probe_sees_a_forbidden_import() -> None:
    # the same probe run after importing the TUI must see textual: the check above can fail
    _, loaded = loaded_by("import annotator.tui.app\n" + PROBE)
    assert {"textual", "rich"} <= loaded
