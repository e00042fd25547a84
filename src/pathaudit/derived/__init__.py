"""Tables derived once per dataset: grades on the ladder, spells, exposure, state on a date.

Also the fiscal calendar (:mod:`pathaudit.derived.calendar`), the tops of the ladders
(designed and realised, :mod:`pathaudit.derived.ladder`) and the one counter of
distinct people.
"""

from pathaudit.derived.calendar import (
    fiscal_period_start,
    fiscal_quarter_start,
    fiscal_quarters,
    fiscal_year,
    fiscal_year_ends,
)
from pathaudit.derived.ladder import (
    assign_grades,
    designed_overall,
    designed_overall_on,
    designed_tops,
    promotable_from,
    realised_tops,
    realised_tops_on,
)
from pathaudit.derived.population import current_state, distinct_people
from pathaudit.derived.spells import derive_exposure, derive_spells

__all__ = [
    "assign_grades",
    "current_state",
    "designed_overall",
    "designed_overall_on",
    "designed_tops",
    "derive_exposure",
    "derive_spells",
    "distinct_people",
    "fiscal_period_start",
    "fiscal_quarter_start",
    "fiscal_quarters",
    "fiscal_year",
    "fiscal_year_ends",
    "promotable_from",
    "realised_tops",
    "realised_tops_on",
]
