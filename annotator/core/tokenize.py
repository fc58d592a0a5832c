"""A quick provisional tokenizer, so a document can be shown before spaCy has even been imported.

Its tokens are for display and cursor movement only: the task's real tokens come from the model, and
no span is stored against provisional tokens.
"""

from __future__ import annotations

import re

from annotator.core.model import Token

# Words (with inner apostrophes/hyphens/dots), numbers, any single other non-space character, or
# a control character other than tab and newline (a token, so that it is drawn as a stand-in).
_TOKEN = re.compile(r"\w+(?:[’'.\-]\w+)*|[^\w\s]|\s*\n\s*|[\x00-\x08\x0b-\x1f\x7f-\x9f]", re.UNICODE)


def provisional_tokens(text: str) -> tuple[Token, ...]:
    tokens: list[Token] = []
    for m in _TOKEN.finditer(text):
        start, end = m.start(), m.end()
        tokens.append(Token(m.group(), start, end, len(tokens), False))
    out = []
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1].start if i + 1 < len(tokens) else len(text)
        ws = nxt > tok.end and text[tok.end : tok.end + 1].isspace()
        out.append(Token(tok.text, tok.start, tok.end, tok.id, ws))
    return tuple(out)
