"""Pre-annotating a whole corpus into a gold-schema JSONL file, without the UI."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson
from spacy.language import Language

from annotator.core.errors import AnnotatorError, BadRecord
from annotator.core.records import to_record
from annotator.core.scheme import LabelScheme
from annotator.nlp.preannotate import preannotate_stream
from annotator.nlp.relations import RelationSuggester
from annotator.sources import read_source


@dataclass
class PreannotateResult:
    tasks: int = 0
    tokens: int = 0
    spans: int = 0
    relations: int = 0
    problems: list[BadRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def preannotate_file(
    source: Path,
    output: Path,
    nlp: Language,
    scheme: LabelScheme,
    *,
    model_name: str,
    relation_suggester: RelationSuggester | None = None,
    batch_size: int | None = None,
    n_process: int = 1,
    on_task: Callable[[int], None] | None = None,
) -> PreannotateResult:
    """Read ``source``, pre-annotate it through ``nlp.pipe`` and write every task to ``output``.

    The file is written beside its destination and renamed into place at the end, so an
    interrupted run leaves no half-written output. ``on_task`` is called with the number of records done (written or bad)."""
    if output.exists() and source.exists() and output.resolve() == source.resolve():
        raise AnnotatorError(f"{output}: the output would overwrite the source; choose another -o")
    if output.is_dir():
        raise AnnotatorError(f"{output}: is a folder; give a file name such as {output / 'tasks.jsonl'}")
    result = PreannotateResult()
    items = read_source(source, result.problems, result.warnings)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    except OSError as exc:
        raise AnnotatorError(f"{output}: cannot write there: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            stream = preannotate_stream(
                nlp,
                items,
                scheme,
                batch_size,
                n_process,
                model_name=model_name,
                relation_suggester=relation_suggester,
                problems=result.problems,
            )
            for task, annotation in stream:
                fh.write(orjson.dumps(to_record(task, annotation)))
                fh.write(b"\n")
                result.tasks += 1
                result.tokens += len(task.tokens)
                result.spans += len(annotation.spans)
                result.relations += len(annotation.relations)
                if on_task is not None:
                    on_task(result.tasks + len(result.problems))
        # mkstemp makes the file private; give it the permissions a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result
