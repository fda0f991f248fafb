"""Named registries filled by decorators and by installed packages' entry points."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Callable, Generic, TypeVar

from harness.errors import AlignboardError

T = TypeVar("T")


class Registry(Generic[T]):
    """Components of one kind (aligners, judges), addressable by name.

    Built-ins register with :meth:`register` as a decorator; other packages add
    components by declaring an entry point in ``group`` whose value is the
    component (or a module that registers on import). A plugin that fails to
    import is recorded in :attr:`errors` under its package name; the rest keep working.
    """

    def __init__(self, kind: str, group: str, builtins: str):
        self.kind, self.group, self._builtins = kind, group, builtins
        self._items: dict[str, T] = {}
        self.providers: dict[str, str] = {}
        self.errors: dict[str, str] = {}
        self._loaded = False

    def register(self, name: str, provider: str = "alignboard") -> Callable[[T], T]:
        """Decorator: register ``obj`` under ``name``."""

        def deco(obj: T) -> T:
            self._items[name] = obj
            self.providers[name] = provider
            if hasattr(obj, "name") and isinstance(obj, type):
                obj.name = name
            return obj

        return deco

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        __import__(self._builtins)
        for ep in entry_points(group=self.group):
            package = ep.dist.name if ep.dist else ep.value.split(":")[0]
            try:
                obj = ep.load()
            except Exception as e:  # a broken plugin must not take the others down
                self.errors[package] = f"{type(e).__name__}: {e}"
                continue
            if ep.name not in self._items:  # a module registers itself on import; a class is registered here
                self.register(ep.name)(obj)
            self.providers[ep.name] = package

    def names(self) -> list[str]:
        """Sorted names of every available component."""
        self._load()
        return sorted(self._items)

    def get(self, name: str) -> T:
        """The component called ``name``, or a one-line error listing the known ones."""
        self._load()
        if name not in self._items:
            broken = f" (failed to load: {', '.join(self.errors)})" if self.errors else ""
            raise AlignboardError(f"unknown {self.kind} {name!r}; known: {', '.join(self.names())}{broken}")
        return self._items[name]
