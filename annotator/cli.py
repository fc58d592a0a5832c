"""The command line: parse arguments, call a service, print. No annotation logic lives here."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from annotator.core.errors import AnnotatorError

app = typer.Typer(
    name="annotator",
    help="Keyboard-driven gold NER and relation annotation in the terminal, pre-annotated by spaCy.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="SQLite database file (default: $ANNOTATOR_DB, else ./annotator.db)."),
]


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"annotator: {message}", err=True)
    return typer.Exit(code)


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(help="File or folder to import.")],
    dataset: Annotated[str, typer.Option("--dataset", "-d")],
    annotator: Annotated[str, typer.Option("--annotator", "-a")],
    format: Annotated[str | None, typer.Option("--format", "-f")] = None,
    db: DbOption = None,
) -> None:
    """Store a file's tasks, with their answers, as one annotator's annotations."""
    raise fail("import is not built yet")


@app.command()
def export(
    dataset: Annotated[str, typer.Option("--dataset", "-d")],
    annotator: Annotated[str | None, typer.Option("--annotator", "-a")] = None,
    gold: Annotated[bool, typer.Option("--gold")] = False,
    answer: Annotated[str, typer.Option("--answer")] = "accept",
    output: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    format: Annotated[str, typer.Option("--format", "-f")] = "jsonl",
    split: Annotated[float | None, typer.Option("--split")] = None,
    seed: Annotated[int, typer.Option("--seed")] = 0,
    db: DbOption = None,
) -> None:
    """Write a dataset's annotations (default exports/<dataset>.jsonl)."""
    raise fail("export is not built yet")


@app.command()
def agreement(
    files: Annotated[list[Path] | None, typer.Argument(help="Two gold JSONL files to compare.")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", "-d")] = None,
    annotators: Annotated[str | None, typer.Option("--annotators")] = None,
    json_: Annotated[bool, typer.Option("--json")] = False,
    details: Annotated[bool, typer.Option("--details")] = False,
    db: DbOption = None,
) -> None:
    """Measure how far two (or more) annotators agree on spans, tokens and relations."""
    raise fail("agreement is not built yet")


def main() -> None:
    try:
        app()
    except AnnotatorError as exc:
        typer.echo(f"annotator: {exc}", err=True)
        sys.exit(1)
