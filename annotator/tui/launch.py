"""Putting an annotate run together: database, label scheme, session, feed, app; then a summary."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

from annotator.config import PREFERRED_ORDER, keep_scheme, resolve_scheme
from annotator.core.errors import AnnotatorError, BadRecord
from annotator.core.routing import parse_overlap
from annotator.core.scheme import LabelScheme
from annotator.core.wording import counted
from annotator.nlp.lazy import LazyPreannotator
from annotator.nlp.meta import display_from_meta, ner_labels_from_meta, read_meta
from annotator.nlp.patterns import read_patterns
from annotator.routing import Routed, assign, join, parse_names, top_up
from annotator.session import AnnotationSession
from annotator.sources import SourceItem, count_source, read_source, require_items
from annotator.store import Store, StoreError, resolve_db
from annotator.tui.annotate_options import AnnotateOptions
from annotator.tui.app import AnnotatorApp
from annotator.tui.faults import FaultReporting
from annotator.tui.feed_messages import LearnerNews
from annotator.tui.user_keymap import load_keymap

if TYPE_CHECKING:  # the feed is imported in its own thread, behind the first screen (see run_feed)
    from annotator.feed import FeedEvent

# What the hand gold of the bundled article uses (tests/data/sample_gold.jsonl), so that the demo
# can be corrected to it, in the one default key order every command uses.
_DEMO_NEEDS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "DATE", "EVENT", "CARDINAL", "ORDINAL"})
DEMO_LABELS = ",".join(label for label in PREFERRED_ORDER if label in _DEMO_NEEDS)


def sample_path() -> Path:
    from importlib.resources import files  # the demo's only (config.py says why)

    return Path(str(files("annotator") / "data" / "defense-ministers-seoul.txt"))


def default_annotator() -> str:
    import getpass  # without --annotator only

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "annotator"


def scheme_for(
    model: str | None,
    labels: str | None,
    config: Path | None,
    relations: str | None,
    notes: list[str],
    label_map: str | None = None,
    stored: LabelScheme | None = None,
    span_groups: str | None = None,
) -> tuple[LabelScheme, str]:
    """The scheme, and the model's display name, read from its meta.json so that spaCy is not
    imported before the first paint."""
    found = read_meta(model)
    model_labels: list[str] = []
    display = ""
    if found is not None:
        display = display_from_meta(found[1])
        model_labels = ner_labels_from_meta(found[1])
    elif labels is None and config is None and stored is None:
        # No meta.json to read (an unusual package): load the pipeline to learn its labels.
        from annotator.nlp.model import display_name, entity_labels, load_model

        nlp = load_model(model, notes)
        model_labels, display = entity_labels(nlp), display_name(nlp)
    elif model is not None and not Path(model).exists():
        raise AnnotatorError(f"cannot find the spaCy pipeline {model!r}; pass an installed name or a folder")
    scheme = resolve_scheme(labels, config, relations, model_labels, notes, label_map, stored, span_groups)
    return scheme, display


ORDERS = ("source", "uncertain")  # --order


# A plain class, not a frozen dataclass: made once a run, never compared or printed, and a
# dataclass's generated methods are compiled from source at import, on every start. ``Final``
# keeps it read-only for mypy.
class OpenedSource:
    """What an annotate run has opened before any screen: the database, the scheme it settled on,
    and the source, read as a stream (``problems`` fills as it is read)."""

    __slots__ = ("db_path", "display", "items", "preannotator", "problems", "scheme", "store")

    def __init__(
        self,
        store: Store,
        db_path: str | Path,
        scheme: LabelScheme,
        display: str,  # the model's name
        items: Iterator[SourceItem],
        problems: list[BadRecord],
        preannotator: LazyPreannotator,
    ) -> None:
        self.store: Final = store
        self.db_path: Final = db_path
        self.scheme: Final = scheme
        self.display: Final = display
        self.items: Final = items
        self.problems: Final = problems
        self.preannotator: Final = preannotator

    def run_feed(
        self, dataset: str, notify: Callable[[FeedEvent], None], should_stop: Callable[[], bool]
    ) -> None:
        # Imported here, in the feed's thread once the first task is drawn: its five event classes
        # are dataclasses, each made at import (about a millisecond each), none of them on the
        # first screen.
        from annotator.feed import feed

        feed(
            self.db_path,
            dataset,
            self.items,
            self.preannotator,
            notify,
            self.problems,
            should_stop=should_stop,
        )


def open_source(options: AnnotateOptions, who: str | None, notes: list[str]) -> OpenedSource:
    """The database, the scheme and the source of an annotate run, the dataset routed (``who``
    joins it; None: nobody, for ``--prepare-only``). Bad arguments raise AnnotatorError before
    anything is written."""
    o = options
    if o.committee is not None and read_meta(o.committee) is None:
        raise AnnotatorError(
            f"--committee: cannot find the spaCy pipeline {o.committee!r}; pass an installed name or a folder"
        )
    if not o.source.exists():
        raise AnnotatorError(f"{o.source}: no such file or folder")
    if o.relation_rules is not None and not o.relation_rules.exists():
        raise AnnotatorError(f"{o.relation_rules}: no such relation rules file")
    if o.patterns is not None:
        read_patterns(o.patterns)  # a bad line is said before any screen, not in the feed's thread
    db_path = resolve_db(o.db)
    # A database file that does not exist yet is created only once the arguments and the source
    # have been found good: a mistake must not leave an empty database behind. (A PostgreSQL
    # database exists already; the store only adds its tables.)
    store = Store(db_path) if not isinstance(db_path, Path) or db_path.exists() else None
    try:
        stored = store.scheme(o.dataset) if store is not None else None
        scheme, display = scheme_for(
            o.model, o.labels, o.config, o.relations, notes, o.label_map, stored, o.span_groups
        )
        problems: list[BadRecord] = []
        # Opened here, not in the feed's thread: a source it cannot read at all (a folder without
        # .txt files) is a user error to print before any screen or database, not a dead thread
        # behind an empty screen.
        items = require_items(o.source, read_source(o.source, problems, lazy=True), problems)
        if store is None:
            store = Store(db_path)
        keep_scheme(store, o.dataset, scheme, stored, notes)
        route_for(store, o.dataset, who, o.annotators, o.overlap, notes)
    except BaseException:
        if store is not None:
            store.close()
        raise
    preannotator = LazyPreannotator(o.model, scheme, o.relation_rules, o.patterns, o.committee)
    return OpenedSource(store, db_path, scheme, display, items, problems, preannotator)


def run_annotate(options: AnnotateOptions, annotator: str | None) -> tuple[AnnotatorApp, list[str]]:
    """Build the app for a run; the caller runs it (and, with ``learn``, stops ``app.learner``
    after it, saving it to ``save_model`` first). Bad arguments raise AnnotatorError before any
    screen is drawn."""
    o = options
    if o.order not in ORDERS:
        raise AnnotatorError(f"--order {o.order!r}: use {' or '.join(ORDERS)}")
    if o.save_model is not None:
        from annotator.learn import check_model_folder  # the learner only with --learn: see below

        if not o.learn:
            raise AnnotatorError("--save-model keeps what --learn learnt; give --learn too")
        check_model_folder(o.save_model)
    keymap = load_keymap(o.config)
    notes: list[str] = []
    who = annotator or default_annotator()
    opened = open_source(o, who, notes)
    dataset = o.dataset
    store, scheme = opened.store, opened.scheme
    session = AnnotationSession(store, dataset, who, scheme)
    session.guard = True  # the same annotator may have this dataset open in another terminal
    session.order = o.order
    session.committee = o.committee is not None
    if o.memory:
        session.use_memory()
    routed = store.routing(dataset)
    # A routed dataset's share of the source is known as it is routed; else the source is counted
    # when that is cheap, behind the first screen.
    counting = routed is None or routed.overlap is None

    def run_feed(notify: Callable[[FeedEvent], None], should_stop: Callable[[], bool]) -> None:
        from annotator.feed import SourceCounted  # in the feed's thread (OpenedSource.run_feed)

        if counting and (total := count_source(o.source)) is not None:
            notify(SourceCounted(total))
        opened.run_feed(dataset, notify, should_stop)

    app = AnnotatorApp(session, opened.display or "model", run_feed, keymap)
    app.annotate_screen.notes = list(notes)
    if o.learn:
        # Imported here: it brings multiprocessing and the learner's protocol, 20 ms of every
        # start that does not learn.
        from annotator.learn import LearnerClient, attach, setup_from_store

        screen = app.annotate_screen
        client = LearnerClient(
            lambda: setup_from_store(session.store, dataset, o.model, scheme, o.relation_rules),
            on_event=lambda reply: screen.post_message(LearnerNews(reply)),  # thread-safe
        )
        attach(session, client)
        app.learner = client
    return app, notes


def prepare_only(opened: OpenedSource, dataset: str, say: Callable[[str], None]) -> int:
    """``annotate --prepare-only``: what the screen's feed does behind it, here without a screen:
    every task of the source not stored yet is stored (pre-annotated by the model when it needs
    it) and routed. Says how far it got; returns the exit status."""
    from annotator.feed import FeedDone, FirstText, ModelLoaded, TasksAdded

    stored = 0
    done = FeedDone()

    def notify(event: FeedEvent) -> None:
        nonlocal stored, done
        if isinstance(event, FirstText):
            event.shown.set()  # nothing to draw: the feed need not wait for a screen
        elif isinstance(event, ModelLoaded):
            say(f"the model {event.name} is loaded")
        elif isinstance(event, TasksAdded):
            stored += event.count
            say(f"{counted(stored, 'task')} stored")
        elif isinstance(event, FeedDone):
            done = event

    try:
        opened.run_feed(dataset, notify, lambda: False)
        total = opened.store.task_count(dataset)
        routing = opened.store.routing(dataset)
    finally:
        opened.store.close()
    say(f"dataset {dataset!r} holds {counted(total, 'task')} ({stored} new); open it with annotate or serve")
    if routing is not None and routing.overlap is not None:  # the shares as they stand now
        say(Routed(dataset, routing.overlap, dict(routing.loads)).describe())
    for problem in done.problems[:50]:
        say(f"bad record: {problem}")
    if len(done.problems) > 50:
        say(f"… and {len(done.problems) - 50} more bad records")
    if done.error:
        say(f"error while preparing the source: {done.error}")
    return 1 if done.problems or done.error else 0


def route_for(
    store: Store, dataset: str, who: str | None, annotators: str | None, overlap: str | None, notes: list[str]
) -> None:
    """``--annotators``/``--overlap`` route a dataset on its first annotate (as ``annotator assign``
    does); an annotator a routed dataset does not name yet joins it (``who``; None: nobody); tasks
    stored since the last run are routed."""
    if annotators is not None or overlap is not None:
        if annotators is None:
            raise AnnotatorError("--overlap routes the dataset to --annotators A,B,...: name them too")
        names = parse_names(annotators)
        done = assign(store, dataset, names, parse_overlap(overlap or "all", len(names)))
        notes.append(done.describe())
    if who is not None:
        joined = join(store, dataset, who)
        if joined.joined:
            notes.append(
                f"{who} joined {dataset}: took over {joined.moved} untouched task(s) from the others"
            )
    top_up(store, dataset)


def failure(app: FaultReporting, where: str) -> str | None:
    """What went wrong in the app, for the line after it quits: a storage fault or a crash. Never
    "all saved": after a fault the last edit was not written; after a crash, what the screen drew
    had been written, what it was doing when it stopped maybe not."""
    if app.fault is not None:
        return (
            f"NOT everything is saved: the database stopped taking writes ({app.fault}); "
            f"every edit shown before the fault is in {where}"
        )
    if app.return_code:
        reason = app.crash or "an internal error"
        return (
            f"the screen stopped on an error: {reason} (the report above); every edit it had "
            f"shown before it is in {where}"
        )
    return None


def summary(app: AnnotatorApp) -> tuple[str, int]:
    s = app.session
    code = 0
    lines: list[str] = []
    bad = failure(app, s.store.location)
    try:
        counts = s.counts()
    except StoreError as exc:
        counts = None
        bad = bad or f"NOT everything may be saved: {exc}"
    done = (
        f"{counts.get('accept', 0)} accepted, {counts.get('reject', 0)} rejected, "
        f"{counts.get('ignore', 0)} ignored, {counts.get('draft', 0)} drafts"
        if counts is not None
        else "counts unknown"
    )
    if bad:
        code = 1
        lines.append(f"{s.dataset} · {s.annotator}: {done}")
        lines.append(bad)
    else:
        lines.append(f"{s.dataset} · {s.annotator}: {done}; all saved in {s.store.location}")
    if app.problems:
        code = 1
        lines.append(f"{counted(len(app.problems), 'bad record')} in the source skipped:")
        lines.extend(f"  {p}" for p in app.problems[:50])
        if len(app.problems) > 50:
            lines.append(f"  … and {len(app.problems) - 50} more")
    if app.feed_error:
        code = 1
        lines.append(f"error while preparing the source: {app.feed_error}")
    return "\n".join(lines), code


def finish_learning(app: AnnotatorApp, save_model: Path | None) -> list[str]:
    """After the screen closes: save the learnt model if asked, and stop the learner process."""
    client = app.learner
    if client is None:
        return []
    lines: list[str] = []
    try:
        if save_model is not None and not client.started:
            lines.append(f"nothing saved to {save_model}: no task was accepted, so the model learnt nothing")
        elif save_model is not None:
            if client.save(save_model):
                lines.append(
                    f"saved the model (+{client.updates} updates) to {save_model}; use it with --model {save_model}"
                )
            else:
                lines.append(
                    f"could not save the model to {save_model}: {client.failed or 'the learner did not answer'}"
                )
    finally:
        client.stop()
    return lines


def served_annotate(dataset: str, name: str | None) -> AnnotatorApp:
    """The annotate app of one browser connection (``annotator serve``): the tasks the dataset
    holds, in the database ``$ANNOTATOR_DB`` names, as the annotator the page named, or the one the
    first screen asks for. Every session of a dataset shares the store: routing, the guard against
    two windows of one annotator, and the correction memory work as in the terminal."""
    from annotator.tui.screens.name import NamedLater  # the name screen: a browser's only

    store = Store(resolve_db(None), create=False)
    scheme, display = scheme_for(None, None, None, None, [], None, store.scheme(dataset))

    def start(who: str) -> AnnotationSession:
        route_for(store, dataset, who, None, None, [])
        session = AnnotationSession(store, dataset, who, scheme)
        session.guard = True
        session.use_memory()
        return session

    # The server's own keys.toml is not the browser user's: the default keys.
    return AnnotatorApp(NamedLater(start, "annotator", dataset, name), display or "model", None, {})
