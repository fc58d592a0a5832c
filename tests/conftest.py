"""Shared by every test folder: where the files written by other tools live.

Every file a test reads is in this repository. ``tests/fixtures/`` holds real files written by
Prodigy, doccano, brat, Label Studio and two annotation projects with published agreement figures,
copied with their licences; ``tests/fixtures/README.md`` gives each one's origin and licence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"  # files made for these tests (the sample's gold)
SAMPLE = REPO / "annotator" / "data" / "defense-ministers-seoul.txt"  # the article the package ships


@pytest.fixture(autouse=True, scope="session")
def _no_user_keymap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The screens read the user's keys from $XDG_CONFIG_HOME/annotator/keys.toml: point it at an
    empty folder, so that no test depends on the keys of whoever runs it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
        yield


# A real PostgreSQL server for the store tests (started on first use; see pg_server.py).
from tests.pg_server import db_target, pg_url, postgres  # noqa: E402, F401
