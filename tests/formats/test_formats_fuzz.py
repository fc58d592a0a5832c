"""Every reader fuzzed (issue 8, "no reader raises an uncaught exception on any input"): hypothesis
draws records shaped like each format's, with junk where values belong, and raw bytes, and puts
them between good records. Whatever is drawn, reading never raises, no problem is one nobody
foresaw (``UNFORESEEN``), every problem names the file and a line inside it, and the good records
around the drawn one are read.

The README's "Fuzzed" table gives the cases per reader and how they ended; the counts it gives
come from ``FUZZ_EXAMPLES`` below times the tests of each reader."""

from __future__ import annotations

import functools
import json
import re
import string
import tempfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import srsly
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from annotator.core.errors import AnnotatorError, BadRecord
from annotator.formats import brat, conll, docbin, doccano, jsonl, label_studio
from annotator.formats.base import Item
from annotator.formats.problems import UNFORESEEN, Problems
from annotator.sources import read_source

FUZZ_EXAMPLES = 120
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- values: what a hostile file puts where a value belongs ------------------------------------------

_chars = st.characters()  # any code point, lone surrogates included (they are written as \ud800)
junk_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=60),
    st.integers(),  # beyond 64 bits too
    st.sampled_from([2**63, 2**64, -(2**63) - 1, 10**30]),
    st.floats(),  # NaN and infinities: json.dumps writes them as NaN and Infinity
    st.text(_chars, max_size=8),
)
junk = st.recursive(
    junk_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(_chars, max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


# Nesting too deep for Python to build, print or dump: drawn as a marker that dumps() replaces with
# the brackets themselves.
_DEEP = re.compile(r'"\\u0000deep:(\d+)\\u0000"')
hostile = st.one_of(junk, st.integers(90, 3000).map(lambda depth: f"\x00deep:{depth}\x00"))
offsets = st.one_of(st.integers(-3, 40), hostile)
words = st.text(string.ascii_letters + "éü東😀", min_size=1, max_size=6)
texts = st.lists(words, min_size=1, max_size=8).map(" ".join)
labels = st.one_of(st.sampled_from(["PER", "ORG", "GPE", "", " ", "A B"]), hostile)


def maybe(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict holding any of ``fields`` (each drawn from its strategy)."""
    return st.fixed_dictionaries({}, optional=fields)


def one_of_or_junk(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the format's own shape, sometimes anything: a record of many fields then holds one
    or two wrong ones, not only junk."""
    return st.integers(0, 4).flatmap(lambda n: hostile if n == 0 else strategy)


@st.composite
def spoiled(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """``valid`` with one of its keys removed or given a hostile value (or left as it is)."""
    out = dict(valid)
    how = draw(st.sampled_from(["keep", "drop", "junk", "junk"]))
    if how != "keep":
        key = draw(st.sampled_from(sorted(out)))
        if how == "drop":
            del out[key]
        else:
            out[key] = draw(hostile)
    return out


def dumps(value: Any) -> bytes:
    """One JSON line, the way a careless writer makes it: NaN, lone surrogates (escaped), nesting
    thousands deep and all."""
    text = json.dumps(value, ensure_ascii=True, allow_nan=True)
    return _DEEP.sub(lambda m: "[" * int(m.group(1)) + "]" * int(m.group(1)), text).encode("ascii")


# -- the property --------------------------------------------------------------------------------------


def check(read: Callable[[Path, Problems], Iterator[Item]], path: Path, good: list[str]) -> Problems:
    problems = Problems()
    items = list(read(path, problems))
    unforeseen = [str(b) for b in problems.bad if UNFORESEEN in b.reason]
    assert not unforeseen, unforeseen
    for found in (*problems.bad, *problems.warnings):
        assert found.source.startswith(str(path)), found
        assert found.line is None or found.line >= 1, found
    texts_read = [t.text for t, _ in items]
    for text in good:
        assert any(text in t for t in texts_read), (text, texts_read, problems.lines())
    outcome(len(items) > len(good), bool(problems.bad), bool(problems.warnings or problems.unsupported))
    return problems


def outcome(read: bool, bad: bool, said: bool) -> None:
    """How a drawn input ended, for ``pytest --hypothesis-show-statistics`` (the README's table)."""
    if bad:
        event("reported as bad (" + ("the rest of it read" if read else "nothing of it read") + ")")
    elif read:
        event("read" + (" with a warning or a count of what is not supported" if said else ""))
    else:
        event("nothing to read, nothing wrong (e.g. blank)" if not said else "skipped with a warning")


def reader(module: Any) -> Callable[[Path, Problems], Iterator[Item]]:
    return lambda path, problems: module.read(path, problems)


def in_tmp(test: Callable[[Path], object]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        test(Path(tmp))


# -- JSON formats: jsonl, doccano, Label Studio ---------------------------------------------------------

span_dicts = maybe(
    start=offsets, end=offsets, label=labels, token_start=offsets, token_end=offsets, text=hostile
)
jsonl_records = one_of_or_junk(
    st.fixed_dictionaries(
        {"text": one_of_or_junk(texts)},
        optional={
            "spans": one_of_or_junk(st.lists(one_of_or_junk(span_dicts), max_size=4)),
            "tokens": one_of_or_junk(
                st.lists(maybe(text=hostile, start=offsets, end=offsets, id=offsets, ws=hostile), max_size=4)
            ),
            "relations": one_of_or_junk(
                st.lists(
                    maybe(
                        head=offsets, child=offsets, head_span=span_dicts, child_span=span_dicts, label=labels
                    ),
                    max_size=3,
                )
            ),
            "answer": st.one_of(st.sampled_from(["accept", "reject", "ignore"]), hostile),
            "meta": hostile,
            "_input_hash": hostile,
            "_annotator_id": hostile,
            "_timestamp": hostile,
            "entities": hostile,
            "label": hostile,
        },
    )
)
VALID_JSONL = {
    "text": "Ahn met Bo in Seoul",
    "tokens": [
        {"text": w, "start": a, "end": a + len(w), "id": i, "ws": i < 4}
        for i, (w, a) in enumerate([("Ahn", 0), ("met", 4), ("Bo", 8), ("in", 11), ("Seoul", 14)])
    ],
    "spans": [
        {"start": 0, "end": 3, "token_start": 0, "token_end": 0, "label": "PER"},
        {"start": 8, "end": 10, "token_start": 2, "token_end": 2, "label": "PER"},
    ],
    "relations": [
        {
            "head": 0,
            "child": 2,
            "label": "MET",
            "head_span": {"start": 0, "end": 3, "label": "PER"},
            "child_span": {"start": 8, "end": 10, "label": "PER"},
        }
    ],
    "answer": "accept",
    "_input_hash": 5,
    "meta": {"source": "x"},
}
jsonl_records = st.one_of(jsonl_records, spoiled(VALID_JSONL))
GOOD_JSONL = [
    b'{"text": "good first one", "spans": [{"start": 0, "end": 4, "label": "X"}]}',
    b'{"text": "good last one"}',
]

entity = one_of_or_junk(maybe(id=hostile, start_offset=offsets, end_offset=offsets, label=labels))
doccano_records = one_of_or_junk(
    st.fixed_dictionaries(
        {"text": one_of_or_junk(texts)},
        optional={
            "label": one_of_or_junk(
                st.lists(one_of_or_junk(st.tuples(offsets, offsets, labels).map(list)), max_size=4)
            ),
            "entities": one_of_or_junk(st.lists(entity, max_size=4)),
            "relations": one_of_or_junk(
                st.lists(maybe(id=hostile, from_id=hostile, to_id=hostile, type=labels), max_size=3)
            ),
            "annotations": one_of_or_junk(
                st.lists(
                    maybe(start_offset=offsets, end_offset=offsets, label=labels, user=hostile), max_size=4
                )
            ),
            "data": hostile,
            "meta": hostile,
            "spans": hostile,
        },
    )
)
VALID_DOCCANO = {
    "text": "Ahn met Bo in Seoul",
    "entities": [
        {"id": 1, "start_offset": 0, "end_offset": 3, "label": "PER"},
        {"id": 2, "start_offset": 8, "end_offset": 10, "label": "PER"},
    ],
    "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "MET"}],
    "meta": {"source": "x"},
}
doccano_records = st.one_of(doccano_records, spoiled(VALID_DOCCANO))
GOOD_DOCCANO = [
    b'{"text": "good first one", "label": [[0, 4, "X"]]}',
    b'{"text": "good last one", "label": []}',
]

region = maybe(
    id=hostile,
    type=st.sampled_from(["labels", "relation", "choices", "textarea"]) | hostile,
    value=one_of_or_junk(
        maybe(start=offsets, end=offsets, text=hostile, labels=one_of_or_junk(st.lists(labels, max_size=2)))
    ),
    from_id=hostile,
    to_id=hostile,
    direction=st.sampled_from(["right", "left", "bi"]) | hostile,
    labels=one_of_or_junk(st.lists(labels, max_size=2)),
    to_name=hostile,
)
ls_annotation = maybe(
    id=hostile,
    completed_by=hostile,
    was_cancelled=hostile,
    result=one_of_or_junk(st.lists(region, max_size=4)),
    model_version=hostile,
)
ls_tasks = one_of_or_junk(
    st.one_of(
        maybe(
            id=hostile,
            data=one_of_or_junk(
                st.fixed_dictionaries({"text": one_of_or_junk(texts)}, optional={"other": hostile})
            ),
            annotations=one_of_or_junk(st.lists(ls_annotation, max_size=3)),
            predictions=one_of_or_junk(st.lists(ls_annotation, max_size=2)),
            meta=hostile,
        ),
        # JSON-MIN: flat, the regions under the labeling config's name
        maybe(
            text=hostile,
            annotation_id=hostile,
            annotator=hostile,
            label=one_of_or_junk(
                st.lists(maybe(start=offsets, end=offsets, text=hostile, labels=hostile), max_size=3)
            ),
        ),
    )
)
VALID_LS = {
    "id": 1,
    "data": {"text": "Ahn met Bo in Seoul"},
    "annotations": [
        {
            "id": 3,
            "completed_by": {"id": 7, "email": "a@example.org"},
            "result": [
                {
                    "id": "a",
                    "type": "labels",
                    "value": {"start": 0, "end": 3, "text": "Ahn", "labels": ["PER"]},
                },
                {
                    "id": "b",
                    "type": "labels",
                    "value": {"start": 8, "end": 10, "text": "Bo", "labels": ["PER"]},
                },
                {"type": "relation", "from_id": "a", "to_id": "b", "direction": "right", "labels": ["MET"]},
            ],
        }
    ],
    "predictions": [{"model_version": "m", "result": []}],
}
ls_tasks = st.one_of(ls_tasks, spoiled(VALID_LS))
GOOD_LS = [
    b'{"data": {"text": "good first one"}, "annotations": [{"completed_by": 1, "result": []}]}',
    b'{"data": {"text": "good last one"}, "annotations": [{"completed_by": 1, "result": []}]}',
]
GOOD_TEXTS = ["good first one", "good last one"]


def json_lines(path: Path, good: list[bytes], middle: bytes) -> Path:
    path.write_bytes(good[0] + b"\n" + middle + b"\n" + good[1] + b"\n")
    return path


@FUZZ
@given(jsonl_records)
def test_fuzz_jsonl_records(record: Any) -> None:
    in_tmp(
        lambda tmp: check(reader(jsonl), json_lines(tmp / "x.jsonl", GOOD_JSONL, dumps(record)), GOOD_TEXTS)
    )


@FUZZ
@given(doccano_records)
def test_fuzz_doccano_records(record: Any) -> None:
    in_tmp(
        lambda tmp: check(
            reader(doccano), json_lines(tmp / "x.jsonl", GOOD_DOCCANO, dumps(record)), GOOD_TEXTS
        )
    )


@FUZZ
@given(st.lists(ls_tasks, min_size=1, max_size=3), st.booleans())
def test_fuzz_label_studio_tasks(tasks: list[Any], as_array: bool) -> None:
    def test(tmp: Path) -> None:
        path = tmp / "export.json"
        middle = [dumps(t) for t in tasks]
        if as_array:  # Label Studio's own layout: one array, an element a line
            path.write_bytes(b"[" + b",\n".join([GOOD_LS[0], *middle, GOOD_LS[1]]) + b"]")
        else:
            json_lines(path, GOOD_LS, b"\n".join(middle))
        check(reader(label_studio), path, GOOD_TEXTS)

    in_tmp(test)


raw_lines = st.binary(max_size=200).map(lambda b: b.replace(b"\n", b" "))  # one line of anything


@FUZZ
@given(raw_lines, st.sampled_from(["jsonl", "doccano", "label-studio"]))
def test_fuzz_json_formats_with_raw_bytes(middle: bytes, fmt: str) -> None:
    module, good = {
        "jsonl": (jsonl, GOOD_JSONL),
        "doccano": (doccano, GOOD_DOCCANO),
        "label-studio": (label_studio, GOOD_LS),
    }[fmt]
    in_tmp(lambda tmp: check(reader(module), json_lines(tmp / "x.jsonl", good, middle), GOOD_TEXTS))


# -- CoNLL ------------------------------------------------------------------------------------------------

tags = st.sampled_from(["O", "B-PER", "I-PER", "E-PER", "S-LOC", "L-LOC", "U-X", "I-", "B", "X-Y", "-"])
conll_lines = st.lists(
    st.one_of(
        st.tuples(words, tags).map(" ".join),
        st.tuples(words, words, tags).map("\t".join),
        st.just(""),
        st.just("-DOCSTART- -X- O O"),
        words,
        st.text(_chars.filter(lambda c: c not in "\n\r" and not "\ud800" <= c <= "\udfff"), max_size=12),
    ),
    max_size=12,
)
GOOD_CONLL = (
    b"-DOCSTART- -X- O O\n\ngood B-X\nfirst O\none O\n\n",
    b"-DOCSTART- -X- O O\n\ngood O\nlast O\none O\n",
)
GOOD_CONLL_TEXTS = ["good first one", "good last one"]


@FUZZ
@given(st.one_of(conll_lines.map(lambda ls: "\n".join(ls).encode("utf-8")), st.binary(max_size=300)))
def test_fuzz_conll(middle: bytes) -> None:
    def test(tmp: Path) -> None:
        path = tmp / "x.conll"
        path.write_bytes(GOOD_CONLL[0] + b"-DOCSTART- -X- O O\n\n" + middle + b"\n" + GOOD_CONLL[1])
        check(reader(conll), path, GOOD_CONLL_TEXTS)

    in_tmp(test)


# -- brat -------------------------------------------------------------------------------------------------

ids = st.one_of(
    st.sampled_from(["T1", "T2", "T3", "R1", "E1", "A1", "N1", "#1", "*"]),
    st.text(_chars.filter(lambda c: c not in "\t\n"), max_size=4),
)
brat_offsets = st.one_of(
    st.integers(-2, 30).map(str),
    st.tuples(st.integers(0, 30), st.integers(0, 30)).map(lambda t: f"{t[0]} {t[1]};{t[1]} {t[1] + 2}"),
    st.text(max_size=4),
)
ann_line = st.one_of(
    st.tuples(
        ids,
        st.sampled_from(["PER", "ORG", "", "A B"]) | words,
        brat_offsets,
        brat_offsets,
        st.text(max_size=8),
    ).map(lambda t: f"{t[0]}\t{t[1]} {t[2]} {t[3]}\t{t[4]}"),
    st.tuples(ids, st.sampled_from(["MET", "", "X Y"]), ids, ids).map(
        lambda t: f"{t[0]}\t{t[1]} Arg1:{t[2]} Arg2:{t[3]}\t"
    ),
    st.tuples(ids, st.text(max_size=20)).map(lambda t: f"{t[0]}\t{t[1]}"),
    st.text(max_size=20),
)


@FUZZ
@given(texts, st.lists(ann_line, max_size=10), st.binary(max_size=100), st.booleans())
def test_fuzz_brat(text: str, lines: list[str], raw: bytes, use_raw: bool) -> None:
    def test(tmp: Path) -> None:
        (tmp / "a_good.txt").write_text("good first one", encoding="utf-8")
        (tmp / "a_good.ann").write_text("T1\tX 0 4\tgood\n", encoding="utf-8")
        (tmp / "b_fuzz.txt").write_text(text, encoding="utf-8", errors="surrogatepass")
        ann = raw if use_raw else "\n".join(lines).encode("utf-8", "surrogatepass")
        (tmp / "b_fuzz.ann").write_bytes(ann)
        (tmp / "c_good.txt").write_text("good last one", encoding="utf-8")
        (tmp / "c_good.ann").write_text("", encoding="utf-8")
        check(reader(brat), tmp, GOOD_TEXTS)

    in_tmp(test)


# -- spaCy DocBin -------------------------------------------------------------------------------------


def good_docbin() -> bytes:
    from spacy.tokens import Doc, DocBin
    from spacy.vocab import Vocab

    vocab = Vocab()
    docs = [Doc(vocab, words=["good", "first", "one"]), Doc(vocab, words=["good", "last", "one"])]
    return DocBin(store_user_data=True, docs=docs).to_bytes()


msgpack_junk = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**63), 2**64 - 1),
        st.floats(),
        st.text(max_size=6),
        st.binary(max_size=8),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=4), st.integers(0, 9)), inner, max_size=3),
    ),
    max_leaves=10,
)


@st.composite
def docbins(draw: st.DrawFn) -> bytes:
    """A DocBin whose Docs carry drawn entities and user data (meta, hash, answer, relations)."""
    from spacy.tokens import Doc, DocBin, Span
    from spacy.vocab import Vocab

    vocab = Vocab()
    docs = []
    for _ in range(draw(st.integers(1, 3))):
        doc = Doc(vocab, words=draw(st.lists(words, min_size=1, max_size=6)))
        start = draw(st.integers(0, len(doc) - 1))
        doc.ents = [
            Span(
                doc, start, draw(st.integers(start + 1, len(doc))), label=draw(st.sampled_from(["PER", "X"]))
            )
        ]
        info = draw(
            maybe(
                meta=msgpack_junk,
                extra=msgpack_junk,
                input_hash=msgpack_junk,
                answer=msgpack_junk,
                annotator=msgpack_junk,
                timestamp=msgpack_junk,
            )
        )
        doc.user_data["annotator"] = info
        user_data: dict[Any, Any] = doc.user_data
        user_data[docbin.REL_KEY] = draw(
            st.one_of(
                msgpack_junk,
                st.dictionaries(
                    st.tuples(st.integers(-1, 6), st.integers(-1, 6)),
                    st.dictionaries(st.text(max_size=3), st.one_of(st.floats(), msgpack_junk), max_size=2),
                    max_size=3,
                ),
            )
        )
        docs.append(doc)
    data = DocBin(store_user_data=True, docs=docs).to_bytes()
    if draw(st.booleans()):  # then spoil the container itself: one field of the msgpack replaced
        msg = srsly.msgpack_loads(zlib.decompress(data))
        key = draw(st.sampled_from(sorted(msg)))
        msg[key] = draw(msgpack_junk)
        data = zlib.compress(srsly.msgpack_dumps(msg))
    return data


@settings(FUZZ, max_examples=FUZZ_EXAMPLES // 2)
@given(st.one_of(docbins(), st.binary(max_size=300), st.binary(max_size=300).map(zlib.compress)))
def test_fuzz_spacy_docbin(data: bytes) -> None:
    def test(tmp: Path) -> None:
        (tmp / "a.spacy").write_bytes(good_docbin())
        (tmp / "b.spacy").write_bytes(data)
        check(reader(docbin), tmp, ["good first one", "good last one"])

    in_tmp(test)


# -- the sources of annotate and preannotate ----------------------------------------------------------


def check_source(path: Path, good: list[str]) -> None:
    problems: list[BadRecord] = []
    warnings: list[str] = []
    read = [item.text for item in read_source(path, problems, warnings)]
    for text in good:
        assert text in read, (text, read, problems)
    for found in problems:
        assert found.source.startswith(str(path)) and (found.line is None or found.line >= 1), found
    outcome(len(read) > len(good), bool(problems), bool(warnings))


@FUZZ
@given(st.binary(max_size=300))
def test_fuzz_txt_and_folder_sources(data: bytes) -> None:
    def test(tmp: Path) -> None:
        (tmp / "a.txt").write_text("good first one", encoding="utf-8")
        (tmp / "b.txt").write_bytes(data)
        (tmp / "c.txt").write_text("good last one", encoding="utf-8")
        problems: list[BadRecord] = []
        list(read_source(tmp / "b.txt", problems))  # one file of anything: a task or a problem
        check_source(tmp, GOOD_TEXTS)

    in_tmp(test)


@FUZZ
@given(st.one_of(jsonl_records.map(dumps), raw_lines))
def test_fuzz_jsonl_source(middle: bytes) -> None:
    in_tmp(lambda tmp: check_source(json_lines(tmp / "x.jsonl", GOOD_JSONL, middle), GOOD_TEXTS))


# -- --config and --relation-rules: one file each, read whole: an error naming it, or a result -------


def whole_file(path: Path, read: Callable[[], object]) -> None:
    """A file read whole: a result, or one AnnotatorError line (nothing else). What is wrong in the
    file names it; a scheme whose parts do not hold together (a label map onto a label the scheme
    lacks, which the flags can cause as well) says what, without the file."""
    try:
        read()
    except AnnotatorError as exc:
        message = str(exc)
        assert message.strip() and "\n" not in message.strip(), message
        event(
            "refused with an error naming the file"
            if str(path) in message
            else "refused: the parts do not fit"
        )
    else:
        event("accepted")


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if value == value and abs(value) != float("inf") else "nan"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


toml_scalars = st.one_of(st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=8,
)
colours = st.one_of(st.sampled_from(["#e6b422", "#fff", "red", "notacolor", ""]), toml_values)
label_names = st.one_of(
    st.sampled_from(["PERSON", "ORG", "GPE", "PER SON", "A;B", "X=Y"]), st.text(max_size=5)
)
tables = st.one_of(
    st.fixed_dictionaries(
        {"labels": st.dictionaries(label_names, colours, max_size=4)},
        optional={
            "relations.MET": st.fixed_dictionaries(
                {},
                optional={
                    "head": st.lists(label_names, max_size=2) | toml_values,
                    "child": st.lists(label_names, max_size=2) | toml_values,
                },
            ),
            "label_map": st.dictionaries(label_names, label_names | toml_values, max_size=2),
            "keys": st.dictionaries(st.text(max_size=6), toml_values, max_size=2),
        },
    ),
    st.dictionaries(
        st.sampled_from(
            ["labels", "relations", "lables", "label_map", "keys", "relations.MET", "relations.X Y"]
        ),
        st.dictionaries(
            st.one_of(label_names, st.sampled_from(["head", "child", "MET"])), toml_values, max_size=4
        ),
        max_size=4,
    ),
)


def toml_text(doc: dict[str, dict[str, Any]]) -> str:
    out = []
    for table, items in doc.items():
        out.append(f"[{table}]" if " " not in table else f'["{table}"]')
        out += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in items.items()]
    return "\n".join(out) + "\n"


def nested_toml(depth: int) -> str:
    return "a = " + "[" * depth + "]" * depth + "\n"


@FUZZ
@given(st.one_of(tables.map(toml_text), st.text(max_size=200), st.integers(100, 5000).map(nested_toml)))
def test_fuzz_config(text: str) -> None:
    from annotator.config import resolve_scheme

    def test(tmp: Path) -> None:
        path = tmp / "scheme.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        whole_file(path, lambda: resolve_scheme(None, path, None, ["PERSON", "ORG", "GPE"], []))

    in_tmp(test)


VALID_RULE = {
    "name": "met",
    "label": "MET",
    "head": "a",
    "child": "b",
    "pattern": [
        {"RIGHT_ID": "v", "RIGHT_ATTRS": {"LEMMA": "meet"}},
        {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "a", "RIGHT_ATTRS": {"DEP": "nsubj"}},
        {"LEFT_ID": "v", "REL_OP": ">", "RIGHT_ID": "b", "RIGHT_ATTRS": {"DEP": "dobj"}},
    ],
    "expand": ["conj"],
}
node = maybe(
    RIGHT_ID=st.one_of(st.sampled_from(["a", "b", "v"]), hostile),
    RIGHT_ATTRS=one_of_or_junk(
        st.dictionaries(st.sampled_from(["DEP", "LEMMA", "POS", "ENT_TYPE", "X"]), hostile, max_size=2)
    ),
    LEFT_ID=st.one_of(st.sampled_from(["a", "b", "v"]), hostile),
    REL_OP=st.one_of(st.sampled_from([">", "<", ".", ";", "$++", "??"]), hostile),
)
rule = st.one_of(
    spoiled(VALID_RULE),
    st.builds(lambda pattern: {**VALID_RULE, "pattern": pattern}, one_of_or_junk(st.lists(node, max_size=4))),
    maybe(name=hostile, label=hostile, head=hostile, child=hostile, pattern=hostile, expand=hostile),
)


def named(rules: list[Any]) -> list[Any]:
    """Rules that name themselves get distinct names (one name twice is refused, and tested so)."""
    return [
        {**r, "name": f"{r['name']}-{i}"} if isinstance(r, dict) and isinstance(r.get("name"), str) else r
        for i, r in enumerate(rules)
    ]


@functools.cache
def model_vocab() -> Any:
    from annotator.nlp.model import load_model

    return load_model(None, []).vocab


@settings(FUZZ, max_examples=FUZZ_EXAMPLES // 2)
@given(
    st.one_of(
        st.lists(rule, max_size=3).map(lambda rules: dumps({"rules": named(rules)})),
        st.binary(max_size=200),
        st.integers(100, 5000).map(lambda d: b'{"rules": ' + b"[" * d + b"]" * d + b"}"),
    )
)
def test_fuzz_relation_rules(data: bytes) -> None:
    from annotator.nlp.relations import load_rules

    def test(tmp: Path) -> None:
        path = tmp / "rules.json"
        path.write_bytes(data)
        whole_file(path, lambda: load_rules(path, model_vocab()))

    in_tmp(test)
