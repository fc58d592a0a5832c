"""Names vulture reports as unused that are kept on purpose, each with its reason.

Vulture (configured in pyproject.toml, [tool.vulture]; run by scripts/test and pre-commit) reads
this file as code that uses these names; nothing imports or runs it. What Textual and Typer call by
name (actions, handlers, watchers, class variables, commands) is matched by the patterns in
[tool.vulture], not listed here. Anything else vulture reports is dead: delete it, or add it here
with the reason.
"""

from annotator.core import agreement
from annotator.core.paragraphs import paragraphs
from annotator.formats.registry import Format
from annotator.learn import LearnerClient
from annotator.nlp import learner_protocol
from annotator.nlp.examples import training_example
from annotator.serve import TeamServer, _ArgvAppService
from annotator.store import migrations
from annotator.store.sqlite import Store
from annotator.tui.modes.search import SearchMode


def _exit(exc_type: object, tb: object) -> tuple[object, object]:
    """A context manager's __exit__ takes these whether it uses them or not."""
    return exc_type, tb


_exit  # noqa: B018

# Declared capability of each format (issue 10): read by the registry's tests; no export path
# treats overlapping spans differently yet (helper formats).
Format.holds_overlaps  # noqa: B018

# Agreement over whole label sequences and whole sides, as the reference implementations compute
# it (sklearn, statsmodels, krippendorff): the tests check the streamed tallies that the command
# uses against them (helper scale).
agreement.observed_agreement  # noqa: B018
agreement.fleiss_kappa  # noqa: B018
agreement.compare  # noqa: B018
# Sides held in memory and compared at once: the tests check the streamed file and database forms
# against it (helper scale-io).
agreement.compare_all  # noqa: B018

# The learner process (helper learn, in progress) builds its training examples with it.
training_example  # noqa: B018

# The schema version the migration tests compare with; the PostgreSQL backend (helper pg, in
# progress) migrates up to it.
migrations.LATEST  # noqa: B018

# Part of the Store interface that the PostgreSQL backend (helper pg, in progress) shares: the
# row version behind the same-annotator guard (dead in the SQLite store since the guard moved into
# its UPDATE; pg to use or delete), and the log rows per event that the guard's stress test counts.
Store.last_log_id  # noqa: B018
Store.log_counts  # noqa: B018

# Landed while this list was made, not read anywhere yet; their owners use or delete them:
# the gold's paragraphs as tasks (tests/gold_support.py only; helper learn), the learner's rollback
# count, a batch's seconds and the Request alias of its protocol (helper learn), and whether the
# search mode takes printable keys as text (the annotate screen's search, helper arch-tui).
paragraphs  # noqa: B018
LearnerClient.rollbacks  # noqa: B018
learner_protocol.BatchDone.seconds  # noqa: B018
learner_protocol.Request  # noqa: B018
SearchMode.takes_text  # noqa: B018

# annotator serve overrides textual-serve's hooks, which textual-serve calls: how a connection's
# process is started, and the page handler (its route is textual-serve's).
TeamServer.handle_index  # noqa: B018
_ArgvAppService._open_app_process  # noqa: B018
_ArgvAppService._stdin  # noqa: B018
