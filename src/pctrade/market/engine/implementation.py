"""Which matching engine runs: the compiled core, or the same modules as Python source.

The book's two hot modules, ``sides`` and ``book``, are compiled with mypyc when the
package is installed (``setup.py``; ``make setup`` does it): the same source, type-checked
and turned into C, about twice as fast on the benchmark's flow (README, "Matching
engine"). Nothing else changes: the messages, codes and parameters stay Python, and the
compiled book takes and returns the very same objects.

When the compiled modules are missing (a machine without a C compiler, or
``PCTRADE_COMPILE=0`` at install) the source runs, as it always could. When they are
there but were built from another version of the source (an edit since the last build,
or a checkout of another branch) they are stale: the source runs and a ``RuntimeWarning``
says to rebuild, because running old compiled code under new source would be wrong in
silence. The build records the SHA-256 of each source it compiled in ``compiled.json``
beside them, and a compiled module without that record, or with a different digest, is
not used. ``PCTRADE_ENGINE=python`` asks for the source whatever is built.

``CHOSEN`` says which one this process runs and why (``pctrade version`` and
``bench/matching.py`` print it); ``load_source`` gives the source modules beside the
compiled ones, so that the tests run both. This is the one module of the engine that
reads files, and only when the engine is first imported.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import sys
import warnings
from dataclasses import dataclass
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path
from types import ModuleType
from typing import Final

PACKAGE: Final = "pctrade.market.engine"
HERE: Final = Path(__file__).resolve().parent
# The compiled modules, in import order (book imports sides).
COMPILED_MODULES: Final = ("sides", "book")
STAMP: Final = "compiled.json"  # written by setup.py's build: {"sources": {name: sha256}}
ENV: Final = "PCTRADE_ENGINE"  # "python": run the source even when a compiled core is built

COMPILED: Final = "compiled (mypyc)"
SOURCE: Final = "python"

_log = logging.getLogger(PACKAGE)


@dataclass(frozen=True, slots=True)
class Implementation:
    name: str  # COMPILED or SOURCE
    why: str

    def __str__(self) -> str:
        return f"{self.name}: {self.why}"


def source_digests(folder: Path = HERE) -> dict[str, str]:
    """SHA-256 of each compiled module's source (what the build records)."""
    return {
        name: hashlib.sha256((folder / f"{name}.py").read_bytes()).hexdigest()
        for name in COMPILED_MODULES
    }


def compiled_present(folder: Path = HERE) -> bool:
    """Whether every compiled module has its extension file here."""
    return all(
        any((folder / f"{name}{suffix}").exists() for suffix in EXTENSION_SUFFIXES)
        for name in COMPILED_MODULES
    )


def stale_because(folder: Path = HERE) -> str | None:
    """Why the compiled modules here may not be used; None if they match the source."""
    try:
        recorded = json.loads((folder / STAMP).read_text(encoding="utf-8"))["sources"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"no valid {STAMP} beside them (an interrupted or failed build)"
    try:
        current = source_digests(folder)
    except OSError:  # installed without the sources: the compiled modules are all there is
        return None
    changed = sorted(n for n in COMPILED_MODULES if recorded.get(n) != current[n])
    if changed:
        return f"built from another version of {', '.join(f'{n}.py' for n in changed)}"
    return None


def choose(folder: Path = HERE) -> Implementation:
    """Which engine to run here, and why; warns when the compiled one is stale."""
    if os.environ.get(ENV) == "python":
        return Implementation(SOURCE, f"{ENV}=python")
    if not compiled_present(folder):
        return Implementation(SOURCE, "no compiled core is built (no mypyc or no C compiler)")
    stale = stale_because(folder)
    if stale is not None:
        why = f"the compiled core is stale ({stale}); rebuild it: make setup"
        warnings.warn(f"pctrade's matching engine runs as Python: {why}", RuntimeWarning, 2)
        return Implementation(SOURCE, why)
    return Implementation(COMPILED, "built by mypyc from this source")


def load_source(*, keep: bool) -> dict[str, ModuleType]:
    """The compiled modules loaded from their Python source, as new module objects.

    With ``keep`` they replace the compiled ones for this process (what ``choose``'s
    answer calls for). Without it they are loaded beside them: ``sys.modules`` names them
    only while they load (so that the source ``book`` imports the source ``sides``) and
    is put back afterwards, so the engine as imported stays what it was.
    """
    saved = {name: sys.modules.get(f"{PACKAGE}.{name}") for name in COMPILED_MODULES}
    loaded: dict[str, ModuleType] = {}
    try:
        for name in COMPILED_MODULES:
            full = f"{PACKAGE}.{name}"
            spec = importlib.util.spec_from_file_location(full, HERE / f"{name}.py")
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot load {full} from its source", name=full)
            module = importlib.util.module_from_spec(spec)
            sys.modules[full] = module
            spec.loader.exec_module(module)
            loaded[name] = module
    finally:
        if not keep:
            for name, before in saved.items():
                if before is None:
                    sys.modules.pop(f"{PACKAGE}.{name}", None)
                else:
                    sys.modules[f"{PACKAGE}.{name}"] = before
    return loaded


def _select() -> Implementation:
    chosen = choose()
    if chosen.name == SOURCE and compiled_present():
        load_source(keep=True)  # before anything imports the compiled modules
    _log.info("matching engine: %s", chosen)
    return chosen


CHOSEN: Final = _select()
