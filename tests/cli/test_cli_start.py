"""What `annotator annotate` loads and builds on its way to the first screen (issue 11: start within
100 ms of a bare Textual app). Typer builds the one command that runs, not all of them; a dataset
whose tasks are all prepared opens, is fed and is quit without importing spaCy, the learner, the
review or the agreement figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from annotator.cli import app, command_line
from tests.cli_support import run
from tests.conftest import REPO
from tests.terminal_support import Terminal

GOLD = REPO / "tests" / "data" / "sample_gold.jsonl"
LABELS = "PERSON,ORG,GPE,NORP,DATE"

# Modules the first screen of a prepared dataset does not need: each is a tenth of a second or more
# of imports (spaCy, thinc), or a part of annotator that another command uses.
NOT_ON_THE_WAY = (
    "spacy",
    "thinc",
    "annotator.nlp.model",
    "annotator.learn",
    "annotator.review",
    "annotator.tui.review_app",
    "annotator.core.agreement",
    "annotator.core.adjudication",
    "tomllib",  # no scheme file to read: the dataset has its scheme
    "annotator.tui.screens.name",  # a browser's (annotator serve), asking who is there
    "annotator.core.repeat",  # `!` only
    "annotator.formats.problems",  # import's and agreement's
    "annotator.store.stats",  # the rows of annotator stats and of the agreement report
    "annotator.core.reviews",  # a dataset's reviewers: the gold set's
    "annotator.formats.base",  # an export's rows, an import's suggestions
    "annotator.core.choices",  # a review's choices, which an annotator's edits never carry
)

# Modules the run loads, but only once its first task is on screen: the feed (in its thread) and
# the dialogs (when opened); each is a millisecond or more of the start it was part of.
AFTER_THE_FIRST_FRAME = (
    "annotator.feed",
    "annotator.tui.components.dialogs",
    "annotator.tui.key_tables",  # every screen's keys: with a keys file only
    "annotator.store.dump",  # annotator copy's
    "annotator.core.tokenize",  # the feed's, for the texts it shows before they are stored
)

# Runs ``python -m annotator ARGS`` and writes the names of the modules loaded by its end to OUT;
# and when it first writes MARK, a word of the task's text (its first frame), to OUT.first, the modules loaded by
# then, how many times Textual's compositor had rendered the screen and how many times the
# collector had been set for editing (tui/collector.py: after the first frame).
PROBE = (
    "import atexit, json, os, runpy, sys\n"
    "from textual._compositor import Compositor\n"
    "from textual.drivers.linux_driver import LinuxDriver\n"
    "from annotator.tui import collector\n"
    "out, mark = sys.argv.pop(1), sys.argv.pop(1)\n"
    "collected, collect = [], collector.editing\n"
    "def editing():\n"
    "    collected.append(1)\n"
    "    collect()\n"
    "collector.editing = editing\n"
    "import gc\n"
    "atexit.register(lambda: open(out, 'w').write(json.dumps(sorted(sys.modules))))\n"
    "atexit.register(lambda: open(out + '.gc', 'w').write(json.dumps(gc.isenabled())))\n"
    "renders, render, write = [], Compositor.render_update, LinuxDriver.write\n"
    "def rendering(self, *args, **kwargs):\n"
    "    renders.append(1)\n"
    "    return render(self, *args, **kwargs)\n"
    "def noting(self, data):\n"
    "    if mark in data and not os.path.exists(out + '.first'):\n"
    "        first = {'modules': sorted(sys.modules), 'renders': len(renders), 'collected': len(collected),\n"
    "                 'gc': gc.isenabled()}\n"
    "        open(out + '.first', 'w').write(json.dumps(first))\n"
    "    write(self, data)\n"
    "Compositor.render_update, LinuxDriver.write = rendering, noting\n"
    "runpy.run_module('annotator', run_name='__main__', alter_sys=True)\n"
)

# Modules a brat export (reading rows, writing files) does not use: the store's write side (the kept
# counts), a task's doubts and edit history, a dataset's scheme and reviewers, a format's reading
# (assemble.py and what it brings), spaCy. Each was imported by the store or the export service on
# every export's start: 67M of a one-task export's 420M machine instructions, with the patterns below.
NOT_ON_AN_EXPORT = (
    "spacy",
    "annotator.core.doubts",
    "annotator.core.links",
    "annotator.core.edits",
    "annotator.core.retokenize",
    "annotator.core.scheme",
    "annotator.core.reviews",  # --gold only
    "annotator.core.counts",
    "annotator.store.kept",
    "annotator.store.stats",
    "annotator.store.dump",
    "annotator.formats.assemble",
    "annotator.formats.tokens",
    "annotator.formats.problems",
)

# Runs ``python -m annotator ARGS`` and writes to OUT, at its end, the names of the modules loaded and
# how many of core/display.py's patterns were compiled (none for printable lines: 4M instructions each).
EXPORT_PROBE = (
    "import atexit, json, runpy, sys\n"
    "from annotator.core import display\n"
    "out = sys.argv.pop(1)\n"
    "def done():\n"
    "    compiled = display._unsafe.cache_info().currsize + display._unsafe_for_json.cache_info().currsize\n"
    "    open(out, 'w').write(json.dumps({'modules': sorted(sys.modules), 'compiled': compiled}))\n"
    "atexit.register(done)\n"
    "runpy.run_module('annotator', run_name='__main__', alter_sys=True)\n"
)


def test_only_the_command_named_is_built() -> None:
    group = command_line(["stats", "--db", "x.db"])
    assert group is not app and list(group.commands) == ["stats"]  # type: ignore[attr-defined]
    assert list(command_line(["import"]).commands) == ["import"]  # type: ignore[attr-defined]
    # No command, a misspelt one, --help: the whole app (its list of commands, its suggestions).
    for args in ([], ["--help"], ["anotate"]):
        assert command_line(args) is app


def test_the_command_alone_runs_as_in_the_whole_app(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert run("import", GOLD, "--dataset", "d", "--annotator", "A", "--db", db).exit_code == 0
    whole = run("stats", "--db", db)
    env = {**os.environ, "PYTHONPATH": str(REPO), "COLUMNS": "80"}
    alone = subprocess.run(
        [sys.executable, "-m", "annotator", "stats", "--db", str(db)], capture_output=True, text=True, env=env
    )
    assert alone.returncode == whole.exit_code == 0
    assert alone.stdout == whole.stdout and alone.stdout.startswith("dataset")
    missing = subprocess.run(
        [sys.executable, "-m", "annotator", "annotate"], capture_output=True, text=True, env=env
    )
    assert missing.returncode == 2
    assert (
        "Usage: python -m annotator annotate [OPTIONS]" in missing.stderr
        and "Missing argument" in missing.stderr
    )


def test_annotate_on_a_prepared_dataset_loads_no_spacy_learner_or_review(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert run("import", GOLD, "--dataset", "d", "--annotator", "A", "--db", db).exit_code == 0
    # The dataset's scheme stored, as after a first annotate: a start again is what is measured.
    prepared = run("annotate", GOLD, "--dataset", "d", "--labels", LABELS, "--prepare-only", "--db", db)
    assert prepared.exit_code == 0, prepared.stderr
    loaded = tmp_path / "modules.json"
    argv = [
        sys.executable, "-c", PROBE, str(loaded), "SEOUL", "annotate", str(GOLD), "--dataset", "d",
        "--annotator", "C", "--labels", LABELS, "--db", str(db),
    ]  # fmt: skip
    with Terminal(tmp_path, argv, size=(80, 24), env={"PYTHONPATH": str(REPO)}) as term:
        term.wait_for("SEOUL")
        term.wait_for("task 1 of 1 ")  # the feed has been through the source: the count is known
        term.keys("q")
        assert term.exit_status() == 0, term.screen()
    modules = set(json.loads(loaded.read_text(encoding="utf-8")))
    assert {"annotator.tui.app", "annotator.store.sqlite", "textual"} <= modules  # the probe saw the run
    assert not modules & set(NOT_ON_THE_WAY), sorted(modules & set(NOT_ON_THE_WAY))
    first = json.loads(Path(f"{loaded}.first").read_text(encoding="utf-8"))
    # Rendered once: Textual made the whole first frame twice when the screen was pushed while the
    # app mounted, the first time to drop it (tui/screens/annotate.py, 20 ms of the start).
    assert first["renders"] == 1
    # What the screen asks to run after its refresh (the collection of what the start made, 3-11 ms
    # of CPU) waits for the frame the put-off render makes: Textual ran it before that frame.
    assert first["collected"] == 0
    # No garbage collection before the first frame (tui/collector.py: a walk of the 50,000 objects
    # the start made, 20 ms of CPU); on again after it.
    assert first["gc"] is False and json.loads(Path(f"{loaded}.gc").read_text(encoding="utf-8")) is True
    at_first_frame = set(first["modules"])
    assert {"annotator.tui.screens.annotate", "annotator.store.sqlite"} <= at_first_frame
    assert "annotator.feed" in modules  # the feed ran (the count is known), after the first frame
    assert not at_first_frame & set(AFTER_THE_FIRST_FRAME), sorted(
        at_first_frame & set(AFTER_THE_FIRST_FRAME)
    )


def test_the_review_draws_its_first_frame_once(tmp_path: Path) -> None:
    from tests.tui.test_tui_review_background import build

    db = tmp_path / "r.db"
    build(db)
    loaded = tmp_path / "modules.json"
    argv = [
        sys.executable,
        "-c",
        PROBE,
        str(loaded),
        "Merkel",
        "review",
        "--dataset",
        "news",
        "--annotators",
        "alice,bob",
        "--db",
        str(db),
    ]
    with Terminal(tmp_path, argv, size=(80, 24), env={"PYTHONPATH": str(REPO)}) as term:
        term.wait_for("Merkel")
        term.wait_for("disagreement")
        term.keys("q")
        assert term.exit_status() == 0, term.screen()
    # The review screen is pushed while the app mounts, as the annotate screen is: Textual rendered
    # it three times for its first frame, two of them dropped unwritten (tui/screens/first_frame.py).
    assert json.loads(Path(f"{loaded}.first").read_text(encoding="utf-8"))["renders"] == 1


def test_a_brat_export_loads_only_what_it_uses(tmp_path: Path) -> None:
    db = tmp_path / "a.db"
    assert run("import", GOLD, "--dataset", "d", "--annotator", "A", "--db", db).exit_code == 0
    loaded, out = tmp_path / "modules.json", tmp_path / "brat"
    argv = [
        sys.executable, "-c", EXPORT_PROBE, str(loaded), "export", "--dataset", "d", "--annotator", "A",
        "--format", "brat", "--output", str(out), "--db", str(db),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("wrote ") and sorted(out.glob("*.ann"))  # the export ran
    probed = json.loads(loaded.read_text(encoding="utf-8"))
    modules = set(probed["modules"])
    assert {"annotator.store.sqlite", "annotator.formats.brat"} <= modules  # the probe saw the run
    assert not modules & set(NOT_ON_AN_EXPORT), sorted(modules & set(NOT_ON_AN_EXPORT))
    assert probed["compiled"] == 0


def test_a_jsonl_import_loads_only_what_it_uses(tmp_path: Path) -> None:
    """A file that names its layers (jsonl) is not placed by the dataset's scheme: neither the
    placing (core/layers.py) nor the scheme's module is imported (10M machine instructions); nor
    OpenSSL's hashes (_hashlib, 11M), of which the input hashes need none."""
    loaded = tmp_path / "modules.json"
    argv = [
        sys.executable, "-c", EXPORT_PROBE, str(loaded), "import", str(GOLD), "--dataset", "d",
        "--annotator", "A", "--format", "jsonl", "--db", str(tmp_path / "a.db"),
    ]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    modules = set(json.loads(loaded.read_text(encoding="utf-8"))["modules"])
    assert {"annotator.transfer.importing", "annotator.formats.jsonl"} <= modules  # the probe saw the run
    assert not modules & {"annotator.core.layers", "annotator.core.scheme", "_hashlib"}
