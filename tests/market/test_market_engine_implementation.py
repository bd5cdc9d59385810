"""Which engine runs: the compiled core only when it was built from this very source.

``implementation.choose`` is tried on a folder of its own (the engine's two compiled
modules' source, stand-in extension files, a stamp or none), and the engine as imported
is checked to be what it says it is.
"""

from __future__ import annotations

import inspect
import json
import os
import shutil
import sys
import warnings
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest
from engine_variants import compiled_runs
from typer.testing import CliRunner

from pctrade.cli.main import app as cli
from pctrade.market import engine
from pctrade.market.engine import OrderBook, implementation
from pctrade.market.engine.implementation import COMPILED, COMPILED_MODULES, SOURCE, choose


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The compiled modules' source, as the package has it."""
    for name in COMPILED_MODULES:
        shutil.copy(implementation.HERE / f"{name}.py", tmp_path / f"{name}.py")
    return tmp_path


def _build(folder: Path, *, stamp: bool = True) -> None:
    """What a build leaves: an extension file per module and, if it succeeded, the stamp."""
    for name in COMPILED_MODULES:
        (folder / f"{name}{EXTENSION_SUFFIXES[0]}").write_bytes(b"")
    if stamp:
        record = {"sources": implementation.source_digests(folder)}
        (folder / implementation.STAMP).write_text(json.dumps(record), encoding="utf-8")


def _choose_quietly(folder: Path) -> implementation.Implementation:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning where the choice is a sound one
        return choose(folder)


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(implementation.ENV, raising=False)


def test_without_compiled_modules_the_source_runs(folder: Path) -> None:
    chosen = _choose_quietly(folder)
    assert chosen.name == SOURCE and "no compiled core" in chosen.why


def test_compiled_modules_built_from_this_source_run(folder: Path) -> None:
    _build(folder)
    assert _choose_quietly(folder).name == COMPILED


def test_an_edit_after_the_build_makes_them_stale_and_the_source_runs(folder: Path) -> None:
    _build(folder)
    with (folder / "book.py").open("a", encoding="utf-8") as f:
        f.write("\n# an edit\n")
    with pytest.warns(RuntimeWarning, match=r"stale.*book\.py.*make setup"):
        chosen = choose(folder)
    assert chosen.name == SOURCE and "sides.py" not in chosen.why


def test_compiled_modules_without_the_builds_record_are_not_trusted(folder: Path) -> None:
    _build(folder, stamp=False)
    with pytest.warns(RuntimeWarning, match="compiled.json"):
        assert choose(folder).name == SOURCE
    (folder / implementation.STAMP).write_text("{not json", encoding="utf-8")
    with pytest.warns(RuntimeWarning, match="compiled.json"):
        assert choose(folder).name == SOURCE


def test_half_a_build_is_no_compiled_core(folder: Path) -> None:
    _build(folder)
    (folder / f"book{EXTENSION_SUFFIXES[0]}").unlink()
    assert _choose_quietly(folder).name == SOURCE


def test_the_environment_can_ask_for_the_source(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _build(folder)
    monkeypatch.setenv(implementation.ENV, "python")
    chosen = _choose_quietly(folder)
    assert chosen.name == SOURCE and implementation.ENV in chosen.why


def test_the_source_loaded_beside_leaves_the_engine_as_imported() -> None:
    names = [f"{implementation.PACKAGE}.{n}" for n in COMPILED_MODULES]
    before = [sys.modules.get(n) for n in names]
    loaded = implementation.load_source(keep=False)
    assert [sys.modules.get(n) for n in names] == before
    source_book: type[OrderBook] = loaded["book"].OrderBook
    assert source_book is not OrderBook
    assert inspect.isfunction(source_book.place)  # Python, not compiled
    assert loaded["book"].Order is loaded["sides"].Order  # the source book uses source sides


def test_each_variant_is_the_engine_it_names(
    book_class: type[OrderBook], request: pytest.FixtureRequest
) -> None:
    variant = request.node.callspec.params["book_class"]
    module = sys.modules[book_class.__module__] if variant == "compiled" else None
    if variant == "python":
        assert inspect.isfunction(book_class.place)
        assert book_class.place.__code__.co_filename == str(implementation.HERE / "book.py")
    else:
        assert module is not None and not inspect.isfunction(book_class.place)
        assert Path(str(module.__file__)).name.startswith("book.")
        assert str(module.__file__).endswith(tuple(EXTENSION_SUFFIXES))


def test_the_engine_says_which_one_runs() -> None:
    assert engine.IMPLEMENTATION is implementation.CHOSEN
    assert engine.IMPLEMENTATION.name in (COMPILED, SOURCE)
    assert compiled_runs() == (engine.IMPLEMENTATION.name == COMPILED)
    if compiled_runs():  # the build's record matches the source in the tree
        assert implementation.stale_because() is None


@pytest.mark.skipif(
    os.environ.get("PCTRADE_REQUIRE_COMPILED") != "1", reason="the compiled core is optional"
)
def test_the_compiled_engine_runs_where_it_is_required() -> None:
    assert engine.IMPLEMENTATION.name == COMPILED, engine.IMPLEMENTATION


def test_pctrade_version_says_which_engine_runs() -> None:
    out = CliRunner().invoke(cli, ["version"], env={"COLUMNS": "300", "NO_COLOR": "1"})
    assert out.exit_code == 0, out.output
    assert f"matching engine 撮合引擎: {engine.IMPLEMENTATION.name}" in out.output
