"""Fixtures for the behaviour tests: the shipped catalogue and one shared SparkSession."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from pctrade.energy.behaviour import Catalogue, load_catalogue

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    """One local session per test process: starting the JVM costs seconds."""
    pytest.importorskip("pyspark")
    from pctrade.energy.pipeline.spark_engine import local_session

    logging.getLogger("py4j").setLevel(logging.WARNING)
    session = local_session(cores=2, memory="1g", small_data=True)
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.hookimpl(tryfirst=True)  # before xdist's hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # py4j leaves its gateway sockets to the garbage collector; the resulting
    # ResourceWarnings say nothing about our code, so Spark tests ignore them.
    # The Spark tests share one worker (`make test` runs `--dist loadgroup`): a JVM
    # started on each worker would cost its start-up and a gigabyte twice.
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("spark"))
            item.add_marker(pytest.mark.filterwarnings("ignore::ResourceWarning"))
            item.add_marker(
                pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
            )
