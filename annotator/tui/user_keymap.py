"""A user's keys: ``[keys]`` in ``~/.config/annotator/keys.toml`` (``$XDG_CONFIG_HOME`` if set), and
in the ``--config`` file over it, maps key ids to keys::

    [keys]
    accept = "ctrl+s"          # a (and enter) no longer accept; ctrl+s does
    undo = "u,ctrl+z,f2"       # several keys: comma-separated, or a list
    label_1 = "f1"

The ids are those of the key tables (``python -m annotator.tui.key_tables`` writes them into the
README). A mistake (an unknown id, a key Textual does not know, two ids on one key of a screen) is
an error naming the file, the id, and what is allowed, before any screen opens; the app hands the
result to Textual's ``App.set_keymap``.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from textual.keys import Keys, format_key, key_to_character

from annotator.core.errors import AnnotatorError

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
# Key names that are not one character: escape, f1, pageup, ... (the part after any modifier).
NAMED_KEYS = frozenset(k.value.rpartition("+")[2] for k in Keys) | {"space", "backspace", "delete"}


def user_keys_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "annotator" / "keys.toml"


def load_keymap(config: Path | None = None) -> dict[str, str]:
    """The keymap of a run: the user's keys.toml, then ``config``'s ``[keys]`` over it."""
    keymap: dict[str, str] = {}
    where: dict[str, Path] = {}
    user = user_keys_path()
    for path in (user if user.is_file() else None, config):
        if path is None:
            continue
        section = _read(path).get("keys")
        if section is None:
            if path == user:
                raise AnnotatorError(f'{path}: no [keys] section; write the keys as [keys] id = "key"')
            continue
        for key_id, keys in parse_keys(section, path).items():
            keymap[key_id] = keys
            where[key_id] = path
    if keymap:  # the default keys never clash (a test checks): a start without a keys file skips it
        check_clashes(keymap, where)
    return keymap


def _read(path: Path) -> dict[str, object]:
    import tomllib  # only when there is a keys file: most starts have none (config.py says why)

    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise AnnotatorError(f"{path}: cannot read the keys: {exc}") from exc
    except (tomllib.TOMLDecodeError, RecursionError) as exc:
        raise AnnotatorError(f"{path}: not valid TOML: {exc}") from exc


def parse_keys(section: object, path: Path) -> dict[str, str]:
    """``[keys]``: each id known, each value a key or keys Textual knows; returns id -> "k1,k2"."""
    # The key tables, imported only with a keys file: they import every screen's dialogs, which
    # a start without one does not draw.
    from annotator.tui.key_tables import binding_ids

    if not isinstance(section, Mapping):
        raise AnnotatorError(f'{path}: [keys] must be a table of id = "key"')
    known = binding_ids()
    out: dict[str, str] = {}
    for key_id, value in section.items():
        if key_id not in known:
            import difflib  # for the mistake only

            close = difflib.get_close_matches(key_id, known, n=1)
            raise AnnotatorError(
                f"{path}: [keys] {key_id!r} is not a key id"
                + (f" (did you mean {close[0]!r}?)" if close else "")
                + f"; the ids are: {', '.join(known)}"
            )
        names = value.split(",") if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise AnnotatorError(
                f'{path}: [keys] {key_id} must be a key ("f2"), keys ("u,f2") or a list of keys'
            )
        names = [n.strip() for n in names]
        for name in names:
            problem = key_problem(name)
            if problem:
                raise AnnotatorError(f"{path}: [keys] {key_id} = {value!r}: {problem}")
        out[key_id] = ",".join(names)
    return out


def key_problem(name: str) -> str | None:
    """Why ``name`` is not a key Textual can bind, or None when it is."""
    *modifiers, base = name.split("+") if len(name) > 1 else [name]
    bad = [m for m in modifiers if m not in MODIFIERS]
    if bad:
        return f"{name!r}: {bad[0]!r} is not a modifier (they are {', '.join(sorted(MODIFIERS))})"
    if len(base) == 1:
        return None if base.isprintable() and not base.isspace() else f"{name!r}: write a space as 'space'"
    if base in NAMED_KEYS or key_to_character(base) is not None:
        return None
    return (
        f"{name!r} is not a key name: a character ('x', '?'), a named key ('f2', 'escape', 'pageup'), "
        "with modifiers before it ('ctrl+k', 'shift+right')"
    )


def _same_key(name: str) -> str:
    """One spelling for a key: '?' and 'question_mark' are one key."""
    if len(name) == 1:
        return name
    char = key_to_character(name)
    if char is not None:
        return char
    try:  # 'less_than_sign' and the like, as Textual names them
        return unicodedata.lookup(name.replace("_", " "))
    except KeyError:
        return name


def check_clashes(keymap: Mapping[str, str], where: Mapping[str, Path]) -> None:
    """Two ids on one key of one screen: Textual would quietly drop one of them."""
    from annotator.tui.key_tables import TABLES  # with a keys file only (parse_keys says why)

    for screen, keys in TABLES.items():
        holder: dict[str, str] = {}
        for key in keys:
            for key_id, default in zip(key.binding_ids(), _defaults(key.keys, key.numbered), strict=True):
                for name in keymap.get(key_id, default).split(","):
                    other = holder.setdefault(_same_key(name.strip()), key_id)
                    if other != key_id:
                        moved = key_id if key_id in keymap else other
                        raise AnnotatorError(
                            f"{where.get(moved, 'keys')}: [keys] {moved}: the key {format_key(name.strip())!r} is "
                            f"{other if moved == key_id else key_id}'s on the {screen} screen too; "
                            "give one of them another key"
                        )


def _defaults(keys: str, numbered: bool) -> list[str]:
    return keys.split(",") if numbered else [keys]
