"""The layout of spaCy's DocBin (``.spacy``) as spaCy 3.8 writes it, and its string ids, known
without importing spaCy (a second of start-up, twice the raw dump of 10,000 tasks).

A DocBin is a zlib-compressed msgpack map: ``version``, ``attrs`` (the columns of its token table,
as ids of ``spacy.attrs``), ``tokens`` (that table, uint64 in the machine's byte order), ``spaces``,
``lengths``, ``strings``, ``cats``, ``flags``, ``span_groups``, ``user_data``. A string's id is
fixed for spaCy's symbols (``spacy.symbols.IDS``, the empty string 0) and else the 64-bit
MurmurHash (MurmurHash64A, seed 1) of its UTF-8 bytes, as ``spacy.strings.hash_string`` computes it
with the ``murmurhash`` package that spaCy depends on. A test checks every value here against the
installed spaCy, so a spaCy that changed any of them fails the tests rather than the files.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable, Iterable

import murmurhash.mrmr

VERSION = "0.1"
# DocBin(store_user_data=True).attrs: ORTH, NORM, LEMMA, POS, TAG, DEP, ENT_IOB, ENT_TYPE, HEAD,
# SENT_START, ENT_KB_ID, MORPH, ENT_ID
ATTRS = (65, 67, 73, 74, 75, 76, 77, 78, 79, 80, 452, 453, 454)
ORTH, ENT_IOB, ENT_TYPE, SENT_START = 0, 6, 7, 9  # their places in ATTRS
# spaCy's ENT_IOB values: inside, outside, beginning (0 is unset, which a Doc given ents has none of)
INSIDE, OUTSIDE, BEGIN = 1, 2, 3


def _words(text: str) -> list[str]:
    return text.split()


# spacy.symbols.IDS: these strings have these ids (their places here) instead of a hash.
SYMBOLS: tuple[str, ...] = (
    "",
    *_words(
        """
        IS_ALPHA IS_ASCII IS_DIGIT IS_LOWER IS_PUNCT IS_SPACE IS_TITLE IS_UPPER LIKE_URL
        LIKE_NUM LIKE_EMAIL IS_STOP IS_OOV_DEPRECATED IS_BRACKET IS_QUOTE IS_LEFT_PUNCT
        IS_RIGHT_PUNCT IS_CURRENCY
        """
    ),
    *(f"FLAG{k}" for k in range(19, 64)),
    *_words(
        """
        ID ORTH LOWER NORM SHAPE PREFIX SUFFIX LENGTH CLUSTER LEMMA POS TAG DEP ENT_IOB ENT_TYPE
        HEAD SENT_START SPACY PROB LANG ADJ ADP ADV AUX CONJ CCONJ DET INTJ NOUN NUM PART PRON
        PROPN PUNCT SCONJ SYM VERB X EOL SPACE
        """
    ),
    *(f"DEPRECATED{k:03d}" for k in range(1, 277)),
    *_words(
        """
        PERSON NORP FACILITY ORG GPE LOC PRODUCT EVENT WORK_OF_ART LANGUAGE LAW DATE TIME
        PERCENT MONEY QUANTITY ORDINAL CARDINAL acomp advcl advmod agent amod appos attr aux
        auxpass cc ccomp complm conj cop csubj csubjpass dep det dobj expl hmod hyph infmod intj
        iobj mark meta neg nmod nn npadvmod nsubj nsubjpass num number oprd obj obl parataxis
        partmod pcomp pobj poss possessive preconj prep prt punct quantmod relcl rcmod root
        xcomp acl ENT_KB_ID MORPH ENT_ID IDX _
        """
    ),
)
_SYMBOL_IDS = {name: i for i, name in enumerate(SYMBOLS)}


def _hash64() -> Callable[[bytes, int, int], int]:
    """murmurhash's ``hash64`` (MurmurHash64A), the C function spaCy's StringStore calls: the
    package exports it to Cython modules only, as a capsule, so it is called through ctypes."""
    signature = b"uint64_t (void *, int, uint64_t)"
    pointer = ctypes.pythonapi.PyCapsule_GetPointer
    pointer.restype = ctypes.c_void_p
    pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    address = pointer(murmurhash.mrmr.__pyx_capi__["hash64"], signature)
    kind = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_char_p, ctypes.c_int, ctypes.c_uint64)
    function: Callable[[bytes, int, int], int] = kind(address)
    return function


_HASH64 = _hash64()


def hash_string(string: str) -> int:
    """``spacy.strings.hash_string``: the 64-bit hash of the string's UTF-8 bytes, seed 1."""
    data = string.encode("utf-8")
    return _HASH64(data, len(data), 1)


def string_ids(strings: Iterable[str], ids: dict[str, int]) -> dict[str, int]:
    """``ids`` with each string's id in spaCy's StringStore added: a symbol's own, else its hash."""
    for string in strings:
        if string not in ids:
            symbol = _SYMBOL_IDS.get(string)
            ids[string] = symbol if symbol is not None else hash_string(string)
    return ids
