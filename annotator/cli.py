"""The command line: parse arguments, call a service, print. No annotation logic lives here."""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup
from typer.main import get_command_name, get_group
from typer.models import CommandInfo

from annotator.core.display import json_for_terminal, visible
from annotator.core.errors import AnnotatorError, describe_os_error
from annotator.core.names import NAME_RULE, name_problem, shown
from annotator.core.wording import counted


def say(text: str, err: bool = False) -> None:
    """Print a line (or lines) of output. Every line the CLI prints goes through here, and every
    control character in it is drawn as a visible stand-in: names, labels and messages quoting
    data never reach the terminal as escape sequences. Callers map one-line fields with
    ``visible`` themselves, so that a newline inside a name cannot forge a line either."""
    typer.echo(visible(text, keep="\n"), err=err)


def warn(message: str) -> None:
    """One line on stderr, ``annotator: `` first; a newline inside the message is drawn too."""
    say(f"annotator: {visible(message)}", err=True)


class _ErrorsForUsers(TyperGroup):
    """Every command's AnnotatorError becomes one line on stderr and exit status 1: a user error is
    never a traceback, whichever way the app is invoked (console script, python -m, CliRunner). So
    does an OSError (a disk that fills up while an output is written, a place that cannot be
    written): a storage fault, not a bug."""

    def invoke(self, ctx: Any) -> Any:  # click.Context, vendored by typer under a private name
        try:
            return super().invoke(ctx)
        except AnnotatorError as exc:
            warn(str(exc))
            raise typer.Exit(1) from None
        except OSError as exc:
            warn(describe_os_error(exc))
            raise typer.Exit(1) from None


def _typer() -> typer.Typer:
    return typer.Typer(
        cls=_ErrorsForUsers,
        name="annotator",
        help="Keyboard-driven gold NER and relation annotation in the terminal, pre-annotated by spaCy.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )


app = _typer()


def _checked_names(option: str) -> Callable[[str | None], str | None]:
    """A callback that refuses a name (or each of a comma-separated list) against the one rule for
    dataset, annotator and reviewer names, before the command runs."""

    def check(value: str | None) -> str | None:
        if value is not None:
            for name in value.split(",") if option == "--annotators" else [value]:
                problem = name_problem(name.strip() if option == "--annotators" else name)
                if problem is not None:
                    raise AnnotatorError(f"{option} {shown(name)} {problem}: {NAME_RULE}")
        return value

    return check


# Options several commands share, declared once so that their names and help cannot drift apart.
DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="SQLite database file, or postgresql://user@host:port/dbname (default: $ANNOTATOR_DB, else ./annotator.db).",
    ),
]
RouteAnnotatorsOption = Annotated[
    str | None,
    typer.Option(
        "--annotators",
        help="Route the dataset's tasks to these annotators: A,B,C (see assign).",
        callback=_checked_names("--annotators"),
    ),
]
OverlapOption = Annotated[
    str | None,
    typer.Option("--overlap", help="Annotators per task: a number, or all (the default)."),
]
SourceArgument = Annotated[
    Path, typer.Argument(help="A .txt file, a folder of .txt files, or a .jsonl of tasks.")
]
AnnotatorOption = Annotated[
    str | None,
    typer.Option(
        "--annotator", "-a", help="Your name (default: login).", callback=_checked_names("--annotator")
    ),
]
LabelsOption = Annotated[
    str | None, typer.Option("--labels", "-l", help="Entity labels in key order: L1,L2,...")
]
RelationsOption = Annotated[str | None, typer.Option("--relations", help="Relation labels in key order.")]
PatternsOption = Annotated[
    Path | None,
    typer.Option(
        "--patterns",
        help="spaCy SpanRuler patterns (JSONL) whose matches are suggested, on the layer of their label.",
    ),
]
SpanGroupsOption = Annotated[
    str | None,
    typer.Option(
        "--span-groups",
        help="Span groups (doc.spans[KEY], spans may overlap) with their labels: sc:SKILL,TOOL;facts:CLAIM.",
    ),
]
RulesOption = Annotated[
    Path | None, typer.Option("--relation-rules", help="Relation suggestion rules (TOML or JSON).")
]
ModelOption = Annotated[str | None, typer.Option("--model", "-m", help="spaCy pipeline name or path.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", "-c", help="Label scheme TOML.")]
LabelMapOption = Annotated[
    str | None,
    typer.Option(
        "--label-map", help="The model's labels onto the scheme's: PERSON=PER,GPE=LOC (adds to [label_map])."
    ),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    warn(message)
    return typer.Exit(code)


@app.command()
def annotate(
    source: SourceArgument,
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset",
            "-d",
            help="Dataset to store the annotations in.",
            callback=_checked_names("--dataset"),
        ),
    ],
    annotator: AnnotatorOption = None,
    labels: LabelsOption = None,
    relations: RelationsOption = None,
    relation_rules: RulesOption = None,
    model: ModelOption = None,
    config: ConfigOption = None,
    label_map: LabelMapOption = None,
    span_groups: SpanGroupsOption = None,
    patterns: PatternsOption = None,
    no_memory: Annotated[
        bool,
        typer.Option(
            "--no-memory", help="Do not let your corrections in accepted tasks change later suggestions."
        ),
    ] = False,
    learn: Annotated[
        bool, typer.Option("--learn", help="Update the model on every accepted task while you work.")
    ] = False,
    save_model: Annotated[
        Path | None,
        typer.Option("--save-model", help="With --learn: keep the updated pipeline in this folder."),
    ] = None,
    order: Annotated[
        str,
        typer.Option(
            "--order",
            help="Which task opens next: 'source' (in order) or 'uncertain' (the least sure of the next 10; every 5th in order).",
        ),
    ] = "source",
    committee: Annotated[
        str | None,
        typer.Option(
            "--committee",
            help="A second spaCy pipeline: where it disagrees with the model is unsure, and --order uncertain sorts by the disagreements.",
        ),
    ] = None,
    annotators: RouteAnnotatorsOption = None,
    overlap: OverlapOption = None,
    prepare: Annotated[
        bool,
        typer.Option(
            "--prepare-only",
            help="Store (and route) the source's tasks, pre-annotated, then exit without a screen: for a team that annotates them with annotator serve or on other machines.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Correct spaCy's suggestions in the terminal; every edit is saved as you make it.

    On a routed dataset (annotator assign, or --annotators/--overlap on its first annotate) you see your own tasks only; a name the routing does not have yet joins it."""
    if not prepare:  # a screen: no garbage collection before its first frame (tui/collector.py)
        from annotator.tui import collector

        collector.starting()
    from annotator.tui.annotate_options import AnnotateOptions
    from annotator.tui.launch import finish_learning, open_source, prepare_only, run_annotate, summary

    options = AnnotateOptions(
        source,
        dataset,
        labels=labels,
        relations=relations,
        relation_rules=relation_rules,
        model=model,
        config=config,
        db=db,
        label_map=label_map,
        span_groups=span_groups,
        patterns=patterns,
        annotators=annotators,
        overlap=overlap,
        committee=committee,
        memory=not no_memory,
        learn=learn,
        save_model=save_model,
        order=order,
    )
    if prepare:
        if learn or annotator is not None:
            raise fail(
                "--prepare-only opens no screen: nobody annotates, so --annotator and --learn do not go with it"
            )
        notes: list[str] = []
        opened = open_source(options, None, notes)
        for note in notes:
            warn(note)
        raise typer.Exit(prepare_only(opened, dataset, say))
    if str(source) == "-":  # the screen reads its keys from standard input
        raise fail(
            "annotate takes its keys from the terminal, so it cannot read tasks from standard input; "
            "give a file, a folder or a pipe (<(command)), or `preannotate - -o tasks.jsonl` first"
        )
    app, said = run_annotate(options, annotator)
    for note in said:
        warn(note)
    app.run()
    for line in finish_learning(app, save_model):
        say(line, err=True)
    text, code = summary(app)
    say(text)
    raise typer.Exit(code)


@app.command()
def demo(
    annotator: AnnotatorOption = None,
    db: DbOption = None,
) -> None:
    """Annotate the bundled news article (dataset "demo"); then: annotator export --dataset demo."""
    from annotator.tui.annotate_options import AnnotateOptions
    from annotator.tui.launch import DEMO_LABELS, run_annotate, sample_path, summary

    app, _ = run_annotate(AnnotateOptions(sample_path(), "demo", labels=DEMO_LABELS, db=db), annotator)
    app.run()
    text, code = summary(app)
    say(text)
    say("next: annotator export --dataset demo   (writes exports/demo.jsonl)")
    raise typer.Exit(code)


@app.command()
def preannotate(
    source: SourceArgument,
    output: Annotated[Path, typer.Option("--output", "-o", help="JSONL file to write the tasks to.")],
    model: ModelOption = None,
    n_process: Annotated[int, typer.Option("--n-process", min=1, help="Processes for nlp.pipe.")] = 1,
    batch_size: Annotated[
        int | None,
        typer.Option("--batch-size", min=1, help="Texts per nlp.pipe batch (default: the model's)."),
    ] = None,
    labels: LabelsOption = None,
    relations: RelationsOption = None,
    relation_rules: RulesOption = None,
    config: ConfigOption = None,
    label_map: LabelMapOption = None,
    span_groups: SpanGroupsOption = None,
    patterns: PatternsOption = None,
) -> None:
    """Pre-annotate a corpus with spaCy (entities and relations) into gold-schema JSONL, without the UI."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from annotator.config import resolve_scheme
    from annotator.nlp.batch import preannotate_file
    from annotator.nlp.model import display_name, entity_labels, load_model, model_name
    from annotator.nlp.relations import RelationSuggester
    from annotator.sources import count_source

    total = count_source(source)
    notes: list[str] = []
    nlp = load_model(model, notes)
    scheme = resolve_scheme(
        labels, config, relations, entity_labels(nlp), notes, label_map, span_groups=span_groups
    )
    if patterns is not None:
        from annotator.nlp.patterns import add_patterns

        notes.append(f"{add_patterns(nlp, patterns)} patterns from {patterns} suggest spans too")
    suggester = (
        RelationSuggester.from_file(nlp.vocab, scheme, relation_rules, model_source=model_name(nlp))
        if scheme.relations
        else None
    )
    for note in notes:
        warn(note)
    console = Console(stderr=True)
    with Progress(
        # The model's name is data: neither markup nor a str.format field ({task} is filled in).
        TextColumn(
            visible(f"pre-annotating with {display_name(nlp)}").replace("{", "{{").replace("}", "}}"),
            markup=False,
        ),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=console.is_terminal,
    ) as progress:
        bar = progress.add_task("tasks", total=total)
        result = preannotate_file(
            source,
            output,
            nlp,
            scheme,
            model_name=model_name(nlp),
            relation_suggester=suggester,
            batch_size=batch_size,
            n_process=n_process,
            on_task=lambda n: progress.update(bar, completed=n),
        )
    for warning in result.warnings:
        warn(warning)
    for problem in result.problems:
        warn(str(problem))
    say(
        f"wrote {counted(result.tasks, 'task')} ({counted(result.spans, 'span')}, "
        f"{counted(result.relations, 'relation')}) to {output}"
    )
    if result.problems:
        raise fail(f"{len(result.problems)} bad record(s) skipped; see above")


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(help="File or folder to import.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d", callback=_checked_names("--dataset"))],
    annotator: Annotated[str, typer.Option("--annotator", "-a", callback=_checked_names("--annotator"))],
    format: Annotated[str | None, typer.Option("--format", "-f")] = None,
    db: DbOption = None,
) -> None:
    """Store a file's tasks, with their answers, as one annotator's annotations.

    Formats: jsonl (Prodigy), doccano, brat (a folder of .txt + .ann), conll, spacy (DocBin), label-studio (JSON export); guessed from the file when --format is not given.

    Records without an answer are stored as accepted. A file with several users' work (doccano multi-user, Label Studio) stores each as <annotator>-<user id>.

    Formats without tokens are tokenized with spaCy's rule-based tokenizer for $ANNOTATOR_LANG (default en), split where a span edge falls inside a token. Exits 1 if any record was bad (the good ones are stored)."""
    import os

    from annotator.store import Store, resolve_db
    from annotator.transfer.importing import import_file, import_lines

    with Store(resolve_db(db)) as store:
        report = import_file(
            store, source, dataset, annotator, format, lang=os.environ.get("ANNOTATOR_LANG", "en")
        )
    out, err = import_lines(report, source, dataset)
    for line in err:
        warn(line)
    for line in out:
        say(line)
    if report.problems.bad:
        raise fail(f"{len(report.problems.bad)} bad record(s), or parts of records, not imported; see above")


@app.command()
def export(
    dataset: Annotated[str, typer.Option("--dataset", "-d", callback=_checked_names("--dataset"))],
    annotator: Annotated[
        str | None, typer.Option("--annotator", "-a", callback=_checked_names("--annotator"))
    ] = None,
    gold: Annotated[
        bool, typer.Option("--gold", help="Write the adjudicated set (whoever reviewed the dataset).")
    ] = False,
    reviewer: Annotated[
        str | None,
        typer.Option(
            "--reviewer",
            "-r",
            help="With --gold: whose gold set, when several reviewed.",
            callback=_checked_names("--reviewer"),
        ),
    ] = None,
    answer: Annotated[str, typer.Option("--answer")] = "accept",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    format: Annotated[str, typer.Option("--format", "-f")] = "jsonl",
    split: Annotated[float | None, typer.Option("--split")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    db: DbOption = None,
) -> None:
    """Write a dataset's annotations (default exports/<dataset>.jsonl; the gold set exports/<dataset>.gold.jsonl).

    Formats: jsonl (the gold schema), doccano, brat, conll, spacy. --gold exports the adjudicated set, whoever reviewed it (--reviewer R chooses when several did); without --annotator or --gold every annotator's annotations are written.

    --answer accept (default), all (accept, reject, ignore) or a comma-separated list. --split 0.8 --seed N writes train and dev files into the folder -o names."""
    from annotator.store import Store, resolve_db
    from annotator.transfer.exporting import export_dataset, export_lines

    path = resolve_db(db)
    if isinstance(path, Path) and not path.exists():
        raise fail(f"no database at {path} (give --db or set ANNOTATOR_DB)")
    with Store(path, create=False, read_only=True) as store:
        report = export_dataset(
            store,
            dataset,
            fmt=format,
            output=output,
            annotator=annotator,
            gold=gold,
            reviewer=reviewer,
            answer=answer,
            split=split,
            seed=seed,
        )
    out, err = export_lines(report)
    for line in err:
        warn(line)
    for line in out:
        say(line)
    if report.counts.failed:
        raise fail(
            f"{report.counts.failed} task(s) that {report.format} cannot hold were left out; see above"
        )


@app.command()
def agreement(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Two (or more) gold JSONL files to compare.")
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", "-d", callback=_checked_names("--dataset"))
    ] = None,
    annotators: Annotated[
        str | None,
        typer.Option(
            "--annotators",
            help="Two or more names: A,B[,C]. A is the reference.",
            callback=_checked_names("--annotators"),
        ),
    ] = None,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    details: Annotated[bool, typer.Option("--details", help="List every disagreement.")] = False,
    db: DbOption = None,
) -> None:
    """Measure how far two (or more) annotators agree on spans, tokens and relations.

    Compares annotators in the database (--dataset D --annotators A,B[,C]; without --annotators, the annotators the dataset is routed to, each pair on the tasks it shares) or gold JSONL files (A.jsonl B.jsonl).

    Tasks are paired by input hash; only tasks both accepted are compared. The first annotator is the reference: precision = matches / spans of the second."""
    from annotator.reports.agreement import render_details, render_table, to_json
    from annotator.reports.agreement_files import compare_files
    from annotator.reports.agreement_input import Sides, compare_store, parse_annotators

    if files and (dataset or annotators):
        raise fail("give either two files or --dataset with --annotators, not both")
    if files:
        # The files read once, side by side, task by task: memory does not grow with the files.
        report, loaded = compare_files(files, details=details)
    elif dataset and not annotators:
        from annotator.routing import routed_annotators
        from annotator.store import resolve_db

        routed = routed_annotators(resolve_db(db), dataset)
        if len(routed) < 2:
            raise fail(
                "give two gold JSONL files, or --dataset D --annotators A,B "
                f"(dataset {dataset!r} is not routed to two or more annotators)"
            )
        loaded = Sides()
        report = compare_store(resolve_db(db), dataset, routed, details=details)
    elif dataset and annotators:
        from annotator.store import resolve_db

        # Streamed from the database, task by task: memory does not grow with the dataset.
        loaded = Sides()
        report = compare_store(resolve_db(db), dataset, parse_annotators(annotators), details=details)
    else:
        raise fail("give two gold JSONL files, or --dataset D --annotators A,B")
    for problem in loaded.bad:
        warn(f"bad record: {problem}")
    for warning in loaded.warnings:
        warn(f"warning: {warning}")
    for message in report.problems:
        warn(message)
    for pair in report.pairs:
        if pair.tasks.compared == 0:
            a, b = pair.annotators
            warn(f"no task was accepted by both {a} and {b}")
    if json_:
        say(json_for_terminal(to_json(report, details)))
    else:
        say(render_table(report))
        if details:
            say("")
            say(render_details(report))
    if loaded.bad or report.problems:
        raise typer.Exit(1)


ReviewPairOption = Annotated[
    str | None,
    typer.Option(
        "--annotators",
        help="The two annotators reviewed: A,B (on a routed dataset: the pair routing made, if it made one).",
        callback=_checked_names("--annotators"),
    ),
]


@app.command()
def review(
    dataset: Annotated[
        str,
        typer.Option(
            "--dataset", "-d", help="Dataset both annotators worked on.", callback=_checked_names("--dataset")
        ),
    ],
    annotators: ReviewPairOption = None,
    reviewer: Annotated[
        str,
        typer.Option(
            "--reviewer",
            "-r",
            help="Who reviews: the gold set is stored as their annotations.",
            callback=_checked_names("--reviewer"),
        ),
    ] = "gold",
    include_agreed: Annotated[
        bool, typer.Option("--include-agreed", help="Also walk the tasks where both versions agree.")
    ] = False,
    labels: LabelsOption = None,
    relations: RelationsOption = None,
    config: ConfigOption = None,
    span_groups: SpanGroupsOption = None,
    db: DbOption = None,
) -> None:
    """Resolve two annotators' disagreements, task by task, into a gold set.

    Without --annotators on a routed dataset, the pair routing made (when it made one pair; else the pairs are listed).

    The edit screen (e) uses the dataset's label scheme, stored when it was first annotated; --labels, --relations and --config override it (and are stored as the dataset's)."""
    from annotator.review import ReviewSession, review_scheme
    from annotator.routing import review_pair
    from annotator.store import Store, resolve_db
    from annotator.tui.launch import failure
    from annotator.tui.review_app import ReviewApp
    from annotator.tui.user_keymap import load_keymap

    names = [n.strip() for n in annotators.split(",") if n.strip()] if annotators is not None else []
    if annotators is not None and len(names) != 2:
        raise fail(f"--annotators takes two names, A,B (got {annotators!r})")
    path = resolve_db(db)
    if isinstance(path, Path) and not path.exists():
        raise fail(f"{path}: no such database (annotate or import first, or pass --db)")
    keymap = load_keymap(config)  # a mistake in it is said before anything is read
    with Store(path, create=False) as store:
        names = names or review_pair(store, dataset)
        notes: list[str] = []
        scheme = review_scheme(store, dataset, names, labels, config, relations, notes, span_groups)
        # The tasks are read behind the first screen (a million take minutes): said when it closes.
        session = ReviewSession(
            store, dataset, names[0], names[1], reviewer, include_agreed, scheme, background=True
        )
        for note in notes:
            warn(note)
        app = ReviewApp(session, keymap)
        app.run()
        bad = failure(app, store.location)
        if bad is not None:
            warn(bad)
            raise typer.Exit(1)
        say(session.plan.summary())
        say(session.closing(store.location))


GoldOption = Annotated[
    bool, typer.Option("--gold", help="The adjudicated set (whoever reviewed the dataset).")
]
WhoOption = Annotated[
    str | None,
    typer.Option("--annotator", "-a", help="Whose accepted tasks.", callback=_checked_names("--annotator")),
]


@app.command()
def evaluate(
    dataset: Annotated[str, typer.Option("--dataset", "-d", callback=_checked_names("--dataset"))],
    gold: GoldOption = False,
    annotator: WhoOption = None,
    model: ModelOption = None,
    labels: LabelsOption = None,
    config: ConfigOption = None,
    label_map: LabelMapOption = None,
    relation_rules: RulesOption = None,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    db: DbOption = None,
) -> None:
    """Score a model's suggestions against stored accepted annotations (spaCy's Scorer).

    Entities overall and per label, and the relation suggestions made on the model's entities. Labels scored: --labels, else the config's, else those the annotations use; the model's labels go through --label-map."""
    import orjson

    from annotator.config import scoring_scheme
    from annotator.nlp.dataset import accepted_pairs, who_from
    from annotator.nlp.evaluate import evaluate as run_evaluate
    from annotator.nlp.evaluate import render
    from annotator.nlp.model import display_name, entity_labels, load_model, model_name
    from annotator.nlp.relations import RelationSuggester
    from annotator.store import Store, resolve_db

    with Store(resolve_db(db), create=False) as store:
        who = who_from(store, dataset, gold, annotator)
        pairs = accepted_pairs(store, dataset, who)
    notes: list[str] = []
    nlp = load_model(model, notes)
    scheme = scoring_scheme(pairs, labels, config, label_map, entity_labels(nlp), notes)
    suggester = (
        RelationSuggester.from_file(nlp.vocab, scheme, relation_rules, model_source=model_name(nlp))
        if scheme.relations
        else None
    )
    for note in notes:
        warn(note)
    report = run_evaluate(
        nlp,
        pairs,
        scheme,
        model=display_name(nlp),
        model_source=model_name(nlp),
        relation_suggester=suggester,
    )
    say(json_for_terminal(orjson.dumps(report.to_json()).decode()) if json_ else render(report))


@app.command()
def train(
    dataset: Annotated[str, typer.Option("--dataset", "-d", callback=_checked_names("--dataset"))],
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write the pipeline to.")],
    gold: GoldOption = False,
    annotator: WhoOption = None,
    base: Annotated[
        str | None,
        typer.Option("--base", help="Pipeline whose NER is fine-tuned (default: the default model)."),
    ] = None,
    eval_split: Annotated[
        float, typer.Option("--eval-split", help="Share of texts kept to evaluate on.")
    ] = 0.2,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the split and of training.")] = 0,
    curve: Annotated[
        bool, typer.Option("--curve", help="Train on 25/50/75/100% and print the curve.")
    ] = False,
    labels: LabelsOption = None,
    config: ConfigOption = None,
    label_map: LabelMapOption = None,
    max_steps: Annotated[
        int, typer.Option("--max-steps", min=0, help="Stop after N updates (0: spaCy's patience).")
    ] = 0,
    max_epochs: Annotated[
        int, typer.Option("--max-epochs", min=0, help="Stop after N epochs (0: no limit).")
    ] = 0,
    eval_frequency: Annotated[
        int, typer.Option("--eval-frequency", min=1, help="Evaluate every N updates.")
    ] = 200,
    db: DbOption = None,
) -> None:
    """Fine-tune a pipeline's entity recognizer on stored accepted annotations.

    Writes a spaCy config that sources every component from the base pipeline and freezes all but ner, trains with spaCy's own loop, and writes a pipeline that --model DIR opens. The tagger and parser (and so the relation rules) are unchanged."""
    from annotator.config import scoring_scheme
    from annotator.nlp import train as training
    from annotator.nlp.dataset import accepted_pairs, who_from
    from annotator.nlp.evaluate import evaluate as run_evaluate
    from annotator.nlp.meta import DEFAULT_MODELS, read_meta
    from annotator.nlp.model import display_name, entity_labels, load_model, model_name
    from annotator.store import Store, resolve_db

    with Store(resolve_db(db), create=False) as store:
        who = who_from(store, dataset, gold, annotator)
        pairs = accepted_pairs(store, dataset, who)
    found = read_meta(base)
    base_name = base or (found[0] if found else DEFAULT_MODELS[-1])
    notes: list[str] = []
    base_nlp = load_model(base_name, notes)
    scheme = scoring_scheme(pairs, labels, config, label_map, entity_labels(base_nlp), notes)
    for note in notes:
        warn(note)

    def score(nlp: Any, part: Any) -> Any:
        return run_evaluate(nlp, part, scheme, model=display_name(nlp), model_source=model_name(nlp))

    settings = training.TrainSettings(
        base=base_name,
        seed=seed,
        eval_split=eval_split,
        max_steps=max_steps,
        max_epochs=max_epochs,
        eval_frequency=eval_frequency,
    )
    result = training.train(
        pairs,
        scheme,
        settings,
        output,
        curve=curve,
        load=lambda name: base_nlp if name == base_name else load_model(name),
        evaluate=score,
        say=warn,
    )
    if result.curve:
        say("training data   tasks   entity F1 on the evaluation part")
        for point in result.curve:
            say(f"{point.fraction:>12.0%}   {point.train_tasks:>5}   {point.report.ents.f1:.3f}")
        rising = len(result.curve) > 1 and result.curve[-1].report.ents.f1 > result.curve[-2].report.ents.f1
        say(
            "the last step still rises: more annotated data should help"
            if rising
            else "the last step does not rise: more of the same data may not help"
        )
    say(
        f"entity F1 on {result.dev_tasks} evaluation task(s): base {result.base.ents.f1:.3f}, "
        f"tuned {result.tuned.ents.f1:.3f}"
    )
    say(f"wrote {output}; use it with --model {output}")


@app.command()
def stats(
    dataset: Annotated[
        str | None,
        typer.Option("--dataset", "-d", help="Only this dataset.", callback=_checked_names("--dataset")),
    ] = None,
    db: DbOption = None,
) -> None:
    """Count accepted, rejected, ignored and drafted tasks and spans per label, per dataset and annotator (a reviewer's gold set marked "(gold)")."""
    from dataclasses import replace

    from annotator.store import Store, resolve_db
    from annotator.store.stats import StatsRow, render_stats

    path = resolve_db(db)
    # create=False: a mistyped --db must not leave an empty database behind.
    with Store(path, create=False, read_only=True) as store:
        names = store.datasets()
        if dataset is not None and dataset not in names:
            known = ", ".join(names) if names else "none"
            raise fail(f"no dataset {dataset!r} in {store.location} (datasets: {known})")
        # A reviewer's row is a gold set: said, since the gold set is a role, not a name.
        gold = {(name, r.reviewer) for name in names for r in store.reviewers(name)}
        rows = [
            replace(r, annotator=f"{r.annotator} (gold)") if (r.dataset, r.annotator) in gold else r
            for r in store.stats(dataset)
        ]
        shown = {r.dataset for r in rows}
        # Datasets nobody has annotated yet still show, with their task count.
        for name in names if dataset is None else [dataset]:
            if name not in shown:
                rows.append(StatsRow(name, "-", 0, 0, 0, 0, {}, tasks=store.task_count(name)))
    if not rows:
        say(f"{store.location}: no datasets yet")
        return
    rows.sort(key=lambda r: (r.dataset, r.annotator))
    say(render_stats(rows))


@app.command()
def assign(
    dataset: Annotated[str, typer.Option("--dataset", "-d", callback=_checked_names("--dataset"))],
    annotators: Annotated[
        str,
        typer.Option("--annotators", help="Who annotates: A,B,C.", callback=_checked_names("--annotators")),
    ],
    overlap: Annotated[
        str, typer.Option("--overlap", help="Annotators per task: a number, or all (everyone every task).")
    ] = "all",
    db: DbOption = None,
) -> None:
    """Route a dataset's tasks: each task to --overlap of the annotators, spread evenly so that every pair shares about as many tasks; tasks stored later are routed as they arrive.

    Each annotator then sees only their own tasks (annotate --annotator A), never another's annotations. An annotator named later (here, or by starting annotate) joins mid-way and takes over untouched tasks until everyone has about as much left. A routed dataset keeps its overlap."""
    from annotator.core.routing import parse_overlap
    from annotator.routing import assign as route
    from annotator.routing import parse_names
    from annotator.store import Store, resolve_db

    names = parse_names(annotators)
    chosen = parse_overlap(overlap, len(names))
    with Store(resolve_db(db)) as store:
        done = route(store, dataset, names, chosen)
        say(done.describe())
        shared = store.shared_tasks(dataset)
    if shared:
        say("tasks shared: " + ", ".join(f"{visible(a)}+{visible(b)} {n}" for (a, b), n in shared.items()))


@app.command()
def progress(
    dataset: Annotated[str, typer.Option("--dataset", "-d", callback=_checked_names("--dataset"))],
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    db: DbOption = None,
) -> None:
    """Per annotator: tasks done of assigned, accepted, rejected, ignored, drafts, time per task and tasks per hour (active time only: gaps over 5 minutes are breaks), agreement so far for each pair sharing tasks (exact span F1), and what is left."""
    from annotator.reports.progress import measure, render_progress, to_json
    from annotator.store import Store, resolve_db

    path = resolve_db(db)
    if isinstance(path, Path) and not path.exists():
        raise fail(f"no database at {path} (give --db or set ANNOTATOR_DB)")
    with Store(path, create=False) as store:
        figures = measure(store, dataset)
    if json_:
        say(json_for_terminal(to_json(figures)))
    else:
        render_progress(figures)


@app.command()
def migrate(
    source: Annotated[
        str, typer.Option("--from", help="The database to copy from (a file, or a postgresql:// URL).")
    ],
    target: Annotated[
        str, typer.Option("--to", help="The database to copy into (a postgresql:// URL, or a file).")
    ],
    datasets: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="Only this dataset (repeat for more).")
    ] = None,
) -> None:
    """Copy datasets, their tasks, annotations, schemes and the whole edit log into another database.

    Each dataset is copied in one transaction and verified before it commits: the row counts and the BLAKE2b digests of its tasks, edit log and annotations read back from the copy must equal the source's. A dataset the target already has is refused. Stop annotating the source while it runs."""
    from annotator.store import Store, resolve_db
    from annotator.store.dump import copy_dataset

    src, dst = resolve_db(source), resolve_db(target)
    if isinstance(src, Path) and not src.exists():
        raise fail(f"no database at {src}")
    if str(src) == str(dst):
        raise fail("--from and --to name the same database")
    with Store(src, create=False) as source_store, Store(dst) as target_store:
        names = datasets or source_store.datasets()
        if not names:
            raise fail(f"{source_store.location} has no datasets to copy")
        for name in names:
            done = copy_dataset(source_store, target_store, name)
            counts = done.fingerprint.counts
            say(
                f"copied {name!r} to {target_store.location}: {counted(counts['tasks'], 'task')}, "
                f"{counted(counts['annotations'], 'annotation')}, {counted(counts['edit_log'], 'edit log row')}; "
                "verified (counts and digests match the source: "
                + ", ".join(
                    f"{table} {digest[:12]}" for table, digest in sorted(done.fingerprint.digests.items())
                )
                + ")"
            )


@app.command()
def serve(
    dataset: Annotated[
        str,
        typer.Option("--dataset", "-d", help="Dataset to annotate.", callback=_checked_names("--dataset")),
    ],
    host: Annotated[
        str, typer.Option("--host", help="Address to listen on (another than this machine's: add --token).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
    review: Annotated[
        bool, typer.Option("--review", help="Serve the review screen: the page's name is the reviewer.")
    ] = False,
    annotators: ReviewPairOption = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token", envvar="ANNOTATOR_TOKEN", help="A secret the page's address must carry: ?token=T."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """The annotate screen (or --review the review screen) in a browser, through textual-serve.

    Each browser tab is one annotator's session against the shared database: open http://HOST:PORT/?annotator=NAME (without annotator= the page asks the name first). Binds to this machine only unless --host says otherwise; the page has no other authentication than --token."""
    import socket
    from urllib.parse import quote, urlencode

    from annotator.serve import TeamServer, is_loopback, session_command
    from annotator.store import Store, resolve_db

    names = [n.strip() for n in annotators.split(",") if n.strip()] if annotators is not None else None
    if names is not None and (not review or len(names) != 2):
        raise fail("--annotators names the two annotators a --review compares: A,B")
    if token is not None and not token.strip():
        raise fail("--token is empty")
    path = resolve_db(db)
    if isinstance(path, Path) and not path.exists():
        raise fail(f"no database at {path} (give --db or set ANNOTATOR_DB)")
    with Store(path, create=False) as store:
        if dataset not in store.datasets():
            known = ", ".join(store.datasets()) or "none"
            raise fail(f"no dataset {dataset!r} in {store.location} (datasets: {known})")
        if not store.task_count(dataset):
            raise fail(f"dataset {dataset!r} has no tasks yet: annotate or import some first")
        if review and names is None:
            from annotator.routing import review_pair

            names = review_pair(store, dataset)
        missing = [n for n in names or [] if n not in store.annotators(dataset)]
        if missing:
            raise fail(f"{', '.join(map(repr, missing))} annotated nothing in dataset {dataset!r}")
        location = store.location
    # The sessions find the database in their environment, so that a password is never on a command line.
    environment = {"ANNOTATOR_DB": str(path.resolve()) if isinstance(path, Path) else path}
    argv = session_command(dataset, review, ",".join(names) if names else None)
    what = f"review of {names[0]} and {names[1]}" if review and names else "annotation"
    server = TeamServer(argv, environment, host=host, port=port, token=token, title=f"annotator · {dataset}")
    # Listening on every address: the page is opened by this machine's name.
    shown_host = socket.gethostname() if host in ("0.0.0.0", "::") else host
    shown_host = f"[{shown_host}]" if ":" in shown_host else shown_host
    query = {"annotator": "NAME", **({"token": token} if token is not None else {})}
    say(f"serving the {what} of dataset {dataset!r} ({location}) on http://{shown_host}:{port}/")
    say(f"each browser tab is one session: http://{shown_host}:{port}/?{urlencode(query, quote_via=quote)}")
    if not is_loopback(host) and token is None:
        warn(
            f"warning: the page has no authentication: anyone who reaches {host}:{port} can annotate "
            "under any name; give --token T (the address must then carry ?token=T)"
        )
    say("Ctrl+C stops the server")
    try:
        server.serve()
    except OSError as exc:
        raise fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


@app.command("serve-session", hidden=True)
def serve_session(
    dataset: Annotated[str, typer.Option("--dataset", "-d", callback=_checked_names("--dataset"))],
    annotator: AnnotatorOption = None,
    review: Annotated[bool, typer.Option("--review")] = False,
    annotators: Annotated[
        str | None, typer.Option("--annotators", callback=_checked_names("--annotators"))
    ] = None,
) -> None:
    """One browser connection's app, started by annotator serve (its terminal is the page; the database is $ANNOTATOR_DB)."""
    from annotator.store import mask_url, resolve_db
    from annotator.tui.launch import failure, served_annotate
    from annotator.tui.review_app import served_review

    pair = [n.strip() for n in annotators.split(",")] if annotators is not None else None
    # Nothing goes to stdout: it carries the terminal's packets to textual-serve. What goes to
    # stderr (a storage fault, a crash) is in the server's log.
    app = served_review(dataset, pair, annotator) if review else served_annotate(dataset, annotator)
    app.run()
    target = resolve_db(None)
    bad = failure(app, mask_url(target) if isinstance(target, str) else str(target))
    if bad is not None:
        warn(bad)
        raise typer.Exit(1)


def tune_gc() -> None:
    """The cyclic garbage collector, set for large documents and datasets: it runs when 700 more
    container objects are alive than at its last run, and every tenth run of the oldest generation
    walks every object. Reading a document of 500,000 tokens made half a million tuples, so it ran
    some 700 times and walked the whole document several times over: a third of opening it, and
    pauses of tens of milliseconds while editing it. Now it runs every 50,000, and the objects alive
    at start (modules, classes, Textual's) are left out of its walks (``gc.freeze``). Objects are
    still freed by reference counting the moment they are unused; only cycles wait longer."""
    from annotator.tui import collector  # gc only: no Textual at start

    gc.freeze()
    collector.reading()


def command_line(args: Sequence[str]) -> Callable[[], object]:
    """What runs ``annotator ARGS``: a group of the one command named first, built alone. Typer
    turns every command's signature into Click's parameters before it dispatches, 35 ms of every
    start (a third of what annotate adds to a bare Textual app's) spent on the 16 commands that are
    not run. The group is the same kind as the whole app's, so usage lines, errors and ``--help``
    read the same; anything else (no command, ``--help``, a misspelt name) goes to the whole app."""
    first = args[0] if args else ""
    named = [c for c in app.registered_commands if _command_name(c) == first]
    if not named:
        return app
    alone = _typer()
    alone.registered_commands = named
    return get_group(alone)


def _command_name(command: CommandInfo) -> str:
    if command.name is not None:
        return command.name
    assert command.callback is not None
    return get_command_name(command.callback.__name__)


def main() -> None:
    tune_gc()
    command_line(sys.argv[1:])()
