"""Keys as data. Every key of every screen is a ``Key`` row with an id: the bindings, the help screen
and the command palette are made from the rows, and a user keymap names the ids.

A binding runs ``key('<id>')`` on its screen; the screen (``KeyDispatch``) asks who handles that key
now (on the annotate screen, the active mode first, then the screen itself) and ``check_action``
says no for a key nobody handles, so Textual lets the key go on to the next binding.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from inspect import isawaitable
from typing import ClassVar

from textual.app import App
from textual.binding import Binding
from textual.keys import format_key

from annotator.store import StoreError

# The help screen and the README list keys in this order of groups.
GROUPS = ("move", "spans", "relations", "review", "history", "decide", "app", "dialog")
# Keys that still work after a storage fault: they only read, or leave.
SAFE_AFTER_FAULT = frozenset({"move", "app", "dialog"})


# Keys that go before the focused widget's own: the document view is a scroll view with its own
# bindings for the arrows, home/end and the page keys (without priority they would scroll it and
# leave the cursor), and a dialog's keys go before the text box it holds (the label picker's filter
# would take the digits as text).
PRIORITY_GROUPS = ("move", "dialog")


# No __repr__: nothing prints one, and it is compiled at import (__eq__ and __hash__ stay: keys
# are looked up in caches).
@dataclass(frozen=True, slots=True, repr=False)
class Key:
    id: str  # the binding id, which a user keymap names
    keys: str  # the default keys, comma-separated Textual key names
    description: str
    shown: str  # how the help screen writes the keys
    group: str
    footer: bool = False
    action: str = ""  # the action it runs, when that is not the id
    params: tuple[str, ...] = ()  # given to the action
    # Each key a binding of its own, ``<id>_<key>``, whose digit is given to the action (1…9).
    numbered: bool = False

    @property
    def action_name(self) -> str:
        return self.action or self.id

    def binding_ids(self) -> list[str]:
        return [f"{self.id}_{k}" for k in self.keys.split(",")] if self.numbered else [self.id]


def shown_keys(key: Key, keymap: Mapping[str, str]) -> str:
    """How the help screen and the command palette write the key's keys, after a user keymap."""
    ids = key.binding_ids()
    if not any(i in keymap for i in ids):
        return key.shown
    defaults = key.keys.split(",") if key.numbered else [key.keys]
    names = [n for i, d in zip(ids, defaults, strict=True) for n in keymap.get(i, d).split(",")]
    return " ".join(format_key(n.strip()) for n in names)


def ordered(keys: tuple[Key, ...]) -> tuple[Key, ...]:
    """The keys by group, in the order of GROUPS, each group in the order given."""
    return tuple(sorted(keys, key=lambda k: GROUPS.index(k.group)))


def key_bindings(keys: tuple[Key, ...]) -> list[Binding]:
    out: list[Binding] = []
    for key in keys:
        if key.numbered:
            out.extend(
                Binding(
                    k,
                    f"key({key.id!r}, {int(k)})",
                    f"{key.description} ({k})",
                    show=False,
                    priority=key.group in PRIORITY_GROUPS,
                    id=f"{key.id}_{k}",
                )
                for k in key.keys.split(",")
            )
            continue
        priority = key.group in PRIORITY_GROUPS
        out.append(
            Binding(
                key.keys, f"key({key.id!r})", key.description, show=key.footer, priority=priority, id=key.id
            )
        )
    return out


@cache
def _by_id(keys: tuple[Key, ...]) -> dict[str, Key]:
    return {k.id: k for k in keys}


class KeyDispatch:
    """Mixed into a screen whose bindings come from ``key_bindings(KEYS)``."""

    KEYS: ClassVar[tuple[Key, ...]] = ()
    # The storage fault that stopped the edits: only keys that read or leave work after it.
    fault: StoreError | None = None

    def storage_fault(self, exc: StoreError) -> None:
        """The database refused a read or a write: take no more edits. Screens that edit also say
        so in their message line."""
        self.fault = exc

    def key_handler(self, action: str) -> Callable[..., object] | None:
        """Who runs ``action`` now; the annotate screen asks its active mode first."""
        handler = getattr(self, f"action_{action}", None)
        return handler if callable(handler) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action != "key":
            return True
        key = _by_id(self.KEYS).get(str(parameters[0]))
        return key is not None and self.key_handler(key.action_name) is not None

    async def action_key(self, key_id: str, *digit: int) -> None:
        result = self.run_key(key_id, *digit)
        if isawaitable(result):
            try:
                await result
            except StoreError as exc:
                self.storage_fault(exc)

    def run_key(self, key_id: str, *digit: int) -> object:
        """What pressing the key does (the command palette runs keys this way too). A storage
        fault is said, not raised: it would end the app with a traceback."""
        key = _by_id(self.KEYS)[key_id]
        handler = self.key_handler(key.action_name)
        if handler is None:
            return None
        if self.fault is not None and key.group not in SAFE_AFTER_FAULT:
            self.storage_fault(self.fault)  # said again: this key would edit
            return None
        try:
            return handler(*key.params, *digit)
        except StoreError as exc:
            self.storage_fault(exc)
            return None


class KeyedApp(App[None]):
    """An app started with a user keymap (id -> keys), which Textual applies to every binding with
    that id; the help screen and the command palette show the keys it gives."""

    # The screens get the class -narrow under 60 columns (annotator.tcss gives the text half).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (60, "-normal")]

    def __init__(self, keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.keymap: dict[str, str] = dict(keymap or {})
        self.set_keymap(self.keymap)


def keymap_of(app: App[object]) -> Mapping[str, str]:
    return app.keymap if isinstance(app, KeyedApp) else {}
