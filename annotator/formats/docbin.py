"""spaCy's binary training format: a ``DocBin`` (``.spacy`` file) of ``Doc`` objects.

Each task becomes a ``Doc`` whose text is exactly the task's text: one word per token of the task,
plus whitespace words for any text its tokens leave uncovered (spaCy's own convention). Spans are
``doc.ents``; relations go in ``doc.user_data`` under the key of a ``doc._.rel`` extension, as the
spaCy relation-extraction tutorial (explosion/projects ``tutorials/rel_component``) reads them:
``{(head_ent_start_token, child_ent_start_token): {label: 1.0}}``. The task's meta, input hash,
answer and annotator go in ``doc.user_data["annotator"]``, so a DocBin written here reads back into
the same tasks.

Span groups (``doc.spans``, as spancat data holds them) are counted as not supported on import.

``spacy train`` reads these files directly (``--paths.train train.spacy --paths.dev dev.spacy``).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from annotator.core.errors import AnnotatorError, InvalidAnnotation
from annotator.core.hashing import input_hash
from annotator.core.model import ANSWERS, Annotation, Relation, Span, Task, Token
from annotator.core.validate import validate_annotation, validate_tokens
from annotator.formats.atomic import write_bytes
from annotator.formats.base import Counts, Item, describe
from annotator.formats.problems import Problems
from annotator.formats.tokens import words_and_spaces

REL_KEY = ("._.", "rel", None, None)  # where spaCy keeps the value of the doc._.rel extension
INFO_KEY = "annotator"


def _vocab() -> Any:
    from spacy.vocab import Vocab

    return Vocab()


def to_doc(vocab: Any, task: Task, annotation: Annotation) -> Any:
    from spacy.tokens import Doc

    words, spaces = words_and_spaces(task)
    doc = Doc(vocab, words=words, spaces=spaces)
    if doc.text != task.text:  # words_and_spaces guarantees it; a failure here is a bug, not input
        raise AnnotatorError(f"{describe(task)}: the Doc's text differs from the task's")
    ents = []
    start_of: dict[int, int] = {}
    for s in sorted(annotation.spans, key=lambda s: s.start):
        ent = doc.char_span(s.start, s.end, label=s.label)
        if ent is None:
            raise AnnotatorError(
                f"{describe(task)}: span [{s.start}:{s.end}] {s.label} does not fit the Doc's tokens"
            )
        ents.append(ent)
        start_of[s.sid] = ent.start
    try:
        doc.ents = ents
    except ValueError as exc:  # overlapping spans: a Doc's ents cannot overlap
        raise AnnotatorError(f"{describe(task)}: {exc}") from exc
    rel: dict[tuple[int, int], dict[str, float]] = {}
    for r in annotation.relations:
        rel.setdefault((start_of[r.head], start_of[r.child]), {})[r.label] = 1.0
    if rel:
        user_data: dict[Any, Any] = doc.user_data
        user_data[REL_KEY] = rel
    info: dict[str, Any] = {"input_hash": task.input_hash}
    if task.meta:
        info["meta"] = dict(task.meta)
    if task.extra:
        info["extra"] = dict(task.extra)
    for key in ("answer", "annotator", "session", "timestamp"):
        value = getattr(annotation, key)
        if value is not None:
            info[key] = value
    doc.user_data[INFO_KEY] = info
    return doc


# Docs a DocBin holds before it is written out: a DocBin is one msgpack+zlib blob built in memory
# (1.8 GB for 100,000 short tasks, 274 MB for 10,000), so a larger export is a folder of files of this
# many docs.
CHUNK = 2_000


def write(path: Path, items: Iterable[Item]) -> Counts:
    """One ``.spacy`` file, or, past CHUNK docs, a folder ``path`` of ``part-00001.spacy``...: spaCy
    reads a folder of .spacy files as one corpus (``spacy train --paths.train``), and so does
    ``annotator import``. Memory stays that of one chunk whatever the size of the export."""
    from spacy.tokens import DocBin

    path = Path(path)
    vocab = _vocab()
    counts = Counts(paths=[path])
    docbin = DocBin(store_user_data=True)
    parts: list[Path] = []
    staging = path.with_name(f".{path.name}.parts")
    try:
        for task, annotation in items:
            if len(docbin) == CHUNK:
                if not parts:
                    if staging.exists():
                        shutil.rmtree(staging)
                    staging.mkdir(parents=True)
                parts.append(staging / f"part-{len(parts) + 1:05d}.spacy")
                write_bytes(parts[-1], docbin.to_bytes())
                docbin = DocBin(store_user_data=True)
            docbin.add(to_doc(vocab, task, annotation))
            counts.add(annotation)
        if not parts:
            _replaceable(path)
            write_bytes(path, docbin.to_bytes())
            return counts
        if len(docbin):
            parts.append(staging / f"part-{len(parts) + 1:05d}.spacy")
            write_bytes(parts[-1], docbin.to_bytes())
        _replaceable(path)
        if path.exists():
            path.unlink()
        staging.rename(path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return counts


def _replaceable(path: Path) -> None:
    """An earlier export in chunks (a folder of nothing but part-*.spacy files) is removed, so that
    this one replaces it; any other folder is refused rather than touched."""
    if not path.is_dir() or path.is_symlink():
        return
    inside = list(path.iterdir())
    if any(not (p.is_file() and p.name.startswith("part-") and p.suffix == ".spacy") for p in inside):
        raise AnnotatorError(f"{path} is a folder that is not a spaCy export of this tool; not replaced")
    for part in inside:
        part.unlink()
    path.rmdir()


def _json(value: Any) -> Any:
    """msgpack gives arrays back as tuples; meta and extra hold JSON, where they are lists."""
    if isinstance(value, tuple | list):
        return [_json(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    return value


def from_doc(doc: Any) -> Item:
    text = doc.text
    tokens = tuple(Token(t.text, t.idx, t.idx + len(t.text), t.i, bool(t.whitespace_)) for t in doc)
    validate_tokens(text, tokens)
    found = doc.user_data.get(INFO_KEY)
    info: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    meta: Mapping[str, Any] = info["meta"] if isinstance(info.get("meta"), Mapping) else {}
    extra: Mapping[str, Any] = info["extra"] if isinstance(info.get("extra"), Mapping) else {}
    ihash = info.get("input_hash")
    task = Task(
        text, tokens, ihash if isinstance(ihash, int) else input_hash(text), _json(meta), _json(extra)
    )
    spans = tuple(
        Span(e.start_char, e.end_char, e.start, e.end - 1, e.label_, None, i + 1)
        for i, e in enumerate(doc.ents)
    )
    sid_at = {s.token_start: s.sid for s in spans}
    relations: list[Relation] = []
    rel = doc.user_data.get(REL_KEY)
    if isinstance(rel, Mapping):
        for key, labels in rel.items():
            if not (isinstance(key, tuple | list) and len(key) == 2) or not isinstance(labels, Mapping):
                raise InvalidAnnotation(f"doc._.rel key {key!r} is not (head start, child start)")
            head, child = sid_at.get(key[0]), sid_at.get(key[1])
            if head is None or child is None:
                raise InvalidAnnotation(f"doc._.rel {tuple(key)} does not start at two of the Doc's entities")
            # The tutorial also stores 0.0 for every pair that is not related: those are not relations.
            relations += [
                Relation(head, child, str(label)) for label, score in labels.items() if score >= 0.5
            ]
    answer = info.get("answer")

    def text_or_none(key: str) -> str | None:
        value = info.get(key)
        return value if isinstance(value, str) else None

    timestamp = info.get("timestamp")
    annotation = Annotation(
        spans,
        tuple(relations),
        answer if answer in ANSWERS else None,
        text_or_none("annotator"),
        text_or_none("session"),
        timestamp if isinstance(timestamp, int) else None,
    )
    validate_annotation(task, annotation)
    return task, annotation


def files(path: Path) -> list[Path]:
    path = Path(path)
    return sorted(path.rglob("*.spacy")) if path.is_dir() else [path]


def read(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item]:
    from spacy.tokens import DocBin

    vocab = _vocab()
    found = files(Path(path))
    if not found:
        problems.report(str(path), None, "no .spacy files in this folder")
    for file in found:
        try:
            docbin = DocBin().from_disk(file)
        except Exception as exc:  # spaCy raises ValueError, KeyError or msgpack errors for a bad file
            problems.report(str(file), None, f"not a spaCy DocBin file ({type(exc).__name__}: {exc})")
            continue
        for n, doc in enumerate(docbin.get_docs(vocab), 1):
            # Span groups (spancat data) may overlap and are no entity spans: counted, not held.
            for key, group in doc.spans.items():
                for _ in group:
                    problems.not_supported(f"span in doc.spans[{key!r}] (a span group)", str(file), None)
            try:
                yield from_doc(doc)
            except InvalidAnnotation as exc:
                problems.report(str(file), None, f"doc {n}: {exc}")
