"""Build step: the matching engine's hot modules compiled with mypyc (issue 13).

Everything else about the package is in pyproject.toml; this file only adds the
extension modules. ``pip install -e .`` (what ``make setup`` runs) and ``pip install .``
both come through here: mypyc, which pyproject's ``[build-system]`` installs, type-checks
``engine/sides.py`` and ``engine/book.py`` and writes C for them; setuptools compiles it
(in place for an editable install, so the ``.so`` files sit beside the ``.py`` ones, and
git ignores them). Then ``compiled.json`` records the SHA-256 of each source compiled,
which is how the engine knows that its compiled modules are this source's
(``pctrade.market.engine.implementation``).

The compiled core is optional. Without a C compiler or Python's headers the extensions
fail to build, setuptools says so and the install goes on; ``PCTRADE_COMPILE=0`` skips
mypyc altogether. Either way the engine runs as Python.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ENGINE = "src/pctrade/market/engine"
MODULES = ("sides", "book")  # pctrade.market.engine.implementation.COMPILED_MODULES
GROUP = "pctrade.market.engine.core"  # the shared library's module: engine/core__mypyc
STAMP = "compiled.json"
# The SHA-256 of each source as mypyc read it, for the stamp.
SOURCES = {
    name: hashlib.sha256(Path(ENGINE, f"{name}.py").read_bytes()).hexdigest() for name in MODULES
}


def _extensions() -> list[Extension]:
    if os.environ.get("PCTRADE_COMPILE", "1") == "0":
        print("pctrade: PCTRADE_COMPILE=0, the matching engine stays Python", file=sys.stderr)
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:
        print("pctrade: mypyc is not installed, the engine stays Python", file=sys.stderr)
        return []
    paths = [f"{ENGINE}/{name}.py" for name in MODULES]
    try:
        # No config file: the project's mypy settings name a plugin (pydantic's) that
        # the build's own environment does not have, and the engine needs none of them.
        extensions = mypycify(
            ["--config-file=", *paths], group_name=GROUP, target_dir="build/mypyc"
        )
    except (Exception, SystemExit) as exc:  # mypyc's type errors end in SystemExit
        print(f"pctrade: mypyc failed ({exc!r}), the engine stays Python", file=sys.stderr)
        return []
    for extension in extensions:
        extension.optional = True  # a failed compile is a warning, not a failed install
    return extensions


class BuildEngine(build_ext):
    """build_ext that records, beside the compiled modules, which source they are."""

    def run(self) -> None:
        self._built: set[str] = set()
        names = {ext.name for ext in self.extensions}
        stamp = Path(self.get_ext_fullpath(f"{GROUP}__mypyc")).parent / STAMP if names else None
        if stamp is not None:
            stamp.unlink(missing_ok=True)  # until this build is known to have succeeded
        super().run()
        if stamp is not None and names <= self._built:
            stamp.write_text(json.dumps({"sources": SOURCES}, indent=1) + "\n")

    def build_extension(self, ext: Extension) -> None:
        super().build_extension(ext)  # raises if it failed (optional: caught by the caller)
        self._built.add(ext.name)


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildEngine})
