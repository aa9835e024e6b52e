"""Physical sanity bounds of a scenario: values no real shop reaches.

They exist so that whatever ``twin validate`` accepts, ``twin run`` can run within
memory and time on one machine: a typo such as ``count: 1000000`` or ``1e308`` for a
setup time is refused with the bound in the message, instead of overflowing an integer
grid, allocating terabytes, or simulating for days. Each bound is generous: far above
what a workshop has, far below what breaks the machinery.
"""

from __future__ import annotations

__all__ = [
    "MAX_ARRIVALS",
    "MAX_CAPACITY",
    "MAX_COUNT",
    "MAX_CV",
    "MAX_DURATION_SECONDS",
    "MAX_FILE_BYTES",
    "MAX_KGCE_PER_KWH",
    "MAX_OPERATIONS",
    "MAX_POWER_KW",
    "MAX_PRIORITY",
    "MAX_QUANTITY",
    "MAX_REPLICATIONS",
    "MAX_SEED",
    "MAX_TIME_LIMIT_SECONDS",
    "MAX_UNITS",
    "MAX_YAML_NODES",
    "MIN_WEIBULL_SHAPE",
]

#: Size of a scenario file (16 MiB: a year of orders is well under 1 MiB), and the
#: number of YAML values it may expand to through aliases.
MAX_FILE_BYTES = 16 * 2**20
MAX_YAML_NODES = 5_000_000
#: Any duration (cycle, setup, travel, repair, horizon): ten years. The scheduler's
#: integer grid (int64) and the simulation clock stay exact far beyond it.
MAX_DURATION_SECONDS = 10 * 365 * 86_400.0
#: Units of one station, and units of the whole shop.
MAX_COUNT = 1_000
MAX_UNITS = 5_000
#: Parts in one lot (an order or one arrival).
MAX_QUANTITY = 1_000_000
#: Lots released or arriving in one run, and operations (lots x routing steps): what the
#: event log of one run holds in well under a few GB.
MAX_ARRIVALS = 1_000_000
MAX_OPERATIONS = 2_000_000
#: Places in a buffer, parts on a build plate, vehicles in a fleet.
MAX_CAPACITY = 1_000_000
#: Electric power of one unit in one state: 100 MW (the largest machine tools draw ~1 MW).
MAX_POWER_KW = 100_000.0
#: kgce per kWh: 1 kgce/kWh would mean generating at 12 % efficiency; real 等价值
#: coefficients are about 0.3 and the 当量值 is 0.1229 (GB/T 2589-2020).
MAX_KGCE_PER_KWH = 1.0
#: Coefficient of variation of a random duration.
MAX_CV = 10.0
#: A Weibull shape below 0.1 puts its mean above 3.6 million times its scale
#: (Gamma(1 + 1/k)); it is a typo, and beyond ~0.006 the mean is not even a float.
MIN_WEIBULL_SHAPE = 0.1
#: Seeds: CP-SAT takes a 32-bit seed.
MAX_SEED = 2**31 - 1
#: Replications of one run, and the solver's wall-clock limit (one day).
MAX_REPLICATIONS = 10_000
MAX_TIME_LIMIT_SECONDS = 86_400.0
#: Order priority (the weight of its tardiness).
MAX_PRIORITY = 1_000_000
