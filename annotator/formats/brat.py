"""brat standoff: a folder of ``name.txt`` (the text) and ``name.ann`` (the annotations).

Held: ``T`` lines (text-bound annotations, one fragment) as spans and ``R`` lines (binary
relations, ``Arg1`` the head, ``Arg2`` the child) as relations. Not held, and reported with a
count and the first place each kind occurs, never dropped in silence: ``E`` events, ``A``/``M``
attributes, ``N`` normalizations, ``#`` notes, ``*`` equivalences, discontinuous ``T`` spans
(``start end;start end``) and relations whose argument is one of those. Event triggers are ``T``
lines like any other and are imported as spans with their type as the label.

A ``.ann`` line is a record: a bad line (offsets outside the text, text that does not match the
offsets, a span overlapping an earlier one) is reported with its line number and skipped, the rest
of the document goes on. Offsets are code points of the ``.txt`` read as it is on disk.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotator.core.errors import AnnotatorError, InvalidAnnotation
from annotator.core.model import ENTS, Annotation, Task
from annotator.formats.atomic import Files, existing_mode, files_in
from annotator.formats.base import Counts, Item, StoredRow, describe

# A reading's modules (assemble.py, with the tokenizer's and the problems' modules: some 16M
# machine instructions to import) are imported by read_document, not by an export, which writes.
if TYPE_CHECKING:
    from annotator.formats.problems import Problems

CONF_MARK = "# written by annotator: rewritten on every export while this first line stays"
_UNSUPPORTED = {
    "E": "E (event)",
    "A": "A (attribute)",
    "M": "M (attribute, old style)",
    "N": "N (normalization)",
    "#": "# (annotator note)",
    "*": "* (equivalence)",
}
_T_OFFSETS = re.compile(r"^(\d+) (\d+)$")


def _flat(text: str) -> str:
    return text.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def documents(path: Path) -> list[tuple[Path, Path, str]]:
    """(txt, ann, name) for a folder (searched recursively) or one .txt/.ann file."""
    path = Path(path)
    if path.is_dir():
        # Texts without a .ann are listed too, so that the reader says it skips them.
        # (Not with_suffix: "esp.train-doc-29" would lose ".train-doc-29".)
        stems = sorted({str(p)[:-4] for p in (*path.rglob("*.ann"), *path.rglob("*.txt"))})
        return [
            (Path(stem + ".txt"), Path(stem + ".ann"), str(Path(stem + ".txt").relative_to(path)))
            for stem in stems
        ]
    ann = path.with_suffix(".ann")
    return [(path.with_suffix(".txt"), ann, path.with_suffix(".txt").name)]


def _read(path: Path, encoding: str, source: str, problems: Problems) -> str | None:
    try:
        return path.read_bytes().decode(encoding)
    except OSError as exc:
        problems.report(source, None, f"cannot read {path.name} ({exc.strerror or exc})")
    except UnicodeDecodeError as exc:
        problems.report(source, None, f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start})")
    return None


def read_document(txt: Path, ann: Path, name: str, problems: Problems, lang: str = "en") -> Item | None:
    # Once a document, beside its two files' reads and its tokenizing: half a microsecond.
    from annotator.formats.assemble import SPLIT_NOTE, Place, RawRelation, RawSpan, build

    source = str(ann)
    if not txt.is_file():
        problems.report(source, None, f"no text file {txt.name} beside it")
        return None
    if ann.exists() and not ann.is_file():
        problems.report(source, None, f"{ann.name} is not a file")
        return None
    if not ann.is_file():
        problems.warn(
            str(txt), None, f"no {ann.name} beside it: the document has not been annotated; skipped"
        )
        return None
    text = _read(txt, "utf-8", source, problems)  # a byte-order mark is a character brat counts
    ann_text = _read(ann, "utf-8-sig", source, problems)
    if text is None or ann_text is None:
        return None

    t_lines: list[tuple[int, str, str, int, int, str]] = []  # line, id, type, start, end, text
    r_lines: list[tuple[int, str, str, str, str]] = []  # line, id, type, arg1, arg2
    unheld: set[str] = set()  # ids of annotations this tool cannot hold (events, discontinuous, ...)
    # Only "\n" ends a line (str.splitlines would also break at U+2028 and friends inside a span's text).
    for lineno, raw_line in enumerate(ann_text.split("\n"), 1):
        line = raw_line.removesuffix("\r")
        if not line.strip():
            continue
        ident, _, rest = line.partition("\t")
        kind = ident[:1]
        if kind == "T":
            fields = rest.split("\t", 1)
            if len(fields) != 2:
                problems.report(source, lineno, f"{ident}: expected 'TYPE START END<tab>TEXT'")
                continue
            head, covered = fields
            label, _, offsets = head.partition(" ")
            if ";" in offsets:
                problems.not_supported("T with a discontinuous span (start end;start end)", source, lineno)
                unheld.add(ident)
                continue
            m = _T_OFFSETS.match(offsets)
            if not label or m is None:
                problems.report(source, lineno, f"{ident}: expected 'TYPE START END', found {head!r}")
                continue
            t_lines.append((lineno, ident, label, int(m.group(1)), int(m.group(2)), covered))
        elif kind == "R":
            parts = rest.split("\t", 1)[0].split()
            args = dict(p.split(":", 1) for p in parts[1:] if ":" in p)
            if len(parts) != 3 or "Arg1" not in args or "Arg2" not in args:
                problems.report(source, lineno, f"{ident}: expected 'TYPE Arg1:ID Arg2:ID', found {rest!r}")
                continue
            r_lines.append((lineno, ident, parts[0], args["Arg1"], args["Arg2"]))
        elif kind in _UNSUPPORTED:
            problems.not_supported(_UNSUPPORTED[kind], source, lineno)
            unheld.add(ident)
        else:
            problems.report(
                source, lineno, f"{ident!r} is not a brat annotation id (T, R, E, A, M, N, # or *)"
            )

    # brat counts offsets in the text as read; a .txt with Windows line ends may have been counted
    # either way: take the reading under which the annotated texts match.
    def matches(t: str) -> int:
        return sum(1 for _, _, _, s, e, c in t_lines if 0 <= s < e <= len(t) and _flat(t[s:e]) == _flat(c))

    if "\r\n" in text and matches(text) < len(t_lines):
        unix = text.replace("\r\n", "\n")
        if matches(unix) > matches(text):
            text = unix
            problems.note("brat documents with Windows line ends whose offsets count '\\r\\n' as one")

    spans: list[RawSpan] = []
    lost: set[str] = set()  # ids of T lines reported already: relations to them say so
    for lineno, ident, label, start, end, covered in t_lines:
        if 0 <= start < end <= len(text) and _flat(text[start:end]) != _flat(covered):
            problems.report(
                source,
                lineno,
                f"{ident} says {covered!r} but the text at [{start}:{end}] is {text[start:end]!r}",
            )
            lost.add(ident)
            continue
        spans.append(RawSpan(start, end, label, ident, lineno))

    known = {s.key for s in spans} | lost
    rels: list[RawRelation] = []
    for lineno, ident, label, a1, a2 in r_lines:
        missing = [a for a in (a1, a2) if a not in known]
        if missing and all(a in unheld for a in missing):
            problems.not_supported(
                "R whose argument is not held (event or discontinuous span)", source, lineno
            )
        elif missing:
            problems.report(source, lineno, f"{ident}: its argument {', '.join(missing)} is not in the file")
        else:
            rels.append(RawRelation(a1, a2, label, lineno, ident))

    place = Place(problems, source)
    try:
        built = build(text, spans, rels, place=place, lost=lost, meta={"source": name}, lang=lang)
    except InvalidAnnotation as exc:  # checked line by line above; this is a last guard
        problems.report(source, None, str(exc))
        return None
    problems.note(SPLIT_NOTE, built.cuts)
    return built.task, built.annotation


def read(path: Path, problems: Problems, *, lang: str = "en") -> Iterator[Item]:
    path = Path(path)
    docs = documents(path)
    if path.is_dir() and not docs:
        problems.report(str(path), None, "no .ann files in this folder")
    for txt, ann, name in docs:
        item = read_document(txt, ann, name, problems, lang)
        if item is not None:
            yield item


def ann_text(row: StoredRow, labels: set[str], rel_labels: set[str]) -> str:
    """The .ann of a task. ``labels`` and ``rel_labels``: the span and relation labels met so far,
    each found to be a brat type once (not once a span); this task's are added. Spans and relations
    in the order of ``Annotation.sorted``, from the stored rows (``StoredRow``)."""
    text = row.text
    flat = "\n" not in text and "\r" not in text  # then no span's text needs _flat
    ids: dict[int, int] = {}
    lines = []
    spans = sorted(row.spans, key=_span_order) if len(row.spans) > 1 else row.spans
    for i, span in enumerate(spans, 1):
        start, end, label = span[0], span[1], span[4]
        if label not in labels:
            _check_type(row, label, "label")
            labels.add(label)
        covered = text[start:end]
        lines.append(f"T{i}\t{label} {start} {end}\t{covered if flat else _flat(covered)}\n")
        ids[span[6] if len(span) > 6 else 0] = i  # (source and sid have defaults)
    relations = row.relations
    if len(relations) > 1:  # a relation to a span not there first, as Annotation.sorted puts it
        relations = sorted(relations, key=lambda r: (ids.get(r[0], 0), ids.get(r[1], 0), r[2]))
    for i, (head, child, label, *_) in enumerate(relations, 1):
        if label not in rel_labels:
            _check_type(row, label, "relation label")
            rel_labels.add(label)
        lines.append(f"R{i}\t{label} Arg1:T{ids[head]} Arg2:T{ids[child]}\t\n")
    return "".join(lines)


def _span_order(span: list[Any]) -> tuple[Any, ...]:
    """``Annotation.sorted``'s order of a span row: offsets, entities before span groups, layer,
    label, id. A row of an entity span has no layer (seven fields)."""
    layer = span[7] if len(span) > 7 else ENTS
    return (span[0], span[1], layer != ENTS, layer, span[4], span[6] if len(span) > 6 else 0)


def _check_type(row: StoredRow, label: str, what: str) -> None:
    if not _is_type(label):
        raise AnnotatorError(f"{describe(row)}: {what} {label!r} holds whitespace, which brat types cannot")


def _is_type(label: str) -> bool:
    """Whether brat can take ``label`` as a type: not empty, no whitespace (``str.split`` splits at
    what ``str.isspace`` calls whitespace; one call a label, not one a character)."""
    return label.split() == [label]


def _stem(row: StoredRow, n: int) -> str:
    """The document's name in the output folder, from ``meta["source"]`` (else doc-00001, ...)."""
    source = row.meta.get("source")
    stem = _stem_of(source) if isinstance(source, str) else None
    return stem if stem is not None else f"doc-{n:05d}"


@functools.lru_cache(maxsize=4096)  # tasks of one source come together: a document's name once
def _stem_of(source: str) -> str | None:
    """A relative path keeps its folders (a brat project read from a tree is written back as that
    tree); anything that could leave the output folder is reduced to its last part."""
    if not source.strip():
        return None
    path = Path(source.replace("\\", "/"))
    parts = [re.sub(r"[^\w.-]+", "_", p).strip("._") for p in path.parent.parts]
    if path.is_absolute() or any(not p for p in parts):
        parts = []
    name = path.name.removesuffix(".txt") if path.name.endswith(".txt") else path.stem
    stem = re.sub(r"[^\w.-]+", "_", name).strip("._")
    return "/".join([*parts, stem]) if stem else None


def conf_text(entities: Iterable[str], relations: Iterable[str]) -> str:
    out = [CONF_MARK, "", "[entities]", "", *sorted(set(entities)), "", "[relations]", ""]
    out += [f"{r}\tArg1:<ENTITY>, Arg2:<ENTITY>" for r in sorted(set(relations))]
    out += ["", "[events]", "", "[attributes]", ""]
    return "\n".join(out)


def write(path: Path, items: Iterable[Item]) -> Counts:
    """``write_rows`` of the tasks and annotations."""
    return write_rows(path, (_row(task, annotation) for task, annotation in items))


def _row(task: Task, annotation: Annotation) -> StoredRow:
    spans = [
        [s.start, s.end, s.token_start, s.token_end, s.label, s.source, s.sid, s.layer]
        for s in annotation.spans
    ]
    relations = [[r.head, r.child, r.label, r.source] for r in annotation.relations]
    return StoredRow(task.input_hash, task.text, task.meta, spans, relations)


def write_rows(path: Path, rows: Iterable[StoredRow]) -> Counts:
    """One .txt and one .ann per task in folder ``path`` (created), named after the task's
    ``meta["source"]`` (else doc-00001, ...), and an ``annotation.conf`` listing the labels unless
    the folder has one that someone else wrote. Every file is written into a temporary folder
    first (``files_in``): what brat cannot hold stops the export with nothing written. An export
    passes the store's rows as they are (no Task or Annotation made a task)."""
    folder = Path(path)
    counts = Counts(paths=[folder])
    labels: set[str] = set()
    rel_labels: set[str] = set()
    with files_in(folder) as files:
        names = _Names(files)
        made: set[str] = set()  # sub-folders made (a source's relative path keeps its folders)
        for n, row in enumerate(rows, 1):
            # First: it refuses what brat cannot hold (and adds the task's labels to the conf's).
            ann = ann_text(row, labels, rel_labels).encode("utf-8")
            stem = _stem(row, n)
            parent = stem.rpartition("/")[0]
            if parent and parent not in made:
                (files.path / parent).mkdir(parents=True, exist_ok=True)
                made.add(parent)
            name = names.new(stem, row.text.encode("utf-8"))
            files.new(f"{name}.ann", ann)
            counts.add(row)
        conf = folder / "annotation.conf"
        if existing_mode(conf) is None or conf.read_text(encoding="utf-8", errors="replace").startswith(
            CONF_MARK
        ):
            (files.path / "annotation.conf").write_bytes(conf_text(labels, rel_labels).encode("utf-8"))
    return counts


class _Names:
    """A name for each document, unique in the export: its stem, else stem-2, stem-3, ... The
    folder being written is the record of the names taken (nothing kept a document): a name is
    taken by creating its .txt, which fails when it exists (the .ann is made with it). The next
    number of recent stems is remembered, so that a thousand tasks from one source do not try
    every number before theirs."""

    RECENT = 4096

    def __init__(self, files: Files) -> None:
        self.files = files
        self.next: dict[str, int] = {}

    def new(self, stem: str, text: bytes) -> str:
        """A name not taken yet, its .txt created holding ``text``."""
        k = self.next.pop(stem, 1)
        name = stem if k == 1 else f"{stem}-{k}"
        while True:
            try:
                self.files.new(f"{name}.txt", text)
                break
            except FileExistsError:
                k += 1
                name = f"{stem}-{k}"
        if len(self.next) >= self.RECENT:
            self.next.pop(next(iter(self.next)))  # the least recently used stem
        self.next[stem] = k + 1
        return name
