"""Pure-Python rules of annotation: no textual, no spacy."""
