"""Lazy package attributes: a package names what it exports, and each module is imported on first use.

``import ebmphys`` then costs almost nothing, and a call pulls in only the modules it
needs (``ebmphys.sample`` on a lattice never imports scipy, h5py, scikit-learn or
matplotlib).
"""

from __future__ import annotations

import importlib


def lazy(package: str, exports: dict[str, str], submodules: tuple[str, ...] = ()):
    """``(__getattr__, __dir__)`` for ``package``: ``exports`` maps a name to the module defining it.

    ``submodules`` are subpackages or modules reachable as attributes (``ebmphys.partition``)
    without an explicit import.  Each value is cached in the package namespace after its first use.
    An exported name must not also be the name of a submodule of ``package`` (importing
    the submodule would bind the package attribute to the module); such packages import
    those names eagerly.
    """
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str):
        if name in exports:
            value = getattr(importlib.import_module(exports[name]), name)
        elif name in submodules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports) | set(submodules))

    return __getattr__, __dir__
