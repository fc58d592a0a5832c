"""annotator: keyboard-driven gold NER and relation annotation in the terminal."""

__version__ = "0.1.0"
