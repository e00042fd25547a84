"""Tables derived once per dataset: grades on the ladder, spells, exposure, state on a date."""

from pathaudit.derived.ladder import assign_grades, top_grades
from pathaudit.derived.population import current_state
from pathaudit.derived.spells import derive_exposure, derive_spells, fiscal_quarters

__all__ = [
    "assign_grades",
    "current_state",
    "derive_exposure",
    "derive_spells",
    "fiscal_quarters",
    "top_grades",
]
