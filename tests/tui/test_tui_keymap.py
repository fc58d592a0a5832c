"""User keymaps: [keys] in keys.toml and in --config remap binding ids, the screens and the help
follow, every mistake is one error naming the file and the id; the README's key tables are the
key rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.binding import Binding
from typer.testing import CliRunner

from annotator.cli import app as cli_app
from annotator.config import resolve_scheme
from annotator.core.errors import AnnotatorError
from annotator.session import AnnotationSession
from annotator.store import Store
from annotator.tui.app import AnnotatorApp
from annotator.tui.components.dialogs import HelpScreen, LabelPicker
from annotator.tui.key_tables import TABLES, binding_ids, readme_with_tables
from annotator.tui.screens.annotate import AnnotateScreen
from annotator.tui.screens.review import ReviewScreen
from annotator.tui.user_keymap import check_clashes, load_keymap, user_keys_path
from tests.conftest import REPO
from tests.tui_support import QA_SCHEME, drawn, make_db, make_task

TEXT = "Chancellor Olaf Scholz met Emmanuel Macron in Brussels on Thursday."


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_the_readme_key_tables_are_the_key_rows() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for screen in ("annotate", "review"):
        assert f"<!-- keys: {screen} -->" in readme
    assert readme_with_tables(readme) == readme, "run: python -m annotator.tui.key_tables README.md"


def test_readme_tables_are_written_between_the_markers() -> None:
    made = readme_with_tables("a\n<!-- keys: review -->\nold row\n<!-- /keys -->\nb\n")
    assert "old row" not in made and "| `n` | `next_disagreement` |" in made
    assert made.startswith("a\n<!-- keys: review -->\n| key | id | does |") and made.endswith(
        "<!-- /keys -->\nb\n"
    )


def test_every_binding_has_an_id_and_ids_are_unique_per_screen() -> None:
    for screen, keys in TABLES.items():
        ids = [i for key in keys for i in key.binding_ids()]
        assert len(ids) == len(set(ids)), screen
    assert {"accept", "undo", "label_1", "label_9", "take_a", "relation_mode", "pick_1"} <= set(binding_ids())
    for cls in (AnnotateScreen, ReviewScreen, HelpScreen, LabelPicker):
        bound = {b.id for b in cls.BINDINGS if isinstance(b, Binding)}
        assert len(bound) == len(cls.BINDINGS) and bound <= set(binding_ids()), cls


def test_the_default_keys_do_not_clash() -> None:
    # load_keymap checks for clashes only when a keys file changed a key: the defaults must hold none.
    check_clashes({}, {})


def test_keys_toml_then_config_over_it(tmp_path: Path) -> None:
    assert load_keymap(None) == {}
    write(user_keys_path(), '[keys]\naccept = "ctrl+s"\nundo = ["u", "f2"]\n')
    config = write(tmp_path / "scheme.toml", '[labels]\nPERSON = "#e6b422"\n\n[keys]\nundo = "f3"\n')
    try:
        assert load_keymap(None) == {"accept": "ctrl+s", "undo": "u,f2"}
        assert load_keymap(config) == {"accept": "ctrl+s", "undo": "f3"}
        # the same file is still a label scheme: [keys] is a section it allows
        assert resolve_scheme(None, config, None, []).labels == ("PERSON",)
    finally:
        user_keys_path().unlink()


@pytest.mark.parametrize(
    ("keys", "said"),
    [
        ('acept = "x"', ["'acept' is not a key id", "did you mean 'accept'", "the ids are: ", "label_1"]),
        ('accept = "ctrl+zz"', ["accept = 'ctrl+zz'", "is not a key name"]),
        ('accept = "hyperctrl+x"', ["'hyperctrl' is not a modifier"]),
        ("accept = 3", ["accept must be a key"]),
        ('accept = "d"', ["accept: the key 'd' is delete's on the annotate screen too"]),
        ('reject = "?"', ["the key '?' is help's on the annotate screen too"]),
        ('label_2 = "1"', ["label_2: the key '1' is label_1's"]),
    ],
)
def test_a_bad_entry_names_the_file_the_id_and_what_is_allowed(
    tmp_path: Path, keys: str, said: list[str]
) -> None:
    config = write(tmp_path / "c.toml", f"[keys]\n{keys}\n")
    with pytest.raises(AnnotatorError) as info:
        load_keymap(config)
    message = str(info.value)
    assert message.startswith(f"{config}: [keys] ")
    for part in said:
        assert part in message


def test_swapping_two_keys_is_no_clash(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[keys]\naccept = "x"\nreject = "a,enter"\n')
    assert load_keymap(config) == {"accept": "x", "reject": "a,enter"}


def test_a_keys_toml_without_keys_is_refused() -> None:
    write(user_keys_path(), '[lables]\nx = "y"\n')
    try:
        with pytest.raises(AnnotatorError, match=r"keys.toml: no \[keys\] section"):
            load_keymap(None)
    finally:
        user_keys_path().unlink()


def test_the_cli_says_the_mistake_in_one_line(tmp_path: Path) -> None:
    source = write(tmp_path / "a.txt", TEXT)
    config = write(tmp_path / "c.toml", '[labels]\nPERSON = "#e6b422"\n\n[keys]\nacept = "x"\n')
    result = CliRunner().invoke(
        cli_app,
        ["annotate", str(source), "--dataset", "d", "--config", str(config), "--db", str(tmp_path / "a.db")],
    )
    assert result.exit_code == 1
    assert "'acept' is not a key id" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "a.db").exists()


async def test_remapped_keys_drive_the_screen_and_show_in_the_help(tmp_path: Path) -> None:
    db = make_db(tmp_path / "a.db", make_task(TEXT, (("Olaf Scholz", "PERSON"),)))
    keymap = {"label_1": "f1", "accept": "ctrl+s", "next_span": "n"}
    app = AnnotatorApp(AnnotationSession(Store(db), "qa", "alice", QA_SCHEME), "test model", keymap=keymap)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause()
        screen = app.annotate_screen
        await pilot.press("tab")  # no longer selects a span
        assert screen.selected_sid is None
        await pilot.press("n")
        assert screen.selected_sid == 1
        await pilot.press("right", "right", "1")  # 1 no longer labels: on "met", nothing happens
        cur = app.session.current
        assert cur is not None and len(cur.annotation.spans) == 1
        await pilot.press("f1")
        cur = app.session.current
        assert cur is not None and [s.label for s in cur.annotation.sorted().spans] == ["PERSON", "PERSON"]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        shown = drawn(app.screen.query_one("Static"))
        assert "ctrl+s" in shown and "f1" in shown and "a enter" not in shown
        await pilot.press("escape", "a")  # a no longer accepts
        assert app.session.current is not None and app.session.current.annotation.answer is None
        await pilot.press("ctrl+s")
    with Store(db) as store:
        saved = store.annotation(store.task_ids("qa")[0], "alice")
    assert saved is not None and saved.answer == "accept"
