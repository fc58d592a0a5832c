"""spaCy: model resolution and pre-annotation of entities and relations.

The package that uses spaCy's models. Outside it, only ``formats/tokens.py`` (spaCy's rule-based
tokenizer, no model) and ``formats/docbin.py`` (spaCy's DocBin file) import spaCy; the
``spacy-in-nlp`` import contract in ``pyproject.toml`` checks this.
"""
