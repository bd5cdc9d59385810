"""The daily set-based quantification pipeline (DuckDB by default, Spark at scale).

One pipeline definition (`definition`, SQL in the common subset of both
engines) implements the rules of `pctrade.energy.behaviour.quantify` over a whole
day's events. Entry point: `quantify_file`.
"""

from pctrade.energy.pipeline.importer import ImportedFile, import_file
from pctrade.energy.pipeline.run import Engine, QuantifyResult, quantify_file

__all__ = ["Engine", "ImportedFile", "QuantifyResult", "import_file", "quantify_file"]
