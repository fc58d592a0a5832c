"""Fixtures of the TUI suite: the sample article pre-annotated by the real pipeline, prepared once
per test process and copied for each test that changes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui_support import copy_db, prepare_demo_db


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_demo_db(tmp_path_factory.mktemp("demo") / "template.db")


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    """A copy of the demo database of its own (dataset "demo", nothing annotated yet)."""
    return copy_db(demo_template, tmp_path / "annotator.db")
