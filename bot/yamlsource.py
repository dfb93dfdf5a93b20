"""Safe YAML reading that remembers where every mapping came from (for file:line errors)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import ScalarNode

MAX_FILE_BYTES = 2_000_000  # far above any real curated file; stops a runaway paste


class LineDict(dict):
    """A mapping that knows the line it starts on and the line of each key."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.line = 0
        self.key_lines: dict[str, int] = {}


class LineList(list):
    """A list that knows the line it starts on and the line of each item."""

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []


class NotAFile(Exception):
    """What is at a path is not a regular file (a folder, a device, a FIFO); the message says why."""


class TooBig(NotAFile):
    """A regular file with more bytes than allowed."""


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path`, if it has at most `limit` of them.

    A device (/dev/zero), a FIFO or a socket is refused before anything is read: it has no end,
    or would wait for a writer (the open does not wait: O_NONBLOCK). The limit is applied while
    reading, so a file that grows meanwhile is cut off at the limit, never read whole.
    Raises NotAFile, or OSError when it cannot be opened or read.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise NotAFile("is a folder, not a file: move it away or rename it")
        if not stat.S_ISREG(mode):
            raise NotAFile("is not a regular file (a device, a pipe or a socket): only files are read")
        chunks, size = [], 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise TooBig(f"has more than {limit} bytes, the limit")
        return b"".join(chunks)
    finally:
        os.close(fd)


class DataError(Exception):
    """A problem in a data file, located at file:line."""

    def __init__(self, path: Path | str, line: int, message: str):
        self.path = str(path)
        self.line = line
        self.message = message
        super().__init__(f"{self.path}:{line}: {message}")


_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 10x faster


_STR = "tag:yaml.org,2002:str"


class _Loader(_Base):  # type: ignore[misc, valid-type]  # a base chosen at run time (libyaml when present)
    """A safe loader (no python tags) that refuses anchors/aliases and records lines."""

    def construct_object(self, node, deep=False):
        # An alias is the same node met twice; refusing it also defuses "billion laughs".
        constructed = self.constructed_objects
        if node in constructed or node in self.recursive_objects:
            raise yaml.MarkedYAMLError(
                None, None, "YAML aliases (*name) are not allowed in curated data", node.start_mark
            )
        # Most nodes are plain text: take their value here, as PyYAML's str constructor would,
        # without its four nested calls per node (over a quarter of the time parsing took).
        if node.tag == _STR and node.__class__ is ScalarNode:
            constructed[node] = value = node.value
            return value
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise yaml.MarkedYAMLError(None, None, "expected a mapping", node.start_mark)
        result = LineDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise yaml.MarkedYAMLError(None, None, "merge keys (<<) are not allowed", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise yaml.MarkedYAMLError(None, None, "mapping keys must be plain words", key_node.start_mark)
            key = str(key)
            if key in result:
                raise yaml.MarkedYAMLError(None, None, f"duplicate key '{key}'", key_node.start_mark)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node, deep=False):
        if not isinstance(node, yaml.SequenceNode):
            raise yaml.MarkedYAMLError(None, None, "expected a list", node.start_mark)
        construct = self.construct_object
        result = LineList([construct(child, deep=True) for child in node.value])
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_yaml_timestamp(self, node, values=None):
        # "2024-13-45" looks like a date but is none: keep the text, so the caller reports
        # the field at its line instead of the whole load crashing with a ValueError.
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def read_yaml(path: Path) -> Any:
    """Parse one file; raise DataError with the file and line of the first problem."""
    try:
        raw = read_regular_file(path, MAX_FILE_BYTES)
    except TooBig as exc:
        raise DataError(path, 1, f"the file {exc}") from None
    except NotAFile as exc:
        raise DataError(path, 0, str(exc)) from None
    except OSError as exc:  # missing, unreadable (permissions), vanished meanwhile
        raise DataError(path, 0, f"cannot read: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise DataError(path, line, f"not UTF-8 text ({exc.reason}); save the file as UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # as read_text's universal newlines did
    try:
        return yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a safe loader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem or exc.context or "invalid YAML"
        if "python/" in str(exc):
            what = f"tag not allowed ({what})"
        elif mark and _char_at(text, mark.line, mark.column) == "\t":
            what = f"{what} (a tab: YAML is indented with spaces only)"
        raise DataError(path, line, _one_line(what)) from None
    except yaml.reader.ReaderError as exc:  # a control character: libyaml gives a byte offset
        raise DataError(path, _reader_line(text, exc),
                        f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason}); delete it") from None
    except yaml.YAMLError as exc:
        raise DataError(path, 1, _one_line(f"invalid YAML: {exc}")) from None
    except RecursionError:  # the pure-Python parser on absurdly deep nesting (libyaml stops itself)
        raise DataError(path, 1, "nested too deeply") from None


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    return lines[line][column] if 0 <= line < len(lines) and 0 <= column < len(lines[line]) else ""


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _reader_line(text: str, exc: yaml.reader.ReaderError) -> int:
    pos = exc.position
    if 0 <= pos < len(text) and ord(text[pos]) == exc.character:  # the pure-Python reader counts characters
        return text.count("\n", 0, pos) + 1
    return text.encode("utf-8")[:pos].count(b"\n") + 1


def line_of(obj: Any, key: str | None = None, default: int = 1) -> int:
    if isinstance(obj, LineDict):
        if key is not None and key in obj.key_lines:
            return obj.key_lines[key]
        return obj.line
    if isinstance(obj, LineList):
        return obj.line
    return default
