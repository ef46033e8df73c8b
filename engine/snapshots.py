"""Pickle a trainer to send it to another process, naming its shared data instead of copying it.

A live run moves between the web process and a training worker (:mod:`engine.workers`)
as bytes: the worker trains it and sends back a *snapshot* after every tick, which the
page draws. The model, optimizer state, generators and history travel; the training
data must not (5,000 digits are 32 MB: a snapshot would cost more than the tick).

Read-only data sets that every session shares are created through :func:`shared`,
which calls a loader once per process and remembers how the result was made. When a
snapshot is pickled, such an object is written as that recipe (the loader's import
path and its arguments); unpickling calls the loader, once per process, and gets the
process's own copy. So a snapshot of a digit trainer is its weights and counters, and
both processes gather batches from the same bytes on disk.

The recipe table is a process-wide cache of read-only objects, as ``functools.cache``
is: it never holds user data, and entries are only ever added.
"""

from __future__ import annotations

import importlib
import io
import pickle
import threading
from collections.abc import Callable
from typing import Any

_lock = threading.Lock()
_made: dict[tuple, Any] = {}  # recipe -> object (this process's copy)
_recipes: dict[int, tuple] = {}  # id(object) -> recipe, for objects in _made (kept alive there)


def _path(loader: Callable) -> str:
    return f"{loader.__module__}:{loader.__qualname__}"


def _resolve(path: str) -> Callable:
    module, _, name = path.partition(":")
    target: Any = importlib.import_module(module)
    for part in name.split("."):
        target = getattr(target, part)
    return target


def shared(loader: Callable, *args: Any, **kwargs: Any) -> Any:
    """``loader(*args, **kwargs)``, made once per process and pickled by reference from then on.

    ``loader`` must be a module-level function, and its result must depend only on its
    arguments (and the environment, which a worker inherits): a worker rebuilds the object
    by calling it again. Treat the result as read-only.
    """
    recipe = (_path(loader), args, tuple(sorted(kwargs.items())))
    return _make(recipe)


def _make(recipe: tuple) -> Any:
    with _lock:
        if recipe in _made:
            return _made[recipe]
    path, args, kwargs = recipe
    value = _resolve(path)(*args, **dict(kwargs))
    with _lock:
        if recipe not in _made:  # another thread may have made it meanwhile: keep the first
            _made[recipe] = value
            _recipes[id(value)] = recipe
        return _made[recipe]


def recipe_of(obj: Any) -> tuple | None:
    """How ``obj`` was made, if it came from :func:`shared` in this process."""
    with _lock:
        recipe = _recipes.get(id(obj))
        return recipe if recipe is not None and _made.get(recipe) is obj else None


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> tuple | None:
        return recipe_of(obj)


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: tuple) -> Any:
        return _make(pid)


def dumps(obj: Any) -> bytes:
    """Pickle ``obj`` (protocol 5); shared data sets are written as their recipes."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=5).dump(obj)
    return buffer.getvalue()


def loads(data: bytes) -> Any:
    """The inverse of :func:`dumps`: shared data sets come from this process's cache."""
    return _Unpickler(io.BytesIO(data)).load()


def recipes() -> list[tuple]:
    """The recipes of every shared object this process has made (a new worker can make them ahead of time)."""
    with _lock:
        return list(_made)


def prepare(recipe: tuple) -> Any:
    """Make the shared object of ``recipe`` in this process now (as unpickling it later would)."""
    return _make(recipe)
