"""The engine imports the standard library, the kernel and itself, and nothing else.

The import contract in pyproject (``market-engine-pure``) forbids what exists today;
this whitelist also refuses what does not exist yet (a new dependency, a future module
of the market), so the engine stays pure domain code however the package grows.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pctrade.market.engine as engine

ALLOWED_PREFIXES = ("pctrade.kernel", "pctrade.market.engine")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            assert node.level == 0, f"{path.name}: a relative import"
            found.add(node.module)
    return found


def _allowed(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or module.startswith(ALLOWED_PREFIXES)


def test_the_engine_imports_only_the_standard_library_the_kernel_and_itself() -> None:
    files = sorted(Path(engine.__file__).parent.glob("*.py"))
    assert len(files) >= 6
    outside = {f"{f.name}: {m}" for f in files for m in _imports(f) if not _allowed(m)}
    assert outside == set()


def test_the_whitelist_refuses_what_it_should() -> None:
    assert not _allowed("sqlalchemy") and not _allowed("pctrade.market.service")
    assert not _allowed("pctrade.rules.model") and _allowed("collections.abc")
