"""spaCy: model resolution and pre-annotation of entities and relations (the only package that
imports spaCy, with the DocBin writer)."""
