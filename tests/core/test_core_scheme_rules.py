"""What a scheme may hold, checked when it is read: colours the screen can draw, the sections and
keys a scheme file has (a misspelt one is refused with those allowed), and label names that are one
word, not the leftovers of a typing slip."""

from __future__ import annotations

from pathlib import Path

import pytest

from annotator.core.errors import AnnotatorError
from annotator.core.scheme import LABEL_RULE, parse_label_list, scheme_from_dict, scheme_from_toml


def toml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scheme.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[labels]\nPERSON = "notacolor"', "[labels] PERSON: 'notacolor' is not a colour"),
        ('[labels]\nPERSON = "#12345"', "'#12345' is not a colour"),
        ('[labels]\nPERSON = "#gggggg"', "'#gggggg' is not a colour"),
        (
            '[labels]\nPERSON = ""\n[relations.MET]\ncolor = "orange-ish"',
            "[relations.MET] color: 'orange-ish'",
        ),
    ],
)
def test_a_colour_the_screen_cannot_draw_is_refused_when_read(
    tmp_path: Path, text: str, message: str
) -> None:
    path = toml(tmp_path, text)
    with pytest.raises(AnnotatorError) as info:
        scheme_from_toml(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)
    assert '"#rrggbb"' in str(info.value)


def test_colours_in_short_and_long_hex_are_taken() -> None:
    scheme = scheme_from_dict({"labels": {"PERSON": "#fA0", "ORG": "#4aa3df", "GPE": ""}})
    assert scheme.color("PERSON") == "#ffAA00"
    assert scheme.color("ORG") == "#4aa3df"
    assert scheme.color("GPE").startswith("#")  # the palette's


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[lables]\nPERSON = "#e6b422"', "unknown section [lables] (did you mean [labels]?)"),
        ('[relation.MET]\nhead = ["PERSON"]', "unknown section [relation] (did you mean [relations]?)"),
        ('colour = "#fff"\n[labels]\nPERSON = ""', "unknown section [colour]"),
        (
            '[labels]\nPERSON = ""\n[relations.MET]\nheads = ["PERSON"]',
            "[relations.MET] has an unknown key 'heads'",
        ),
        (
            '[labels]\nPERSON = ""\n[relations]\nMET = "PERSON"',
            "relation MET must be a table [relations.MET]",
        ),
    ],
)
def test_a_misspelt_section_or_key_is_refused_naming_those_allowed(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(AnnotatorError) as info:
        scheme_from_toml(toml(tmp_path, text))
    assert message in str(info.value)
    if "section" in message:
        assert "the sections are [labels], [relations.NAME], [label_map], [span_groups.KEY], [keys]" in str(
            info.value
        )
    else:
        assert "head" in str(info.value) and "child" in str(info.value)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("PERSON;ORG", "'PERSON;ORG' holds ';'"),
        ("PER SON,ORG", "'PER SON' holds a space"),
        ("PERSON=#fff", "'PERSON=#fff' holds '='"),
        ("PERSON,ORG,", "an empty name between commas"),
        ("PERSON,,ORG", "an empty name between commas"),
        ("PER\tSON", "U+0009"),
        ("PERSON\x1b[31m", "U+001B"),
        ("PER\u200bSON", "U+200B (zero width space)"),
    ],
)
def test_label_names_follow_one_rule_said_in_the_message(value: str, message: str) -> None:
    with pytest.raises(AnnotatorError) as info:
        parse_label_list(value)
    assert str(info.value).startswith("--labels") and message in str(info.value)
    if "empty" not in message:
        assert LABEL_RULE in str(info.value)


def test_the_rule_holds_for_scheme_files_and_relation_labels_too(tmp_path: Path) -> None:
    with pytest.raises(AnnotatorError, match=r"\[labels\]: 'PERSON ORG' holds a space"):
        scheme_from_toml(toml(tmp_path, '[labels]\n"PERSON ORG" = ""'))
    with pytest.raises(AnnotatorError, match=r"\[relations\]: 'MET;X' holds ';'"):
        scheme_from_toml(toml(tmp_path, '[labels]\nPERSON = ""\n[relations."MET;X"]\nhead = ["PERSON"]'))
    with pytest.raises(AnnotatorError, match=r"--relations: 'MET=1' holds '='"):
        parse_label_list("MET=1", "--relations")
    assert parse_label_list("B-PER, Gene_or_gene_product ,Ort") == ["B-PER", "Gene_or_gene_product", "Ort"]
