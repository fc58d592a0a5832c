"""Every screen's keys in one place: what a user keymap may name, and the README's key tables,
which are made from the same rows (``python -m annotator.tui.key_tables README.md`` writes them;
a test fails when the README and the rows disagree)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from annotator.tui.components.dialogs import HELP_KEYS, PICKER_KEYS
from annotator.tui.components.message_log import MESSAGES_KEYS
from annotator.tui.editor import ANNOTATE_KEYS
from annotator.tui.keymap import Key
from annotator.tui.review_keys import REVIEW_KEYS

# Screen name -> its keys. The ids the screens share (accept, undo, help, quit) are one key each:
# remapping one remaps it wherever it is.
TABLES: dict[str, tuple[Key, ...]] = {
    "annotate": ANNOTATE_KEYS,
    "review": REVIEW_KEYS,
    "label picker": PICKER_KEYS,
    "help": HELP_KEYS,
    "messages": MESSAGES_KEYS,
}


def binding_ids() -> list[str]:
    """Every id a keymap may name, in table order, each once."""
    return list(dict.fromkeys(i for keys in TABLES.values() for key in keys for i in key.binding_ids()))


def readme_table(keys: tuple[Key, ...]) -> str:
    rows = ["| key | id | does |", "| --- | --- | --- |"]
    for key in keys:
        shown = " ".join(f"`{k}`" for k in key.shown.split())
        ident = f"`{key.id}_1` … `{key.id}_9`" if key.numbered else f"`{key.id}`"
        rows.append(f"| {shown} | {ident} | {key.description} |")
    return "\n".join(rows)


def _block(name: str) -> re.Pattern[str]:
    # the lines between the two markers, none or more
    return re.compile(
        rf"^(<!-- keys: {re.escape(name)} -->\n)(?:.*?\n)??(<!-- /keys -->)$", re.DOTALL | re.MULTILINE
    )


def readme_with_tables(readme: str) -> str:
    """The README with the table of each screen between its ``<!-- keys: NAME -->`` and
    ``<!-- /keys -->`` lines replaced by the table made from the rows."""
    for name, keys in TABLES.items():

        def put(match: re.Match[str], table: str = readme_table(keys)) -> str:
            return match.group(1) + table + "\n" + match.group(2)

        readme = _block(name).sub(put, readme)
    return readme


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "README.md")
    path.write_text(readme_with_tables(path.read_text(encoding="utf-8")), encoding="utf-8")


if __name__ == "__main__":
    main()
