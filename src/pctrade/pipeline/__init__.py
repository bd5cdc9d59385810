"""The daily set-based quantification pipeline (DuckDB by default, Spark at scale).

One pipeline definition (`definition`, SQL in the common subset of both
engines) implements the rules of `pctrade.behaviour.quantify` over a whole
day's events. Entry point: `quantify_file`.
"""

from pctrade.pipeline.importer import ImportedFile, import_file
from pctrade.pipeline.run import Engine, QuantifyResult, quantify_file

__all__ = ["Engine", "ImportedFile", "QuantifyResult", "import_file", "quantify_file"]
