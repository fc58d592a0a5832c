"""Write files so that a crash never leaves half a file where the output should be."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_binary(path: Path) -> Iterator[IO[bytes]]:
    """A binary file handle on a temporary file beside ``path``, renamed onto it when the block
    ends without an exception and removed otherwise."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_binary(path) as handle:
        handle.write(data)


def write_text(path: Path, text: str) -> None:
    # newline="" semantics: the text is written exactly, "\r\n" stays "\r\n".
    write_bytes(path, text.encode("utf-8"))
