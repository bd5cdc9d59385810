"""Personal low-carbon behaviour: methodologies as data, validation, exact quantification.

The pure domain of issue 4 (standard library only; `loader` reads the packaged
methodology files). `pctrade.energy.pipeline` runs the same rules set-based on DuckDB
or Spark. See README.md in this package for units and rounding.
"""

from pctrade.energy.behaviour.loader import MethodologyError, load_catalogue, load_text
from pctrade.energy.behaviour.model import (
    UG_PER_G,
    BehaviourType,
    Catalogue,
    Event,
    Methodology,
    Source,
)
from pctrade.energy.behaviour.quantify import (
    DayResult,
    EnergyRow,
    HeldEvent,
    RejectedEvent,
    apply_caps,
    day_window,
    quantify_day,
)
from pctrade.energy.behaviour.reasons import CapFlag, Hold, Rejection

__all__ = [
    "UG_PER_G",
    "BehaviourType",
    "CapFlag",
    "Catalogue",
    "DayResult",
    "EnergyRow",
    "Event",
    "HeldEvent",
    "Hold",
    "Methodology",
    "MethodologyError",
    "RejectedEvent",
    "Rejection",
    "Source",
    "apply_caps",
    "day_window",
    "load_catalogue",
    "load_text",
    "quantify_day",
]
