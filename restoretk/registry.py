"""Things registered by name: one :class:`Registry` type for every kind restoretk looks up.

PSF families, methods, network bodies and heads, degradation sets, PSF estimators,
denoisers, bench scenarios and peers each live in a :class:`Registry`, created in the
module that defines the kind and filled by that kind's ``register_*`` decorator in the
modules that define the things. Every registry behaves the same way:

- a name is registered once: a second registration is a one-line
  :class:`~restoretk.errors.DuplicateNameError` naming it;
- an unknown name is a one-line :class:`~restoretk.errors.UnknownNameError` that lists
  the choices (a :class:`~restoretk.errors.RestoreError` and a :class:`KeyError`);
- names are listed in registration order;
- names are compared as given, or in lower case where the registry folds case (PSF
  families: ``Gauss:2`` is ``gauss:2``).

Built-ins and plug-ins are loaded on first use, never at import: the first lookup,
listing or membership test of a registry imports the built-in provider modules of its
entry-point group (declared in one place, :mod:`restoretk.plugins`), then the
third-party modules that packages declare under that group, e.g. in their
``pyproject.toml``::

    [project.entry-points."restoretk.methods"]
    my-method = "my_package.restoretk_plugin"

A plug-in module registers its things with the usual decorators when imported. One
that fails to load is skipped with a one-line :class:`~restoretk.errors.PluginWarning`
naming it; restoretk itself keeps working.

Examples
--------
>>> colours = Registry[str]("colour")
>>> colours.register("red", "#f00")
'#f00'
>>> @colours.register("green")
... def green():
...     return "#0f0"
>>> list(colours), colours["red"], "blue" in colours
(['red', 'green'], '#f00', False)
>>> colours["blue"]
Traceback (most recent call last):
...
restoretk.errors.UnknownNameError: unknown colour 'blue'; use one of: red, green
>>> colours.register("red", "#e00")
Traceback (most recent call last):
...
restoretk.errors.DuplicateNameError: colour 'red' is already registered; choose another name
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

from restoretk.errors import DuplicateNameError, PluginWarning, RestoreError, UnknownNameError

__all__ = ["Registry", "declare_providers", "providers"]

T = TypeVar("T")

#: Built-in provider modules by entry-point group, in loading order (see :mod:`restoretk.plugins`).
_PROVIDERS: dict[str, tuple[str, ...]] = {}


def declare_providers(group: str, modules: Iterable[str]) -> None:
    """Declare the built-in modules that register the things of entry-point ``group``.

    Every registry of ``group`` imports them, in this order, on its first use. The
    declarations live in one place, :mod:`restoretk.plugins`, high in the stack, so that
    no registry imports the layers that fill it.

    Examples
    --------
    >>> declare_providers("restoretk.example", ["json"])
    >>> providers("restoretk.example")
    ('json',)
    """
    _PROVIDERS[group] = tuple(dict.fromkeys([*_PROVIDERS.get(group, ()), *modules]))


def providers(group: str) -> tuple[str, ...]:
    """The built-in provider modules declared for entry-point ``group`` (see :func:`declare_providers`).

    Examples
    --------
    >>> "restoretk.learners.methods" in providers("restoretk.methods")
    True
    """
    return _PROVIDERS.get(group, ())


class Registry(Mapping[str, T], Generic[T]):
    """Entries of one kind by name: registered once, listed in registration order, loaded on first use.

    A read-only :class:`~collections.abc.Mapping` from names to entries, with
    :meth:`register` and :meth:`unregister` to change it.

    Parameters
    ----------
    kind : str
        What an entry is, in words (``"network body"``); it names the entries in errors.
    group : str, optional
        The entry-point group (``"restoretk.bodies"``) whose built-in providers
        (:func:`declare_providers`) and third-party plug-ins are loaded on first use.
    fold_case : bool
        Compare names in lower case; registered names must then be lower case.

    Examples
    --------
    >>> sizes = Registry[int]("size", fold_case=True)
    >>> sizes.register("large", 3)
    3
    >>> sizes["LARGE"], sizes.get("huge")
    (3, None)
    """

    def __init__(self, kind: str, *, group: str | None = None, fold_case: bool = False) -> None:
        self.kind = kind
        self.group = group
        self.fold_case = fold_case
        self._entries: dict[str, T] = {}
        self._imported: set[str] = set()
        self._plugins_loaded = False
        self._loading = False

    # -- registering -------------------------------------------------------------------------

    @overload
    def register(self, name: str) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, entry: T, *, replace: bool = False) -> T: ...

    def register(self, name: str, entry: Any = None, *, replace: bool = False) -> Any:
        """Register ``entry`` as ``name`` and return it; without ``entry``, a decorator that does.

        Parameters
        ----------
        name : str
            Its name: non-empty, without spaces (lower case where the registry folds case).
        entry : object, optional
            What to register; omitted, :meth:`register` returns a decorator that registers
            the decorated object and returns it unchanged.
        replace : bool
            Replace an entry of the same name instead of refusing it.

        Raises
        ------
        DuplicateNameError
            For a name already registered (unless ``replace``). Registering loads no
            provider: a name that a built-in registers later is refused when it loads.
        RestoreError
            For a name that is empty, has spaces, or is not lower case where it must be.

        Examples
        --------
        >>> shapes = Registry[int]("shape")
        >>> @shapes.register("square")
        ... class Square:
        ...     sides = 4
        >>> shapes["square"].sides
        4
        """
        if not replace:
            self.check_new(name)
        if entry is None:
            return lambda decorated: self.register(name, decorated, replace=replace)
        self.check_new(name, taken_ok=replace)
        self._entries[name] = entry
        return entry

    def check_new(self, name: str, *, taken_ok: bool = False) -> None:
        """Raise the error :meth:`register` would raise for ``name`` (bad, or taken unless ``taken_ok``).

        Only what is registered so far counts: this loads no provider or plug-in (a
        module that registers may call it while it is being imported).

        Examples
        --------
        >>> Registry[int]("shape").check_new("two words")
        Traceback (most recent call last):
        ...
        restoretk.errors.RestoreError: bad shape name 'two words'; use a word without spaces, e.g. 'my-name'
        """
        if not isinstance(name, str) or not name or any(c.isspace() for c in name):
            raise RestoreError(f"bad {self.kind} name {name!r}", "use a word without spaces, e.g. 'my-name'")
        if self.fold_case and name != name.lower():
            raise RestoreError(f"bad {self.kind} name {name!r}", "use a lower-case word")
        if name in self._entries and not taken_ok:
            raise DuplicateNameError(f"{self.kind} {name!r} is already registered", "choose another name")

    def unregister(self, name: str) -> T:
        """Remove ``name`` and return its entry (a test's or a plug-in's clean-up).

        Examples
        --------
        >>> numbers = Registry[int]("number")
        >>> numbers.register("one", 1)
        1
        >>> numbers.unregister("one"), list(numbers)
        (1, [])
        """
        if name not in self:
            raise self.unknown(name)
        return self._entries.pop(self._key(name))

    # -- looking up --------------------------------------------------------------------------

    def __getitem__(self, name: str) -> T:
        self._load()
        try:
            return self._entries[self._key(name)]
        except (KeyError, TypeError):
            raise self.unknown(name) from None

    def __contains__(self, name: object) -> bool:
        self._load()
        return isinstance(name, str) and self._key(name) in self._entries

    def __iter__(self) -> Iterator[str]:
        self._load()
        return iter(list(self._entries))

    def __len__(self) -> int:
        self._load()
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {list(self._entries)})"

    def unknown(self, name: object, choices: Iterable[str] | None = None, *, kind: str | None = None) -> UnknownNameError:
        """The error for an unknown ``name``, listing ``choices`` (default: every registered name).

        Callers that look up among some entries only (a task's methods, say) raise it
        with those as ``choices`` and their own ``kind``.

        Examples
        --------
        >>> Registry[int]("number").unknown("two", ["one", "three"], kind="odd number")
        UnknownNameError("unknown odd number 'two'; use one of: one, three")
        """
        names = list(self) if choices is None else list(choices)
        return UnknownNameError(f"unknown {kind or self.kind} {name!r}", f"use one of: {', '.join(names) or 'none'}")

    def _key(self, name: str) -> str:
        return name.strip().lower() if self.fold_case and isinstance(name, str) else name

    # -- loading -----------------------------------------------------------------------------

    def _load(self) -> None:
        """Import the built-in providers not imported yet, then (once) the third-party plug-ins."""
        if self.group is None or self._loading:  # a provider that looks up while it is imported sees what is there
            return
        pending = [module for module in providers(self.group) if module not in self._imported]
        if not pending and self._plugins_loaded:
            return
        self._loading = True
        try:
            for module in pending:
                importlib.import_module(module)  # a built-in that fails to import is restoretk's bug: raise it
                self._imported.add(module)
            if not self._plugins_loaded:
                from importlib.metadata import entry_points  # here: ``import restoretk`` stays light

                self._plugins_loaded = True
                for point in entry_points(group=self.group):
                    _load_plugin(point, self.group)
        finally:
            self._loading = False


def _load_plugin(point: Any, group: str) -> None:
    """Import one third-party plug-in; a broken one is a one-line warning, never an error."""
    try:
        point.load()
    except Exception as error:  # noqa: BLE001 - anything a plug-in raises must not break restoretk
        message = " ".join(str(error).split()) or "no message"
        warnings.warn_explicit(  # no source line under it: one line however warnings are shown
            f"plug-in {point.name!r} ({point.value}, group {group}) failed to load and is skipped: "
            f"{type(error).__name__}: {message}",
            PluginWarning,
            filename="restoretk",
            lineno=0,
        )
