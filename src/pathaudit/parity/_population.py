"""Who pay parity compares, and which pay it compares.

The people employed on the as-of date (:func:`pathaudit.derived.population.current_state`)
with positive FTE base pay and a grade, in one currency or converted by the map's fx
table; their variable pay, equity and total compensation on the same FTE,
reporting-currency basis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.derived.population import current_state, fte_filled
from pathaudit.errors import PathauditError

COMPONENTS: dict[str, str] = {
    "base": "FTE base pay",
    "variable": "variable pay (bonus, commission), FTE basis",
    "equity": "equity (annualised grant value), FTE basis",
    "total": "total compensation (base + variable + equity), FTE basis",
}
"""Pay components, in report order, with their labels."""

LOG_MODEL_COMPONENTS = ("base", "total")
"""Components modelled by OLS on log pay; the others (which can be zero) by PPML."""

MIXED_CURRENCIES = (
    "Pay comparisons never pool currencies without an fx table: the people employed on "
    "{as_of} are paid in {found}. Add an [fx] table to the column map (reporting_currency "
    "and one rate per currency), or pass currency='{first}' to analyse one currency."
)

NO_POPULATION = (
    "No one is left to compare on {as_of}: {n} people employed, {kept} with fte > 0, "
    "positive base pay and a grade. Check as_of and the pay columns."
)

def parity_population(
    data: AuditData, as_of: object | None, currency: str | None
) -> tuple[pd.DataFrame, dict[str, int], str, pd.Timestamp]:
    """People in scope with FTE pay components and controls.

    Parameters
    ----------
    data
        Loaded dataset.
    as_of
        Date of the comparison (default ``data.as_of``).
    currency
        Keep only people paid in this currency (None: all, which needs one currency
        or an fx table).

    Returns
    -------
    (pandas.DataFrame, dict, str, pandas.Timestamp)
        The current-state table of the people kept, with ``grade`` (int), ``track``,
        ``is_ic`` (1 for IC), ``base`` (FTE base pay) and, where the export has them,
        ``variable``, ``equity`` and ``total``; the excluded counts by reason; the
        currency label; the as-of date.

    Raises
    ------
    PathauditError
        Mixed currencies without an fx table, or nobody left. One track only is not an
        error: the parts that compare tracks say so (:func:`one_track`).
    """
    report: dict[str, int] = {}
    pop = current_state(data, as_of, report=report)
    when = pd.Timestamp(as_of).normalize() if as_of is not None else pd.Timestamp(data.as_of)
    excluded: dict[str, int] = {}
    if report["no_job_record"]:
        excluded["no_job_record_on_as_of"] = report["no_job_record"]
    fx = data.config.get("fx") or {}
    label = str(fx.get("reporting_currency", "")) if fx else ""
    if "currency" in pop and pop["currency"].notna().any():
        found = sorted(pop["currency"].dropna().astype(str).unique())
        if currency is not None:
            keep = pop["currency"].astype("string").fillna(currency) == currency
            excluded["other_currency"] = int((~keep).sum())
            pop = pop.loc[keep.to_numpy()]
            label = currency
        elif len(found) > 1 and not fx:
            raise PathauditError(
                MIXED_CURRENCIES.format(as_of=when.date(), found=", ".join(found), first=found[0])
            )
        elif not label:
            label = found[0]
    fte = fte_filled(pop)
    bad_fte = ~(fte > 0)
    excluded["fte_not_positive"] = int(bad_fte.sum())
    pay = pop["pay"].astype("float64") if "pay" in pop else pd.Series(np.nan, index=pop.index)
    bad_pay = ~(pay > 0) & ~bad_fte
    excluded["pay_missing_or_not_positive"] = int(bad_pay.sum())
    bad_grade = pop["grade"].isna() & ~bad_fte & ~bad_pay
    excluded["grade_missing"] = int(bad_grade.sum())
    keep = ~(bad_fte | bad_pay | bad_grade)
    n_before = len(pop)
    pop = pop.loc[keep.to_numpy()].copy()
    excluded = {k: v for k, v in excluded.items() if v}
    if pop.empty:
        raise PathauditError(NO_POPULATION.format(as_of=when.date(), n=n_before, kept=0))
    pop["grade"] = pop["grade"].astype("int64")
    pop["track"] = pop["track"].astype(str)
    pop["is_ic"] = (pop["track"] == "IC").astype("int64")
    pop["base"] = pay.loc[pop.index]
    # the loader's conversion of base salary to FTE reporting-currency pay, applied to the rest
    if "base_salary" in pop:
        factor = (pop["base"] / pop["base_salary"].astype("float64")).where(
            pop["base_salary"] > 0
        )
    else:
        factor = pd.Series(np.nan, index=pop.index)
    extra = []
    for comp, col in (("variable", "variable_pay"), ("equity", "equity")):
        if col in pop and pop[col].notna().any():
            pop[comp] = (pop[col].astype("float64").fillna(0.0) * factor).clip(lower=0.0)
            extra.append(comp)
    if extra:
        pop["total"] = pop["base"] + pop[extra].fillna(0.0).sum(axis=1)
    return pop, excluded, label, when


def one_track(pop: pd.DataFrame) -> str | None:
    """The one track everyone compared is on (``"IC"`` or ``"M"``), or None with both.

    Examples
    --------
    >>> one_track(pd.DataFrame({"track": ["IC", "IC"]}))
    'IC'
    >>> one_track(pd.DataFrame({"track": ["IC", "M"]})) is None
    True
    """
    tracks = pop["track"].astype(str).unique()
    return str(tracks[0]) if len(tracks) == 1 else None
