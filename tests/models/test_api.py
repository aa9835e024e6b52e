"""The public surface of `models`: one explicit, complete `__all__`."""

from __future__ import annotations

import importlib
import pkgutil

import models


def test_all_is_complete() -> None:
    """Every name a models submodule exports is exported by the package, and exists."""
    missing = []
    for info in pkgutil.iter_modules(models.__path__):
        module = importlib.import_module(f"models.{info.name}")
        missing += [n for n in getattr(module, "__all__", []) if n not in models.__all__]
    assert missing == []
    assert all(hasattr(models, n) for n in models.__all__)
