"""Outcome measures for follow-up: definitions as data, scoring, and change between visits.

Plain Python, no Django. The measures (LEFS, VISA-H, pain at rest and when running) live in
``measures.toml`` beside this file: items, response options, range, direction, minimal
important change (MCID) where one is published, and sources. Public API:

* ``score(measure_code, responses)`` -> ``Score`` (total, maximum, direction, interpretation...),
  raising ``ScoringError`` whose ``errors`` name each missing or out-of-range item
* ``score_total(measure_code, total)`` -> ``Score`` for a stored total
* ``change(previous, current)`` -> ``Change`` (delta, better/worse, reaches the MCID or not;
  ``important`` is None when no MCID is published, as for the VISA-H)
* ``applicable_responses(measure_code, responses)`` drops answers a branch does not lead to
* look-ups: ``measures()``, ``measure(code)``, ``measures_version()``, ``source(key)``,
  ``load_measures(path)``
"""

from .definitions import (
    MEASURES_FILE,
    Condition,
    DefinitionError,
    Definitions,
    Item,
    Measure,
    Option,
    Source,
    UnknownMeasureError,
    load_measures,
    measure,
    measures,
    measures_version,
    score_range,
    source,
)
from .scoring import (
    Change,
    Score,
    ScoringError,
    applicable_responses,
    applies,
    change,
    score,
    score_total,
)

__all__ = [
    "MEASURES_FILE",
    "Change",
    "Condition",
    "DefinitionError",
    "Definitions",
    "Item",
    "Measure",
    "Option",
    "Score",
    "ScoringError",
    "Source",
    "UnknownMeasureError",
    "applicable_responses",
    "applies",
    "change",
    "load_measures",
    "measure",
    "measures",
    "measures_version",
    "score",
    "score_range",
    "score_total",
    "source",
]
