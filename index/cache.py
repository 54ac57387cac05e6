"""A small bounded memo for values derived per row (tokens, normalised text)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_SIZE = 50_000  # entries; a question touches a few hundred rows


class BoundedCache(Generic[K, V]):
    """Remembers up to ``size`` values; when full it starts again empty.

    Cheaper than an LRU and enough for a working set of a few hundred rows per question; safe
    to share between threads (a value lost to a concurrent reset is only computed again).
    """

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._values: dict[K, V] = {}

    def get(self, key: K, make: Callable[[], V]) -> V:
        """The value for ``key``, made by ``make()`` the first time it is asked for."""
        value = self._values.get(key)
        if value is None:
            if len(self._values) >= self.size:
                self._values = {}
            value = self._values[key] = make()
        return value

    def __len__(self) -> int:
        return len(self._values)
