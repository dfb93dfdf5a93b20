"""Every problem in the data as `file:line: what is wrong`, collected before failing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..yamlsource import DataError, LineDict, read_yaml


class KnowledgeError(Exception):
    """The data did not validate; `errors` holds one `file:line: message` per problem."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("\n".join(errors))


def shown(path: Path) -> str:
    """`path` as a curator reads it: relative to the working folder when it lies inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class Collector:
    """Gathers errors with their locations, so a curator can fix a whole batch at once."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.unreadable: list[Path] = []  # files that could not be read or parsed at all

    def unparsed_in(self, folder: Path) -> set[str]:
        """The names (without .yaml) of the files in `folder` that could not be parsed: what
        they would define is unknown, so it must not be called undefined elsewhere."""
        return {p.stem for p in self.unreadable if p.parent == folder}

    def add(self, path: Path, line: int, message: str) -> None:
        self.errors.append(f"{shown(path)}:{line}: {message}")

    def read_mapping(self, path: Path, expected: str) -> LineDict | None:
        """The file's top-level mapping, or None (with an error) when it is not one."""
        data = self.read(path)
        if data is not None and not isinstance(data, LineDict):
            self.add(path, 1, expected)
            return None
        return data

    def read(self, path: Path) -> Any:
        """The parsed file, or None (with an error) when it cannot be read or is empty."""
        try:
            data = read_yaml(path)
        except DataError as exc:
            self.add(path, exc.line, exc.message)
            self.unreadable.append(path)
            return None
        if data is None:
            self.add(path, 1, "the file is empty (only blank lines or comments): add its content or delete it")
        return data
