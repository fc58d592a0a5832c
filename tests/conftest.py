"""Shared by every test folder: where the files written by other tools live, and the fixtures more
than one suite uses (the real pipeline and its scheme, a working folder for commands). Each folder's
own ``conftest.py`` holds what only its suite shares (``tests/tui/conftest.py``: the demo database).

Every file a test reads is in this repository. ``tests/fixtures/`` holds real files written by
Prodigy, doccano, brat, Label Studio and two annotation projects with published agreement figures,
copied with their licences; ``tests/fixtures/README.md`` gives each one's origin and licence.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings

# Property tests have no time limit and no "too slow" check: the suite runs on two cores shared with
# builds and benchmarks, where a draw's time says nothing about the code (a test's own settings still
# set how many examples it tries).
settings.register_profile("shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-machine")

if TYPE_CHECKING:  # spaCy takes a second to import: only the tests that use the model pay for it
    from spacy.language import Language

    from annotator.core.scheme import LabelScheme

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


@pytest.fixture(scope="session")
def nlp() -> Language:
    """The real default pipeline (en_core_web_sm 3.8.0), loaded once per test process. Tests use
    it as it is; a test that changes a pipeline loads its own."""
    from annotator.nlp.model import load_model

    return load_model(None)


@pytest.fixture(scope="session")
def scheme(nlp: Language) -> LabelScheme:
    """The scheme annotate gives the default pipeline's labels (PERSON, ORG, GPE first) and the
    news relations."""
    from annotator.config import resolve_scheme
    from annotator.nlp.model import entity_labels

    return resolve_scheme(None, None, None, entity_labels(nlp))


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh folder as the current one and no $ANNOTATOR_DB, as a person runs the commands: the
    default ./annotator.db and exports/ land here."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ANNOTATOR_DB", raising=False)
    return tmp_path


# A real PostgreSQL server for the store tests (started on first use; see pg_server.py).
from tests.pg_server import db_target, pg_url, postgres, store  # noqa: E402, F401
