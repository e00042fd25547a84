"""Forced-into-management indicators: whether people are pushed into management.

One public entry point, :func:`forced_management`, runs every indicator of
DOMAIN.md analysis 3 and builds the per-unit profile a leader reads: each
indicator's value and interval against a documented threshold, flagged only when
the whole interval lies beyond it, and the number of flagged indicators. The
indicators themselves are plain functions, each returning the shared result
shape (:mod:`pathaudit.management._common`):

=========================  ===================================================
indicator                  function
=========================  ===================================================
IC ceiling                 :func:`~pathaudit.management._pay.ic_ceiling`
switch premium             :func:`~pathaudit.management._pay.switch_premium`
stalled-then-switched      :func:`~pathaudit.management._stall.stalled_then_switched`
who switches               :func:`~pathaudit.management._who.who_switches`
switch-back                :func:`~pathaudit.management._flow.switch_back`
post-switch attrition      :func:`~pathaudit.management._attrition.post_switch_attrition`
nominal managers           :func:`~pathaudit.management._roles.nominal_managers`
preference mismatch        :func:`~pathaudit.management._roles.preference_mismatch`
Peter-principle signal     :func:`~pathaudit.management._pay.peter_principle`
=========================  ===================================================

``docs/management.md`` defines every indicator and threshold in words.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from pathaudit.checks import (
    check_alpha,
    check_choices,
    check_data,
    check_number,
    check_parts,
)
from pathaudit.errors import ArgumentError
from pathaudit.headline import Threshold, headline_row
from pathaudit.management._attrition import post_switch_attrition
from pathaudit.management._common import (
    ALL,
    NOT_COMPUTED,
    OVERALL,
    by_columns,
    check_by,
    check_count,
    check_seed,
    level_text,
)
from pathaudit.management._flags import adjust_families, figure_test, one_sided_p
from pathaudit.management._flow import switch_back, switch_flows
from pathaudit.management._pay import (
    ic_ceiling,
    peter_principle,
    switch_premium,
)
from pathaudit.management._plots import plot_profile, plot_scores
from pathaudit.management._roles import nominal_managers, preference_mismatch
from pathaudit.management._stall import stalled_then_switched
from pathaudit.management._who import who_switches
from pathaudit.result import AnalysisResult, Note, Result, make_result
from pathaudit.stats.intervals import BOOTSTRAP_SEED

if TYPE_CHECKING:
    from pathaudit.data import AuditData

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FIGURES",
    "INDICATORS",
    "PARTS",
    "PRIMARY_THRESHOLD",
    "ManagementAudit",
    "forced_management",
    "ic_ceiling",
    "nominal_managers",
    "peter_principle",
    "post_switch_attrition",
    "preference_mismatch",
    "profile",
    "resolve_thresholds",
    "scores",
    "stalled_then_switched",
    "switch_back",
    "switch_flows",
    "switch_premium",
    "who_switches",
]

DEFAULT_THRESHOLDS: tuple[Threshold, ...] = (
    Threshold(
        "ic_ceiling", "designed_gap", "IC ladder stops below the M ladder (designed)", "above",
        0.0, "grades",
        "A dual ladder promises an IC level at every management grade; any gap above 0 "
        "grades means the top management grades have no IC equivalent.",
    ),
    Threshold(
        "ic_ceiling", "promotion_rate_ratio", "ICs promoted more slowly than managers",
        "below", 0.8, "ratio",
        "Four-fifths rule of adverse-impact analysis: an IC promotion rate under 80% of the "
        "M rate at the same grades is a practically meaningful disparity.",
        min_events=5,
    ),
    Threshold(
        "switch_premium", "premium", "Switching pays more than an IC promotion", "above",
        0.02, "pay change",
        "Two percentage points of pay: about a quarter of a typical promotion raise (8-10%) "
        "and above the noise of annual merit increases; a smaller premium is not a pay "
        "incentive anyone would notice.",
    ),
    Threshold(
        "stalled_then_switched", "hazard_ratio", "Stalled ICs switch more", "above", 1.25,
        "ratio",
        "The inverse of the four-fifths rule: stalled ICs switching 25% more often than "
        "progressing ICs at the same grade.",
        min_events=5,
    ),
    Threshold(
        "who_switches", "rate_ratio", "Switch rates differ by gender", "outside",
        (0.8, 1.25), "ratio",
        "Four-fifths rule, in both directions: a group moved into management at under 80% "
        "or over 125% of the reference group's rate at the same grades.",
        {"attribute": "gender"},
        min_events=5,
    ),
    Threshold(
        "switch_back", "cif", "Switchers return to IC within {months} months", "above", 0.05,
        "share",
        "Moving back should be possible, so a few switch-backs are healthy; more than one "
        "new manager in twenty back on the IC track within two years (the default horizon) "
        "says the move was often not wanted or not supported.",
    ),
    Threshold(
        "post_switch_attrition", "hazard_ratio", "Switchers leave more than matched ICs",
        "above", 1.25, "ratio",
        "New managers leaving at a rate 25% above comparable ICs who stayed (inverse "
        "four-fifths rule).",
        min_events=5,
    ),
    Threshold(
        "nominal_managers", "share", "Managers without a team", "above", 0.20, "share",
        "A management title with fewer than two reports is a pay or title workaround; "
        "more than one manager in five holding one is a pattern, not a transition.",
    ),
    Threshold(
        "preference_mismatch", "share", "Managers who would rather be ICs", "above", 0.25,
        "share",
        "More than one manager in four stating an IC preference means the M track holds "
        "many people who want the other ladder.",
    ),
    Threshold(
        "peter_principle", "std_difference", "Ratings fall after switching", "below", -0.2,
        "SD",
        "Cohen's small effect: ratings after a switch falling by more than 0.2 standard "
        "deviations relative to ratings after an IC promotion.",
        min_events=5,
    ),
)
"""The documented default thresholds (see docs/management.md). A label may name the run's
settings: ``{months}`` (switch-back horizon), ``{post_months}`` (post-switch horizon),
``{min_reports}`` (nominal managers)."""

FIGURES: dict[str, tuple[str, str]] = {
    "ic_ceiling.designed_gap": (
        "ic_ceiling_designed_gap", "IC ceiling: top management grade minus top IC grade"),
    "ic_ceiling.promotion_rate_ratio": (
        "ic_promotion_rate_ratio", "IC vs manager promotion rate at the same grades (ratio)"),
    "switch_premium.premium": (
        "switch_premium", "Switch premium: pay change at a switch minus at an IC promotion"),
    "stalled_then_switched.hazard_ratio": (
        "stalled_switch_hazard_ratio", "Switch rate of stalled vs progressing ICs (ratio)"),
    "who_switches.rate_ratio": ("who_switches_rate_ratio", "Switch rate ratio by {attribute}"),
    "switch_back.cif": (
        "switch_back_share", "Switchers back on the IC track within {months} months"),
    "post_switch_attrition.hazard_ratio": (
        "post_switch_exit_hazard_ratio",
        "Exit rate of new managers vs matched ICs within {post_months} months (ratio)"),
    "nominal_managers.share": (
        "nominal_manager_share", "Managers with fewer than {min_reports} direct reports"),
    "preference_mismatch.share": (
        "preference_mismatch_share", "Managers who would rather be ICs"),
    "peter_principle.std_difference": (
        "peter_principle_rating_change",
        "Rating change after a switch minus after an IC promotion (SD)"),
}
"""Threshold key (``indicator.measure``) -> (headline key, plain label) of each default
figure. A figure with several categories (who switches) adds them to the key:
``who_switches_rate_ratio_female_vs_male``."""

PRIMARY_THRESHOLD = Threshold(
    "forced_management", "flagged_indicators", "Flagged figures", "above", 0, "figures",
    "Any figure whose whole interval lies beyond its threshold is a warning sign the data "
    "shows beyond reasonable doubt, so a single flag flags the organisation. Not an "
    "equivalence margin: 'clear' needs every assessed figure clear (its whole interval on "
    "the healthy side of its own threshold, that figure's margin), and anything else "
    "without a flag is inconclusive.",
)
"""The threshold of the primary figure, ``flagged_indicators``."""

INDICATORS: dict[str, Callable[..., Result]] = {
    "ic_ceiling": ic_ceiling,
    "switch_premium": switch_premium,
    "stalled_then_switched": stalled_then_switched,
    "who_switches": who_switches,
    "switch_back": switch_back,
    "post_switch_attrition": post_switch_attrition,
    "nominal_managers": nominal_managers,
    "preference_mismatch": preference_mismatch,
    "peter_principle": peter_principle,
}
"""Every indicator by name, in report order."""

PARTS: tuple[str, ...] = (*INDICATORS, "switch_flows", "profile", "scores")
"""Every part of :class:`ManagementAudit`, in report order (the values ``parts=`` takes)."""

PROFILE_COLUMNS: tuple[str, ...] = (
    "by", "group", "indicator", "measure", "key", "label", "detail", "estimate", "ci_lower",
    "ci_upper", "n", "threshold", "unit", "status", "reason", "flagged", "excess", "p_value",
    "p_adjusted", "family_size", "fcr_level", "fcr_lower", "fcr_upper", "suppressed",
)
"""Columns of the ``profile`` part (see :func:`profile`)."""

SCORE_COLUMNS: tuple[str, ...] = (
    "by", "group", "flagged", "assessed", "clear", "inconclusive", "not_estimable",
    "not_computed", "status", "strongest", "reason", "suppressed",
)
"""Columns of the ``scores`` part (see :func:`scores`)."""

ASSESSED: tuple[str, ...] = ("flagged", "clear", "inconclusive")
"""Statuses of a figure read against its threshold (the others are not assessed)."""

_NUMBER_OPTIONS: dict[str, int] = {
    "horizon_months": 1, "n_controls": 1, "min_reports": 1, "window_months": 1,
    "settle_months": 0, "B": 1,
}


# --------------------------------------------------------------------------- thresholds


def _check_value(t: Threshold, value: Any) -> float | tuple[float, float]:
    """A threshold value of the right shape for ``t.direction``, as floats."""
    what = f"thresholds[{t.key!r}]"
    if t.direction == "outside":
        ok = isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2
        if ok:
            low = check_number(value[0], what + " low")
            high = check_number(value[1], what + " high")
            if low < high:
                return (float(low), float(high))
        raise ArgumentError(
            f"{what} is a band: it must be a pair (low, high) of numbers with low < high, "
            f"e.g. (0.8, 1.25); got {value!r}."
        )
    return float(check_number(value, what))


def resolve_thresholds(
    thresholds: Mapping[str, float | tuple[float, float]] | Sequence[Threshold] | None,
) -> tuple[Threshold, ...]:
    """Apply overrides to :data:`DEFAULT_THRESHOLDS`.

    Parameters
    ----------
    thresholds
        None (the defaults); a mapping ``"indicator.measure" -> value`` changing
        the value of default thresholds (a number, or ``(low, high)`` for a band); or a
        full sequence of :class:`~pathaudit.headline.Threshold` replacing them.

    Returns
    -------
    tuple of Threshold

    Raises
    ------
    ArgumentError
        For a key that names no default threshold, a value of the wrong shape, or a
        threshold on an indicator that does not exist.

    Examples
    --------
    >>> ths = resolve_thresholds({"switch_premium.premium": 0.03})
    >>> next(t.value for t in ths if t.key == "switch_premium.premium")
    0.03
    """
    if thresholds is None:
        return DEFAULT_THRESHOLDS
    if isinstance(thresholds, Mapping):
        known = [t.key for t in DEFAULT_THRESHOLDS]
        unknown = sorted(str(k) for k in thresholds if k not in known)
        if unknown:
            close = check_choices_hint(unknown[0], known)
            raise ArgumentError(
                f"thresholds must name default thresholds as 'indicator.measure': {known}; "
                f"unknown: {unknown}.{close} Pass e.g. {{'switch_premium.premium': 0.03}}, "
                "or a list of Threshold to replace them all."
            )
        return tuple(
            replace(t, value=_check_value(t, thresholds[t.key])) if t.key in thresholds else t
            for t in DEFAULT_THRESHOLDS
        )
    if isinstance(thresholds, str) or not isinstance(thresholds, Sequence):
        raise ArgumentError(
            "thresholds must be None, a mapping {'indicator.measure': value} or a list of "
            f"pathaudit.headline.Threshold; got {type(thresholds).__name__}."
        )
    out = tuple(thresholds)
    bad = [type(t).__name__ for t in out if not isinstance(t, Threshold)]
    if bad:
        raise ArgumentError(
            "thresholds given as a list must hold pathaudit.headline.Threshold objects; "
            f"found {bad[0]}. Build them with Threshold(indicator, measure, label, "
            "direction, value, unit, rationale)."
        )
    stray = [t.indicator for t in out if t.indicator not in INDICATORS]
    if stray:
        raise ArgumentError(
            f"each threshold must name an indicator of {list(INDICATORS)}; got {stray[0]!r}."
        )
    return tuple(replace(t, value=_check_value(t, t.value)) for t in out)


def check_choices_hint(value: str, options: Sequence[str]) -> str:
    """`` Did you mean 'x'?`` for the closest option (or "")."""
    import difflib

    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


# --------------------------------------------------------------------------- profile


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")


def figure_key(t: Threshold, detail: str = "") -> str:
    """The stable headline key of a threshold's figure (and of one category of it).

    Examples
    --------
    >>> figure_key(DEFAULT_THRESHOLDS[4], "Female vs Male")
    'who_switches_rate_ratio_female_vs_male'
    """
    base = FIGURES[t.key][0] if t.key in FIGURES else _slug(f"{t.indicator}_{t.measure}")
    return f"{base}_{_slug(detail)}" if detail else base


def _fill(text: str, values: Mapping[str, Any] | None) -> str:
    """``text`` with ``{name}`` replaced by ``values[name]`` (unknown names left as they are)."""
    for name, value in (values or {}).items():
        text = text.replace("{" + name + "}", str(value))
    return text


def _excess(t: Threshold, lower: float, upper: float) -> tuple[float, str]:
    """How far a flagged interval lies beyond the threshold: relative to it, and in words.

    The distance from the threshold to the nearest end of the interval, divided by the
    threshold (by the nearer end of a band); a threshold of 0 has no scale, so there the
    distance is in the figure's own unit.
    """
    if t.direction == "above":
        ref = float(t.value)  # type: ignore[arg-type]
        beyond = lower - ref
    elif t.direction == "below":
        ref = float(t.value)  # type: ignore[arg-type]
        beyond = ref - upper
    else:
        low, high = t.value  # type: ignore[misc]
        ref, beyond = (high, lower - high) if lower > high else (low, low - upper)
    if ref == 0:
        return float(beyond), f"by {beyond:g} {t.unit}"
    rel = float(beyond / abs(ref))
    return rel, f"by {rel:.0%} of the threshold"


def profile(
    results: Mapping[str, Result],
    thresholds: Sequence[Threshold] = DEFAULT_THRESHOLDS,
    *,
    by: str | None = None,
    reasons: Mapping[str, str] | None = None,
    label_values: Mapping[str, Any] | None = None,
    draws: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Read each indicator's headline figure against its threshold.

    Parameters
    ----------
    results
        Indicator name -> its :class:`Result` (as :func:`forced_management` builds).
    thresholds
        Thresholds to read the figures against.
    by
        Which grouping to read: ``None`` for the organisation and every group of
        every grouping in the results, or one grouping (``"org_unit"``, ``"year"``;
        ``"overall"`` for the organisation alone).
    reasons
        Indicator name -> why it is missing from ``results`` (default "the indicator
        was not run").
    label_values
        Values of the ``{name}`` fields of threshold labels (e.g. ``{"months": 24}``).
    draws
        The switch premium's bootstrap draws by (``by``, ``group``), for its one-sided
        p-value (:func:`~pathaudit.management._pay.switch_premium` with
        ``keep_draws=True``); without them a normal approximation to its percentile
        interval is used.

    Returns
    -------
    pandas.DataFrame
        One row per scope (``by``, ``group``) and threshold (and per compared
        category where an indicator has several, e.g. gender): ``indicator``,
        ``measure``, ``key`` (the stable key, as in the headline), ``label``,
        ``detail`` (the category compared), ``estimate``, ``ci_lower``, ``ci_upper``,
        ``n``, ``threshold`` (in words), ``unit``, ``status`` (flagged, clear,
        inconclusive, not estimable or not computed), ``reason`` (the status in
        words), ``flagged`` (bool), ``excess`` (flagged figures: how far the whole
        interval lies beyond the threshold, relative to the threshold; in the
        figure's unit for a threshold of 0), ``p_value`` (one-sided, of the figure
        lying beyond its threshold), ``p_adjusted`` (Benjamini-Hochberg within the
        family), ``family_size`` (figures tested together), ``fcr_level``,
        ``fcr_lower``, ``fcr_upper`` (the Benjamini-Yekutieli false-coverage-rate
        adjusted interval) and ``suppressed`` (the figure rests on fewer than k
        people).

    Notes
    -----
    A figure is flagged only when its whole confidence interval lies beyond the
    threshold and its one-sided p-value, adjusted by Benjamini-Hochberg across its
    family, is at most alpha / 2 (:mod:`pathaudit.management._flags`): a family is
    every figure read for one period (the organisation and every group over the whole
    period, or one fiscal year). A figure alone is flagged exactly when its whole
    interval lies beyond the threshold; a raw flag that does not survive the
    adjustment is inconclusive. Facts of the ladder design (the ceiling gaps) are
    not tested. A suppressed, missing or inconclusive figure is never flagged. A ratio
    with a ``min_events`` rule is read only when each side would have that many events
    at a common rate (``expected_focal``, ``expected_reference``), else it is not
    estimable ("too few events").

    Examples
    --------
    >>> prof = profile({"switch_back": switch_back(data)})  # doctest: +SKIP
    >>> prof[["key", "status", "reason"]]  # doctest: +SKIP
    """
    if not isinstance(results, Mapping) or not all(
            isinstance(r, Result) for r in results.values()):
        raise ArgumentError("results must map indicator names to their Result, e.g. "
                            "{'switch_back': switch_back(data)}.")
    if isinstance(thresholds, Mapping | str) or not isinstance(thresholds, Sequence) or not all(
            isinstance(t, Threshold) for t in thresholds):
        raise ArgumentError("thresholds must be a list of pathaudit.headline.Threshold "
                            "(see resolve_thresholds).")
    if by is not None and not isinstance(by, str):
        raise ArgumentError(f"by must be None or one grouping name; got {by!r}.")
    scopes: list[tuple[str, str]] = [(OVERALL, ALL)]
    seen = {(OVERALL, ALL)}
    for res in results.values():
        if len(res.table):
            pairs = res.table[["by", "group"]].drop_duplicates()
            for p in zip(pairs["by"].tolist(), pairs["group"].tolist(), strict=True):
                if p not in seen:
                    seen.add(p)
                    scopes.append(p)
    if by is not None:
        scopes = [s for s in scopes if s[0] == by]
    alpha = float(next((r.meta["alpha"] for r in results.values() if "alpha" in r.meta), 0.05))
    rows: list[dict[str, Any]] = []
    for t in thresholds:
        why = (reasons or {}).get(t.indicator, "the indicator was not run")
        rows.extend(_profile_rows(t, results.get(t.indicator), scopes, why, label_values,
                                  alpha, draws))
    tests = [r.pop("_test", None) for r in rows]
    frame = pd.DataFrame(rows, columns=[*PROFILE_COLUMNS, "period"])
    frame["p_value"] = frame["p_value"].astype("float64")
    adjusted = adjust_families(frame, tests, alpha)
    out = adjusted[list(PROFILE_COLUMNS)].copy()
    out["flagged"] = out["flagged"].astype(bool)
    out["suppressed"] = out["suppressed"].astype(bool)
    out["excess"] = out["excess"].astype("float64")
    return out


def _strip(note: Any) -> str:
    text = str(note or "")
    return text[len(NOT_COMPUTED):] if text.startswith(NOT_COMPUTED) else text


def _period(by: str, group: str) -> str:
    """The family of a scope: its fiscal year, or the whole period."""
    return f"year {group}" if by == "year" else "whole period"


def _profile_rows(
    t: Threshold, res: Result | None, scopes: list[tuple[str, str]], why: str,
    label_values: Mapping[str, Any] | None, alpha: float = 0.05,
    draws: Mapping[tuple[str, str], np.ndarray] | None = None,
) -> list[dict[str, Any]]:
    base = {"indicator": t.indicator, "measure": t.measure, "key": figure_key(t),
            "label": _fill(t.label, label_values), "detail": "", "estimate": np.nan,
            "ci_lower": np.nan, "ci_upper": np.nan, "n": np.nan, "threshold": t.describe(),
            "unit": t.unit, "flagged": False, "excess": np.nan, "p_value": np.nan,
            "p_adjusted": np.nan, "family_size": np.nan, "fcr_level": np.nan,
            "fcr_lower": np.nan, "fcr_upper": np.nan, "suppressed": False}
    if res is None or not res.meta.get("available", True):
        reason = why if res is None else _strip(res.meta.get("note", ""))
        return [{**base, "by": b, "group": g, "status": "not computed", "reason": reason,
                 "period": _period(b, g)} for b, g in scopes]
    tab = res.table
    of_measure = (tab["measure"] == t.measure).to_numpy()
    sel = of_measure & tab["grade"].isna().to_numpy()
    for col, val in t.where.items():
        sel &= (tab[col] == val).to_numpy() if col in tab else False
    hits = tab.loc[sel]
    has_cat = "category" in hits and "reference" in hits
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in hits.to_dict("records"):
        found.setdefault((r["by"], r["group"]), []).append(r)
    note = _strip(res.meta.get("note", ""))
    where = f" ({', '.join(f'{k}={v}' for k, v in t.where.items())})" if t.where else ""
    if not of_measure.any() and note:
        # the figure itself was not computed from this data (e.g. promotion rates on a
        # snapshot): say why, on every scope
        missing = ("not computed", note)
    else:
        missing = ("not estimable", "no value for this group" + where
                   + (f"; {note}" if note else ""))
    k = res.meta.get("k", "k")
    rows = []
    for b, g in scopes:
        if (b, g) not in found:
            rows.append({**base, "by": b, "group": g, "status": missing[0],
                         "reason": missing[1], "period": _period(b, g)})
            continue
        for r in found[(b, g)]:
            suppressed = bool(r.get("suppressed", False))
            excess = np.nan
            test: dict[str, Any] = {}
            if suppressed:
                status, reason = "not estimable", f"suppressed: fewer than {k} people"
            else:
                on_ratio = "expected_focal" in r and _count(r.get("expected_focal")) + _count(
                    r.get("expected_reference")) > 0
                status, reason = t.status(
                    r["estimate"], r["ci_lower"], r["ci_upper"],
                    _count(r.get("expected_focal" if on_ratio else "numerator")),
                    _count(r.get("expected_reference" if on_ratio else "denominator")))
                if reason.startswith("too few events") and on_ratio:
                    reason = (f"too few events (fewer than {t.min_events} expected on a side "
                              "at a common rate) for a trustworthy interval")
                if status == "flagged":
                    excess, words = _excess(t, float(r["ci_lower"]), float(r["ci_upper"]))
                    reason = f"{reason} ({words})"
                if status in ASSESSED:
                    test = _test_columns(t, r, alpha, draws)
            detail = f"{r['category']} vs {r['reference']}" if has_cat else ""
            rows.append({**base, "by": b, "group": g, "key": figure_key(t, detail),
                         "detail": detail, "estimate": r["estimate"],
                         "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"], "n": r["n"],
                         "status": status, "reason": reason, "flagged": status == "flagged",
                         "excess": excess, "suppressed": suppressed, "period": _period(b, g),
                         **test})
    return rows


def _test_columns(
    t: Threshold, r: Mapping[str, Any], alpha: float,
    draws: Mapping[tuple[str, str], np.ndarray] | None,
) -> dict[str, Any]:
    """The one-sided p-value of an assessed figure and its interval function (``_test``).

    A fact of the ladder design is not tested: its adjusted interval is the value itself.
    """
    kind, test = figure_test(t.indicator, t.measure, r, alpha, draws, t.unit)
    if kind == "fixed":
        return {"fcr_lower": r["ci_lower"], "fcr_upper": r["ci_upper"]}
    if test is None:
        return {}
    return {"p_value": one_sided_p(t, test[0]), "_test": test[1]}


def _count(value: Any) -> float:
    """A count from a table cell (missing counts as 0)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return 0.0
    return v if np.isfinite(v) else 0.0


def _scope_summary(rows: pd.DataFrame) -> dict[str, Any]:
    """Counts, status and reason of one scope's figures (the primary figure's rule)."""
    st = rows["status"]
    n = {s: int((st == s).sum()) for s in (*ASSESSED, "not estimable", "not computed")}
    assessed = sum(n[s] for s in ASSESSED)
    left_out = n["not estimable"] + n["not computed"]
    tail = f"; {left_out} not assessed (not estimable or not computed)" if left_out else ""
    strongest = ""
    if n["flagged"]:
        flagged = rows.loc[st == "flagged"]
        top = flagged.iloc[int(np.argmax(flagged["excess"].fillna(-np.inf).to_numpy()))]
        strongest = str(top["key"])
        what = top["label"] + (f" ({top['detail']})" if top["detail"] else "")
        status = "flagged"
        reason = (f"{n['flagged']} of {assessed} assessed figures flagged; the strongest is "
                  f"{what} [{strongest}]: {top['reason']}")
    elif assessed == 0:
        status = "not estimable"
        reason = f"no figure could be assessed ({left_out} not estimable or not computed)"
    elif n["clear"] == assessed:
        status = "clear"
        reason = f"none of the {assessed} assessed figures is flagged and every one is clear{tail}"
    else:
        status = "inconclusive"
        verb = "is" if n["inconclusive"] == 1 else "are"
        reason = (f"none of the {assessed} assessed figures is flagged, but "
                  f"{n['inconclusive']} {verb} inconclusive (the interval straddles the "
                  f"threshold){tail}")
    return {"flagged": n["flagged"], "assessed": assessed, "clear": n["clear"],
            "inconclusive": n["inconclusive"], "not_estimable": n["not estimable"],
            "not_computed": n["not computed"], "status": status, "strongest": strongest,
            "reason": reason, "suppressed": False}


def scores(prof: pd.DataFrame) -> pd.DataFrame:
    """Count flagged figures per scope: the number a leader reads.

    Parameters
    ----------
    prof
        A profile (:func:`profile`).

    Returns
    -------
    pandas.DataFrame
        One row per (``by``, ``group``): ``flagged`` (the score), ``assessed``
        (figures read against their threshold: flagged, clear or inconclusive),
        ``clear``, ``inconclusive``, ``not_estimable``, ``not_computed``, ``status``
        (flagged when at least one figure is flagged; clear when none is and every
        assessed figure is clear; else inconclusive; not estimable when no figure
        could be assessed), ``strongest`` (the key of the flagged figure whose
        interval lies furthest beyond its threshold, relative to the threshold),
        ``reason`` and ``suppressed`` (always False: counts of figures, not people).

    Examples
    --------
    >>> scores(profile(results))  # doctest: +SKIP
    """
    if not isinstance(prof, pd.DataFrame) or not {"by", "group", "status", "excess"} <= set(
            prof.columns):
        raise ArgumentError("prof must be a profile table (see profile()): a DataFrame with "
                            "by, group, status and excess.")
    out = [{"by": b, "group": g, **_scope_summary(rows)}
           for (b, g), rows in prof.groupby(["by", "group"], sort=False)]
    frame = pd.DataFrame(out, columns=list(SCORE_COLUMNS))
    counts = ["flagged", "assessed", "clear", "inconclusive", "not_estimable", "not_computed"]
    frame[counts] = frame[counts].astype("int64")
    frame["suppressed"] = frame["suppressed"].astype(bool)
    return frame


# --------------------------------------------------------------------------- the bundle


@dataclass(frozen=True)
class ManagementAudit(AnalysisResult):
    """Every forced-into-management indicator, the profile and the score.

    Attributes
    ----------
    ic_ceiling, switch_premium, stalled_then_switched, who_switches, switch_back, \
post_switch_attrition, nominal_managers, preference_mismatch, peter_principle
        One :class:`~pathaudit.result.Result` per indicator (see :data:`INDICATORS`);
        None when not asked for or not computable (a note says why).
    switch_flows
        Switch and exit flows by grade (:func:`switch_flows`).
    profile
        Every figure against its threshold for the organisation, each unit and each
        year (:func:`profile`).
    scores
        Flagged figures per scope (:func:`scores`).
    notes
        Caveats, findings, and the parts not computed with the reason.
    thresholds
        The thresholds used.
    meta
        ``as_of``, ``alpha``, ``k``, ``seed``, ``by_unit``, ``over_time``,
        ``groupings``, ``label_values``, ``version``.

    Examples
    --------
    >>> audit = pathaudit.forced_management(data)  # doctest: +SKIP
    >>> audit.headline()[["key", "estimate", "status"]]  # doctest: +SKIP
    >>> audit.plot("profile", by="year")  # doctest: +SKIP
    """

    ANALYSIS: ClassVar[str] = "forced_management"
    TITLE: ClassVar[str] = "Forced-into-management indicators"
    PARTS: ClassVar[tuple[str, ...]] = (*INDICATORS, "switch_flows", "profile", "scores")
    DEFAULT_PLOT: ClassVar[str | None] = "profile"

    ic_ceiling: Result | None = None
    switch_premium: Result | None = None
    stalled_then_switched: Result | None = None
    who_switches: Result | None = None
    switch_back: Result | None = None
    post_switch_attrition: Result | None = None
    nominal_managers: Result | None = None
    preference_mismatch: Result | None = None
    peter_principle: Result | None = None
    switch_flows: Result | None = None
    profile: Result | None = None
    scores: Result | None = None
    notes: tuple[Note, ...] = ()
    thresholds: tuple[Threshold, ...] = DEFAULT_THRESHOLDS
    meta: dict[str, Any] = field(default_factory=dict)

    def _org_profile(self) -> pd.DataFrame:
        """The organisation's rows of the profile (read from the indicators if not computed)."""
        if isinstance(self.profile, Result):
            p = self.profile.table
            org = p.loc[(p["by"] == OVERALL) & (p["group"] == ALL)].reset_index(drop=True)
            # a figure the publish stage hid (below k, or so that a small cell cannot be
            # recovered from a total) keeps no status: not assessed, and the reason says why
            hidden = org["suppressed"].astype(bool) & org["status"].isna()
            org.loc[hidden, "status"] = "not estimable"
            org.loc[hidden, "reason"] = (
                "suppressed: it rests on fewer than k people or would let a reader recover "
                "a suppressed cell")
            org.loc[hidden, "flagged"] = False
            return org
        computed = {n: r for n in INDICATORS if isinstance(r := getattr(self, n), Result)}
        why = {n: self.not_computed().get(n, "not asked for (see parts=)") for n in INDICATORS}
        return _module_profile(computed, self.thresholds, by=OVERALL, reasons=why,
                               label_values=self.meta.get("label_values"))

    def _headline_rows(self) -> list[dict[str, Any]]:
        org = self._org_profile()
        s = _scope_summary(org)
        rows = [headline_row(
            "flagged_indicators", "Number of flagged figures (the score)", "management",
            estimate=s["flagged"] if s["status"] != "not estimable" else np.nan,
            unit="figures", threshold=PRIMARY_THRESHOLD, primary=True, status=s["status"],
            reason=s["reason"],
        )]
        by_key = {(t.indicator, t.measure): t for t in self.thresholds}
        values = {"attribute": "group", **(self.meta.get("label_values") or {})}
        seen: set[str] = {"flagged_indicators"}
        for r in org.itertuples(index=False):
            t = by_key[(r.indicator, r.measure)]
            template = FIGURES[t.key][1] if t.key in FIGURES else t.label
            label = _fill(template, {**values, **dict(t.where)})
            if r.detail:
                label += f", {r.detail}"
            key = r.key
            while key in seen:
                key += "_again"
            seen.add(key)
            rows.append(headline_row(
                key, label, "management", estimate=r.estimate, ci_lower=r.ci_lower,
                ci_upper=r.ci_upper, n=r.n, unit=r.unit, threshold=t, status=r.status,
                reason=r.reason,
            ))
        return rows


_module_profile = profile
_module_scores = scores


# --------------------------------------------------------------------------- the analysis


def _check_flag(value: Any, name: str) -> bool:
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ArgumentError(f"{name} must be True or False; got {value!r}.")


def _check_options(options: Any) -> dict[str, dict[str, Any]]:
    """Indicator name -> extra keyword arguments, each checked against the function."""
    if options is None:
        return {}
    example = "e.g. {'nominal_managers': {'min_reports': 3}}"
    if not isinstance(options, Mapping):
        raise ArgumentError(f"options must map indicator names to keyword arguments, "
                            f"{example}; got {type(options).__name__}.")
    check_choices(list(options), "options", list(INDICATORS))
    out: dict[str, dict[str, Any]] = {}
    for name, kw in options.items():
        if not isinstance(kw, Mapping):
            raise ArgumentError(f"options[{name!r}] must be a mapping of keyword arguments, "
                                f"{example}; got {kw!r}.")
        allowed = [p for p in inspect.signature(INDICATORS[name]).parameters
                   if p not in ("data", "by", "alpha", "seed")]
        bad = [k for k in kw if k not in allowed]
        if bad:
            raise ArgumentError(
                f"options[{name!r}] takes {allowed}; unknown: {bad}. by, alpha and seed "
                "are forced_management's own arguments and apply to every indicator."
            )
        for key, low in _NUMBER_OPTIONS.items():
            if key in kw:
                check_count(kw[key], f"options[{name!r}][{key!r}]", low=low)
        out[name] = dict(kw)
    return out


def _setting(name: str, param: str, options: Mapping[str, Mapping[str, Any]]) -> Any:
    """The value an indicator runs with: from ``options``, else the function's default."""
    if param in options.get(name, {}):
        return options[name][param]
    return inspect.signature(INDICATORS[name]).parameters[param].default


def _wanted(parts: Any, indicators: Any) -> tuple[str, ...]:
    if indicators is not None:
        if parts is not None:
            raise ArgumentError(
                "give parts= or its alias indicators=, not both; parts takes every part: "
                f"{list(PARTS)}."
            )
        names = check_choices(indicators, "indicators", list(INDICATORS))
        return check_parts(list(names or ()), PARTS)
    return check_parts(parts, PARTS)


def _part_meta(data: AuditData, name: str, alpha: float, **extra: Any) -> dict[str, Any]:
    from pathaudit._version import __version__

    return {"analysis": name, "alpha": alpha, "k": data.min_cell_size, "version": __version__,
            "as_of": str(pd.Timestamp(data.as_of).date()),
            "data_quality": data.quality.summary(), **extra}


PROFILE_GROUPS: tuple[str, ...] = ("by", "group", "indicator", "measure", "key", "label",
                                    "detail", "threshold", "unit")
"""The group columns of the profile: the scope and the threshold each row reads."""


def _read_result(table: pd.DataFrame, groups: Sequence[str], data: AuditData, name: str,
                 alpha: float, **texts_and_meta: Any) -> Result:
    """A part read from the indicators' results, which are already suppressed.

    It has no people count of its own (``n_col=None``): a figure it reads keeps the
    ``suppressed`` mark of the indicator row it comes from. ``texts_and_meta``: the
    definition, method and population, the plotter and further metadata.
    """
    return make_result(table, groups=groups, n_col=None, analysis=name, data=data,
                       alpha=alpha, **texts_and_meta)


def _threshold_records(ths: Sequence[Threshold]) -> list[dict[str, Any]]:
    return [{"key": t.key, "indicator": t.indicator, "measure": t.measure, "label": t.label,
             "direction": t.direction, "value": t.value, "unit": t.unit,
             "rationale": t.rationale, "where": dict(t.where), "min_events": t.min_events}
            for t in ths]


def forced_management(
    data: AuditData,
    *,
    parts: Sequence[str] | None = None,
    by: str | None = "org_unit",
    over_time: bool = True,
    thresholds: Mapping[str, float | tuple[float, float]] | Sequence[Threshold] | None = None,
    alpha: float = 0.05,
    seed: int = BOOTSTRAP_SEED,
    indicators: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> ManagementAudit:
    """Run the forced-into-management indicators and build the per-unit profile.

    Parameters
    ----------
    data
        The audit data (history or snapshot; indicators that need what the data
        lacks are not computed, and a note says why).
    parts
        The parts to compute (default all of :data:`PARTS`): indicator names,
        ``"switch_flows"``, ``"profile"``, ``"scores"``. The profile and the scores
        read every indicator that has a threshold, so asking for either computes those
        indicators too (returned as parts only when asked for).
    by
        Grouping of the per-unit profile (default ``"org_unit"``; None for the
        organisation only). ``"org_unit"`` on data whose records name no unit (a payroll or
        attrition export without one) profiles the organisation only, as None does.
    over_time
        Also compute every indicator per fiscal year (``profile`` rows with
        ``by == "year"``), so a change to the ladder can be seen.
    thresholds
        Overrides of :data:`DEFAULT_THRESHOLDS` (``{"indicator.measure": value}``)
        or a full replacement (a sequence of :class:`~pathaudit.headline.Threshold`).
    alpha
        1 - confidence level of every interval.
    seed
        Seed of the bootstrap (switch premium) and of the draw of matched controls.
    indicators
        Alias of ``parts`` limited to indicator names (give one or the other).
    options
        Extra keyword arguments per indicator, e.g.
        ``{"nominal_managers": {"min_reports": 3}}``.

    Returns
    -------
    ManagementAudit
        One :class:`~pathaudit.result.Result` per part, ``notes``, ``thresholds``;
        ``headline()`` (the primary figure ``flagged_indicators`` and each indicator's
        figure for the organisation), ``summary()``, ``plot(part)``.

    Raises
    ------
    ArgumentError
        For data that is not loaded, an unknown part, indicator, grouping, threshold or
        option, or an alpha or seed out of range.

    Notes
    -----
    An indicator is flagged only when its whole (1 - alpha) confidence interval
    lies beyond its threshold; the score is the number of flagged figures. With
    many units, some flags are expected by chance where a unit sits near a
    threshold; the "clear" status (whole interval on the healthy side) is the
    evidence that a figure is fine, not the absence of a flag.

    Examples
    --------
    >>> import pathaudit
    >>> from pathaudit.sample import sample_dir
    >>> data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")  # doctest: +SKIP
    >>> audit = pathaudit.forced_management(data)  # doctest: +SKIP
    >>> audit.headline().loc[0, ["key", "status"]].tolist()  # doctest: +SKIP
    ['flagged_indicators', 'flagged']
    >>> audit.plot("profile")  # doctest: +SKIP
    """
    data = check_data(data, "forced_management")
    alpha = check_alpha(alpha)
    seed = check_seed(seed)
    if by is not None and not isinstance(by, str):
        raise ArgumentError(f"by must be None or one column name (e.g. 'org_unit'); got {by!r}.")
    if by == "org_unit" and not data.history["org_unit"].notna().any():
        by = None  # no unit in the export: the organisation is the one unit
    check_by(by, data)
    over_time = _check_flag(over_time, "over_time")
    ths = resolve_thresholds(thresholds)
    opts = _check_options(options)
    wanted = _wanted(parts, indicators)
    reads = {t.indicator for t in ths} if {"profile", "scores"} & set(wanted) else set()
    run = [n for n in INDICATORS if n in wanted or n in reads]
    groupings = list(dict.fromkeys([*([by] if by else []), *(["year"] if over_time else [])]))
    label_values = {
        "months": _setting("switch_back", "horizon_months", opts),
        "post_months": _setting("post_switch_attrition", "horizon_months", opts),
        "min_reports": _setting("nominal_managers", "min_reports", opts),
    }
    results: dict[str, Result] = {}
    flows = None
    for name in run:
        kw: dict[str, Any] = {"by": groupings or None, "alpha": alpha}
        if name in ("switch_premium", "post_switch_attrition"):
            kw["seed"] = seed
        if name == "switch_premium":
            kw["keep_draws"] = True
        kw.update(opts.get(name, {}))
        results[name] = INDICATORS[name](data, **kw)
    # the premium's bootstrap draws serve its test in the profile and are not published
    draws = None
    if "switch_premium" in results:
        meta = dict(results["switch_premium"].meta)
        draws = meta.pop("bootstrap_draws", None)
        results["switch_premium"] = replace(results["switch_premium"], meta=meta)
    if "switch_flows" in wanted:
        flows = switch_flows(data, by=groupings or None, alpha=alpha)
    fields: dict[str, Result | None] = {}
    notes: list[Note] = []
    for name, res in [*results.items(), *([("switch_flows", flows)] if flows else [])]:
        if name not in wanted:
            continue
        if not res.meta.get("available", True):
            notes.append(Note("not computed", _strip(res.meta.get("note", "")), name))
            fields[name] = None
            continue
        fields[name] = res
        if res.meta.get("note"):
            notes.append(Note("caveat", str(res.meta["note"]), name))
    level = level_text(alpha)
    if reads:
        prof = _module_profile(results, ths, label_values=label_values, draws=draws)
        common = dict(
            method="Each indicator's headline figure pooled over grades, read against its "
                   "threshold (see thresholds).",
            population="The populations of the indicators read.",
            by_unit=by, groupings=by_columns(groupings or None),
        )
        if "profile" in wanted:
            fields["profile"] = _read_result(
                prof, PROFILE_GROUPS, data, "profile", alpha, plotter=plot_profile,
                thresholds=_threshold_records(ths), **common,
                definition=(
                    "One row per scope (the organisation, each group of each grouping) and "
                    f"threshold: the indicator's headline figure, its {level} confidence "
                    "interval, n, the threshold and the status: flagged when the whole "
                    "interval lies beyond the threshold; clear when it lies wholly on the "
                    "healthy side; inconclusive when it straddles the threshold; not "
                    "estimable when there is no value, too few events for a ratio or fewer "
                    "than k people; not computed when the input is missing. excess: how far "
                    "a flagged interval lies beyond the threshold, relative to it."
                ))
        sc = _module_scores(prof)
        if "scores" in wanted:
            fields["scores"] = _read_result(
                sc, ["by", "group"], data, "scores", alpha, plotter=plot_scores, **common,
                definition=(
                    "Per scope: the number of flagged figures (the score), of figures "
                    "assessed (flagged, clear or inconclusive), clear, inconclusive, not "
                    "estimable and not computed. status: flagged when at least one figure is "
                    "flagged; clear when none is and every assessed figure is clear; else "
                    "inconclusive. strongest: the flagged figure whose interval lies "
                    "furthest beyond its threshold, relative to the threshold."
                ))
        n_scopes = len(sc)
        notes.append(Note(
            "caveat",
            f"A figure is flagged only when its whole {level} confidence interval lies beyond "
            f"its threshold and its one-sided p-value stays significant after the "
            f"Benjamini-Hochberg adjustment across the {n_scopes} scopes shown together; a "
            "figure that is not flagged is shown to be fine only when it is clear.",
            "profile" if "profile" in wanted else "scores"))
        if by:
            units = sc.loc[sc["by"] == by]
            if len(units):
                notes.append(Note(
                    "finding",
                    f"Flagged figures by {by}: " + "; ".join(
                        f"{u.group} {u.flagged} of {u.assessed}"
                        for u in units.itertuples(index=False)) + ".",
                    "scores" if "scores" in wanted else "profile"))
    return ManagementAudit(
        **fields,
        notes=tuple(notes),
        thresholds=ths,
        meta=_part_meta(data, "forced_management", alpha, seed=seed, by_unit=by,
                        over_time=over_time, groupings=by_columns(groupings or None),
                        label_values=label_values),
    )
