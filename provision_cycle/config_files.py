"""Reading YAML configuration so that every problem names the file, the item and what is wrong.

Configuration is typed by hand rather than with a schema library: the messages are for council
administrators editing a file, so each one says where, what was found, and what is expected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml


class ConfigError(Exception):
    """Configuration that cannot be used. ``problems`` lists every one found, each with file and item."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Invalid configuration:\n  " + "\n  ".join(problems))


@dataclass
class Problems:
    """Collects problems so that one run reports all of them, not just the first."""

    items: list[str] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise ConfigError(self.items)


_MISSING = object()
# libyaml's parser where PyYAML was built with it: the same safe subset of YAML, the same error marks, some
# ten times faster than the pure-Python one (every application and core built reads the whole of config/ and
# workflows/: most of the time it took to start, and a share of every test's).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Node:
    """A value read from a YAML file, carrying its location (``file: path.to[2].item``)."""

    def __init__(self, value: Any, file: str, path: str, problems: Problems) -> None:
        self.value = value
        self.file = file
        self.path = path
        self.problems = problems

    @classmethod
    def load(cls, path: Path, problems: Problems, *, root: Path | None = None) -> Node | None:
        name = str(path.relative_to(root)) if root and path.is_relative_to(root) else str(path)
        try:
            value = yaml.load(path.read_text(encoding="utf-8"), Loader=_SAFE_LOADER)
        except FileNotFoundError:
            problems.add(name, "file not found")
            return None
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problems.add(name, f"is not valid YAML{where}: {getattr(exc, 'problem', exc)}")
            return None
        return cls(value, name, "", problems)

    @property
    def where(self) -> str:
        return f"{self.file}: {self.path}" if self.path else self.file

    def error(self, message: str) -> None:
        self.problems.add(self.where, message)

    def _child_path(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def child(self, key: str | int, value: Any) -> Node:
        return Node(value, self.file, self._child_path(key), self.problems)

    # --- shapes -------------------------------------------------------------------------------
    def is_mapping(self) -> bool:
        if isinstance(self.value, dict):
            return True
        self.error(f"expected a mapping of keys to values, found {_describe(self.value)}")
        return False

    def items(self) -> Iterator[Node]:
        """The elements of a list (an absent list is empty)."""
        if self.value is None:
            return
        if not isinstance(self.value, list):
            self.error(f"expected a list, found {_describe(self.value)}")
            return
        for index, value in enumerate(self.value):
            yield self.child(index, value)

    def get(self, key: str, default: Any = _MISSING) -> Node:
        if not isinstance(self.value, dict):
            return self.child(key, None if default is _MISSING else default)
        if key not in self.value:
            if default is _MISSING:
                self.error(f"'{key}' is required")
            return self.child(key, None if default is _MISSING else default)
        return self.child(key, self.value[key])

    def reject_unknown(self, *allowed: str) -> None:
        if isinstance(self.value, dict):
            for key in self.value:
                if key not in allowed:
                    self.error(f"unknown key '{key}' (expected one of: {', '.join(allowed)})")

    # --- scalars ------------------------------------------------------------------------------
    def text(self, key: str, default: Any = _MISSING) -> str:
        node = self.get(key, default)
        if default is not _MISSING and (node.value is None or node.value is default):
            return default
        if not isinstance(node.value, str) or not node.value.strip():
            if node.value is not None:
                node.error(f"expected text, found {_describe(node.value)}")
            return ""
        return node.value.strip()

    def integer(self, key: str, default: Any = _MISSING, *, minimum: int | None = None) -> int:
        node = self.get(key, default)
        if node.value is None and default is not _MISSING:
            return default
        if isinstance(node.value, bool) or not isinstance(node.value, int):
            if node.value is not None:
                node.error(f"expected a whole number, found {_describe(node.value)}")
            return 0
        if minimum is not None and node.value < minimum:
            node.error(f"must be at least {minimum}, found {node.value}")
        return node.value

    def boolean(self, key: str, default: bool) -> bool:
        node = self.get(key, default)
        if not isinstance(node.value, bool):
            node.error(f"expected true or false, found {_describe(node.value)}")
            return default
        return node.value

    def money(self, key: str, default: Any = _MISSING) -> Decimal | None:
        """An amount in pounds (``25000`` or ``25000.50``); ``null`` where the default allows it."""
        node = self.get(key, default)
        if node.value is None:
            return None if default is not _MISSING else Decimal(0)
        if isinstance(node.value, bool) or not isinstance(node.value, int | float | str):
            node.error(f"expected an amount in pounds, like 25000 or 25000.50, found {_describe(node.value)}")
            return Decimal(0)
        try:
            amount = Decimal(str(node.value).replace(",", "").replace("_", ""))
        except InvalidOperation:
            node.error(f"expected an amount in pounds, like 25000 or 25000.50, found {node.value!r}")
            return Decimal(0)
        if amount < 0 or amount != amount.quantize(Decimal("0.01")):
            node.error(f"expected pounds and pence no less than 0, found {node.value!r}")
        return amount

    def day(self, key: str, default: Any = _MISSING) -> date | None:
        node = self.get(key, default)
        if node.value is None:
            return None
        if isinstance(node.value, date):
            return node.value
        try:
            return date.fromisoformat(str(node.value))
        except ValueError:
            node.error(f"expected a date like 2026-01-01, found {node.value!r}")
            return None

    def text_list(self, key: str, default: Any = _MISSING) -> list[str]:
        node = self.get(key, default)
        if node.value is None or (default is not _MISSING and node.value is default):
            return [] if default in (_MISSING, None) else list(default)
        if isinstance(node.value, str):
            return [node.value]
        if not isinstance(node.value, list) or not all(isinstance(v, str) for v in node.value):
            node.error(f"expected a list of names, found {_describe(node.value)}")
            return []
        return list(node.value)


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return f"text {value!r}"
    return f"{type(value).__name__} {value!r}"
