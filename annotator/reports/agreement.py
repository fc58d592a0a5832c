"""``annotator agreement`` output: a readable table, one JSON object, and the list of disagreements."""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson

from annotator.core.adjudication import Disagreement
from annotator.core.agreement import TOKENS_UNDEFINED, AgreementReport, PairReport, TaskDiff
from annotator.core.counts import Counts
from annotator.core.display import visible
from annotator.core.model import ENTS, Annotation, Relation, Span

CONTEXT = 40  # characters of text shown on each side of a disagreement


def to_json(report: AgreementReport, details: bool = False) -> str:
    return orjson.dumps(report.as_dict(details), option=orjson.OPT_INDENT_2).decode()


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _row(name: str, c: Counts, defined: bool) -> str:
    p, r, f = (c.precision, c.recall, c.f1) if defined else (None, None, None)
    return f"  {name:<22}{_num(p):>10}{_num(r):>8}{_num(f):>8}{c.tp:>7}{c.fp:>7}{c.fn:>7}"


def render_pair(pair: PairReport) -> str:
    a, b = (visible(name) for name in pair.annotators)
    t = pair.tasks
    defined = t.compared > 0
    lines = [
        f"{a} (A, reference) vs {b} (B)",
        f"tasks: {t.compared} compared (accepted by both), {t.only_a} only {a}, {t.only_b} only {b}, "
        f"{t.answer_mismatch} not accepted by both",
        "",
        f"  {'spans':<22}{'precision':>10}{'recall':>8}{'f1':>8}{'tp':>7}{'fp':>7}{'fn':>7}",
        _row("exact", pair.exact, defined),
        _row("overlap", pair.overlap, defined),
        _row("boundary (any label)", pair.boundary, defined),
    ]
    if pair.per_label:
        lines.append("  by label (exact)")
        lines.extend(_row("  " + visible(label), c, defined) for label, c in pair.per_label.items())
    lines.append(_row("relations exact", pair.relations_exact, defined))
    lines.append(_row("relations aligned", pair.relations_aligned, defined))
    tok = pair.tokens
    left = f"; {tok.tasks_left_out} task(s) left out: different tokens" if tok.tasks_left_out else ""
    lines += [
        "",
        f"  tokens (IO labels, {tok.tokens} tokens{left})",
        f"    observed agreement {_num(tok.observed)}   Cohen's kappa {_num(tok.cohen_kappa)}   "
        f"Krippendorff's alpha {_num(tok.krippendorff_alpha)}",
    ]
    for key, layer in sorted(pair.layers.items()):
        lines += [
            "",
            f"  {'span group ' + visible(key):<22}{'precision':>10}{'recall':>8}{'f1':>8}{'tp':>7}{'fp':>7}{'fn':>7}",
            _row("exact", layer.exact, defined),
            _row("overlap", layer.overlap, defined),
            _row("boundary (any label)", layer.boundary, defined),
        ]
        if layer.per_label:
            lines.append("  by label (exact)")
            lines.extend(
                _row("  " + visible(label), c, defined) for label, c in sorted(layer.per_label.items())
            )
        lines.append(f"  tokens: {TOKENS_UNDEFINED}")
    if pair.layers:
        lines.insert(3, "  the spans and tokens below are the entity layer's; span groups follow")
    return "\n".join(lines)


def render_table(report: AgreementReport) -> str:
    blocks = [render_pair(p) for p in report.pairs]
    if report.fleiss is not None:
        f = report.fleiss
        left = f"; {f.tasks_left_out} task(s) left out: different tokens" if f.tasks_left_out else ""
        blocks.append(
            f"all {len(report.annotators)} annotators ({', '.join(visible(n) for n in report.annotators)}): Fleiss' kappa on IO "
            f"token labels {_num(f.kappa)} ({f.tasks} tasks accepted by all, {f.tokens} tokens{left})"
        )
    return "\n\n".join(blocks)


def _flat(text: str) -> str:
    """One line of text as a terminal may show it: runs of whitespace as one space, controls drawn."""
    return visible(re.sub(r"\s+", " ", text))


def context(text: str, start: int, end: int, width: int = CONTEXT) -> str:
    """The text around [start, end) on one line, the range itself in brackets."""
    before = text[max(0, start - width) : start]
    after = text[end : end + width]
    return (
        ("…" if start > width else "")
        + _flat(before)
        + "["
        + _flat(text[start:end])
        + "]"
        + _flat(after)
        + ("…" if end + width < len(text) else "")
    )


def _span(text: str, s: Span) -> str:
    group = f" (span group {visible(s.layer)})" if s.layer != ENTS else ""
    return f"[{s.start}:{s.end}] {visible(s.label)}{group} {_flat(text[s.start : s.end])!r}"


def _relation(text: str, ann: Annotation, r: Relation) -> str:
    head, child = ann.span(r.head), ann.span(r.child)
    if head is None or child is None:
        return f"{visible(r.label)} (dangling)"
    return f"{_flat(text[head.start : head.end])!r} [{head.start}:{head.end}] -{visible(r.label)}-> " + (
        f"{_flat(text[child.start : child.end])!r} [{child.start}:{child.end}]"
    )


def _side(items: Iterable[str]) -> str:
    shown = list(items)
    return "; ".join(shown) if shown else "—"


def render_disagreement(diff: TaskDiff, d: Disagreement, names: tuple[str, str]) -> str:
    text = diff.task.text
    if d.kind == "relation":
        a = _side(_relation(text, diff.a, r) for r in d.a_relations)
        b = _side(_relation(text, diff.b, r) for r in d.b_relations)
    else:
        a = _side(_span(text, s) for s in d.a_spans)
        b = _side(_span(text, s) for s in d.b_spans)
    ref = visible(diff.ref_a if diff.ref_a == diff.ref_b else f"{diff.ref_a} / {diff.ref_b}")
    return "\n".join(
        [
            f"{ref}  [{d.start}:{d.end}]  {d.kind}",
            f"    {context(text, d.start, d.end)}",
            f"    {visible(names[0])}: {a}",
            f"    {visible(names[1])}: {b}",
        ]
    )


def render_details(report: AgreementReport) -> str:
    blocks = []
    for pair in report.pairs:
        count = sum(len(d.disagreements) for d in pair.details)
        a, b = (visible(name) for name in pair.annotators)
        head = f"disagreements, {a} (A) vs {b} (B): {count}"
        items = [
            render_disagreement(diff, d, pair.annotators) for diff in pair.details for d in diff.disagreements
        ]
        blocks.append("\n\n".join([head, *items]))
    return "\n\n".join(blocks)
