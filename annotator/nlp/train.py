"""Fine-tuning a pipeline's entity recognizer on stored annotations with spaCy's own training loop.

Every component is sourced from the installed base pipeline; all but ``ner`` are frozen, so the
tagger and parser (and with them the relation rules) come out unchanged. In en_core_web_sm the NER
has its own tok2vec, so freezing the shared one costs it nothing. Training data keeps the base
model's out-of-scheme entities (see ``annotator.nlp.examples``), so a scheme narrower than the
model's does not teach it to forget the rest.
"""

from __future__ import annotations

import contextlib
import json
import random
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.tokens import DocBin

from annotator.core.errors import AnnotatorError
from annotator.core.model import Annotation, Task
from annotator.core.scheme import LabelScheme
from annotator.nlp.evaluate import EvalReport
from annotator.nlp.examples import out_of_scheme, reference_doc, task_doc

Pair = tuple[Task, Annotation]
CURVE_STEPS: tuple[float, ...] = (0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class TrainSettings:
    base: str  # what ``source`` names in the config: an installed package or a folder
    seed: int = 0
    eval_split: float = 0.2
    max_steps: int = 0  # 0: until spaCy's patience runs out (or max_epochs)
    max_epochs: int = 0
    eval_frequency: int = 200
    patience: int = 1600


@dataclass
class CurvePoint:
    fraction: float
    train_tasks: int
    report: EvalReport


@dataclass
class TrainResult:
    output: Path
    train_tasks: int
    dev_tasks: int
    base: EvalReport  # the base model on the evaluation part
    tuned: EvalReport  # the written pipeline on the evaluation part
    curve: list[CurvePoint] = field(default_factory=list)


def split(pairs: Sequence[Pair], eval_split: float, seed: int) -> tuple[list[Pair], list[Pair]]:
    """(train, evaluation) parts, shuffled by ``seed``; a text is never on both sides."""
    if not 0 < eval_split < 1:
        raise AnnotatorError(f"--eval-split must be between 0 and 1, not {eval_split}")
    by_text: dict[str, list[Pair]] = {}
    for pair in pairs:
        by_text.setdefault(pair[0].text, []).append(pair)
    texts = list(by_text)
    if len(texts) < 2:
        raise AnnotatorError(
            f"training needs at least 2 different accepted texts (one to train on, one to evaluate); found {len(texts)}"
        )
    random.Random(seed).shuffle(texts)
    n_dev = min(max(1, round(len(texts) * eval_split)), len(texts) - 1)
    dev = [p for t in texts[:n_dev] for p in by_text[t]]
    train = [p for t in texts[n_dev:] for p in by_text[t]]
    return train, dev


def write_corpus(base: Language, pairs: Sequence[Pair], scheme: LabelScheme, path: Path) -> None:
    """The pairs as a DocBin of reference Docs: the annotations, plus the base model's own
    entities the scheme has no label for."""
    bin_ = DocBin(attrs=["ORTH", "SPACY", "ENT_IOB", "ENT_TYPE"])
    with base.select_pipes(enable=[n for n in base.pipe_names if n in ("tok2vec", "ner")]):
        docs = base.pipe(task_doc(base.vocab, task) for task, _ in pairs)
        for (task, annotation), predicted in zip(pairs, docs, strict=True):
            keep = out_of_scheme(predicted, scheme)
            bin_.add(reference_doc(base.vocab, task, annotation, scheme, keep))
    bin_.to_disk(path)


def training_config(
    base_nlp: Language, settings: TrainSettings, train_path: Path, dev_path: Path, progress: bool
) -> Any:
    """The base pipeline's config, every component sourced from it and all but ``ner`` frozen."""
    if "ner" not in base_nlp.pipe_names:
        raise AnnotatorError(f"{settings.base} has no 'ner' component to fine-tune")
    cfg = base_nlp.config.copy()  # a thinc Config, the type the training functions take
    cfg["paths"] = {"train": str(train_path), "dev": str(dev_path), "vectors": None, "init_tok2vec": None}
    cfg["components"] = {name: {"source": settings.base} for name in base_nlp.component_names}
    cfg["corpora"] = {
        part: {"@readers": "spacy.Corpus.v1", "path": f"${{paths.{part}}}", "max_length": 0}
        for part in ("train", "dev")
    }
    initialize = dict(cfg["initialize"])
    # Sourced components keep their labels and tables; nothing is read from the base's corpus.
    initialize.update(components={}, lookups=None, vectors=None, init_tok2vec=None)
    cfg["initialize"] = initialize
    training = dict(cfg["training"])
    training.update(
        seed=settings.seed,
        max_steps=settings.max_steps,
        max_epochs=settings.max_epochs,
        eval_frequency=settings.eval_frequency,
        patience=settings.patience,
        frozen_components=[n for n in base_nlp.component_names if n != "ner"],
        annotating_components=[],
        train_corpus="corpora.train",
        dev_corpus="corpora.dev",
        # Only the entities are scored: the frozen components' scores on data without tags or
        # parses would show as zeros in the progress table.
        score_weights={
            **dict.fromkeys(training.get("score_weights", {})),
            "ents_f": 1.0,
            "ents_p": 0.0,
            "ents_r": 0.0,
        },
        logger={"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": progress},
    )
    cfg["training"] = training
    return cfg


def _train_once(config: Any, output: Path) -> None:
    """spaCy's own initialisation and training loop; writes ``output``/model-best and model-last.
    Its progress (the table of losses and scores) goes to stderr, as every progress display here."""
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train as train_loop

    output.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            nlp = init_nlp(config)
            train_loop(nlp, output, stdout=sys.stderr, stderr=sys.stderr)
    except (ValueError, KeyError, OSError) as exc:
        raise AnnotatorError(f"spaCy could not train: {exc}") from exc


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_") or "tuned"


def _ours_or_empty(folder: Path) -> bool:
    """A folder ``train`` may replace: empty, or a pipeline an earlier ``train`` wrote."""
    if not folder.is_dir():
        return False
    if not any(folder.iterdir()):
        return True
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(meta, dict) and "annotator" in meta


def _install(best: Path, output: Path, meta: dict[str, Any]) -> None:
    """Move spaCy's model-best to ``output`` (a pipeline folder ``--model`` opens)."""
    meta_path = best / "meta.json"
    data = json.loads(meta_path.read_text(encoding="utf-8"))
    data.update(meta)
    meta_path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    if output.exists():
        shutil.rmtree(output)
    shutil.move(str(best), str(output))


def train(
    pairs: Sequence[Pair],
    scheme: LabelScheme,
    settings: TrainSettings,
    output: Path,
    *,
    curve: bool = False,
    load: Callable[[str], Language],
    evaluate: Callable[[Language, Sequence[Pair]], EvalReport],
    say: Callable[[str], None] = lambda _: None,
) -> TrainResult:
    """Train on the training part and write the pipeline to ``output`` (which must be a new or empty
    folder, or one this command wrote before). With ``curve``, train on 25/50/75/100% of the training
    part and evaluate each on the same evaluation part; the 100% pipeline is the one written."""
    if output.exists() and not _ours_or_empty(output):
        raise AnnotatorError(
            f"{output}: exists and is not a pipeline this command wrote; give a new or empty folder"
        )
    output = output.absolute()
    train_part, dev_part = split(pairs, settings.eval_split, settings.seed)
    base_nlp = load(settings.base)
    base_report = evaluate(base_nlp, dev_part)
    say(
        f"{len(train_part)} task(s) to train on, {len(dev_part)} to evaluate; "
        f"the base model on those: entity F1 {base_report.ents.f1:.3f}"
    )
    fractions = CURVE_STEPS if curve else (1.0,)
    output.parent.mkdir(parents=True, exist_ok=True)
    points: list[CurvePoint] = []
    with tempfile.TemporaryDirectory(dir=output.parent, prefix=f".{output.name}.") as tmp_name:
        tmp = Path(tmp_name)
        dev_path = tmp / "dev.spacy"
        write_corpus(base_nlp, dev_part, scheme, dev_path)
        best: Path | None = None
        for fraction in fractions:
            n = max(1, round(len(train_part) * fraction))
            part = train_part[:n]
            run = tmp / f"run-{int(fraction * 100)}"
            run.mkdir()
            train_path = run / "train.spacy"
            write_corpus(base_nlp, part, scheme, train_path)
            config = training_config(base_nlp, settings, train_path, dev_path, progress=sys.stderr.isatty())
            config.to_disk(run / "config.cfg")
            say(f"training on {n} task(s) ({fraction:.0%} of the training part)")
            _train_once(config, run / "out")
            best = run / "out" / "model-best"
            if curve:
                report = evaluate(load(str(best)), dev_part)
                points.append(CurvePoint(fraction, n, report))
                say(f"{fraction:.0%}: entity F1 {report.ents.f1:.3f} on the evaluation part")
        assert best is not None
        shutil.copy(run / "config.cfg", best / "training.cfg")
        base_meta = base_nlp.meta
        _install(
            best,
            output,
            {
                "name": f"{_safe_name(str(base_meta.get('name', 'pipeline')))}_tuned",
                "description": f"{settings.base} with its entity recognizer fine-tuned by annotator train",
                "annotator": {
                    "base": settings.base,
                    "train_tasks": len(train_part),
                    "eval_tasks": len(dev_part),
                },
            },
        )
    tuned = points[-1].report if points else evaluate(load(str(output)), dev_part)
    return TrainResult(output, len(train_part), len(dev_part), base_report, tuned, points)
