"""Pure-Python rules of annotation: no textual, spacy, rich or sqlite3 (the ``core-pure`` import
contract in ``pyproject.toml`` and ``tests/core/test_core_imports.py`` check it)."""
