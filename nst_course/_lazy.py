"""PEP 562 lazy names for a package: each imported from its module on first use.

``nst_course`` and ``nst_course.bench`` offer names from their modules without importing those
modules (and PyTorch with them) at ``import``: a refused command answers before the 2 s import.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_attributes(package: str, where: dict[str, str], namespace: dict,
                    ) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: ``where`` maps each public name to the
    module (relative to ``package``) that defines it; a name found once is stored in
    ``namespace`` (the package's ``globals()``), so later uses do not come here."""
    def __getattr__(name: str):
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{where[name]}", package), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted([*namespace, *where])

    return __getattr__, __dir__
