"""Small helpers for messages a user reads."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """``1 task``, ``2 tasks``: messages read better without "1 tasks"."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
