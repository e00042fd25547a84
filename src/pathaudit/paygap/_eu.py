"""The EU Pay Transparency Directive's indicators: :func:`eu_pay_transparency`.

Directive (EU) 2023/970 Art. 9(1) indicators (a)-(g) on annual and hourly pay, overall and
within each track, with categories of workers (grade by default), a sensitivity view of
the grouping, a Kitagawa decomposition and the Article 10 tracker. Definitions:
``docs/pay-gap-reporting.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.checks import (
    check_alpha,
    check_choice,
    check_data,
    check_k,
    check_number,
    check_parts,
)
from pathaudit.data import AuditData
from pathaudit.errors import ArgumentError, InputError
from pathaudit.parts import NotComputed, PartSpec, compute_parts
from pathaudit.paygap._formulas import article10_status, kitagawa, quartiles
from pathaudit.paygap._frame import Assumptions, eu_frame, has_values
from pathaudit.paygap._gaps import (
    GAP_COUNTS,
    MEDIAN_RULE,
    Run,
    Stats,
    flags,
    gap_row,
    headcount_table,
    scoped,
    split,
)
from pathaudit.paygap._plots import plot_category_gaps, plot_quartiles
from pathaudit.paygap._result import EU_PARTS, EUPayTransparencyResult
from pathaudit.result import Note, Result
from pathaudit.stats import BOOTSTRAP_B, BOOTSTRAP_SEED, wilson_ci

BASES: tuple[str, ...] = ("hourly", "annual")
"""Pay bases of every figure (Art. 3(1): pay level is gross annual pay and gross hourly pay)."""

NO_GENDER = (
    "the export has no gender values (map a gender column in [columns.people] to count gender "
    "pay gaps)"
)
"""Why the report cannot be computed without gender."""

NO_LEAVE_RECORDS = (
    "The Article 10(2) share of workers with pay improvements on return from maternity, "
    "paternity or other leave "
    "is not computed: the export has no leave records."
)
"""The Article 10(2) content this package cannot compute."""

DEFINITIONS: dict[str, str] = {
    "headcount": (
        "Workers employed on any day of the reference period, by scope and sex group "
        "(women, men, other stated gender, unknown); estimate = share of the scope. Only "
        "women and men enter the gaps (the Directive compares them); the others are "
        "counted here."
    ),
    "pay_gaps": (
        "Art. 9(1)(a)/(c): (men's - women's) mean/median pay as a share of men's, all pay "
        "(basic + complementary or variable, Art. 3(1)); (b)/(d): the same for the "
        "complementary or variable components among the workers who receive them. Annual "
        "pay: actual (not FTE) base pay averaged over the days employed in the period, plus "
        "variable pay; hourly: annual pay / annual hours."
    ),
    "variable_shares": (
        "Art. 9(1)(e): the share of women and the share of men receiving complementary or "
        "variable pay in the reference period, each over its own sex's headcount."
    ),
    "quartiles": (
        "Art. 9(1)(f): the share of women and of men in each quartile of hourly and of "
        "annual pay; ties "
        "across a boundary split with the tie block's own sex mix (as SI 2017/172 reg "
        "13(2)); each quartile holds N/4 people (fractions kept)."
    ),
    "categories": (
        "Art. 9(1)(g): per category of workers ({grouping}), the mean gap "
        "(men's - women's) / men's in total pay, ordinary basic pay and complementary or "
        "variable pay (everyone in the category, zeros included); at_or_above: |gap| >= "
        "{threshold:.0%}."
    ),
    "sensitivity": (
        "The mean {basis} total-pay gap per category under three groupings: the categories "
        "used ({grouping}), grade x track (narrower) and bands of two grades (broader); "
        "at_or_above: |gap| >= {threshold:.0%}."
    ),
    "decomposition": (
        "Kitagawa decomposition of the overall mean gap (share of men's mean pay) over "
        "track x grade cells: within = the gap at the pooled distribution of workers over "
        "cells with both sexes; composition = total - within (men and women spread "
        "differently over tracks and grades). Means only."
    ),
    "article10": (
        "Art. 10: per category, the mean {basis} total-pay gap, whether it is {threshold:.0%} "
        "or more, the employer's justification (objective, gender-neutral criterion), the "
        "earlier report's gap, and the status (justified / remedied within 6 months of "
        "submission / joint pay assessment required / open / below threshold); the Art. "
        "10(2) content: shares of women and men, mean basic and variable pay by sex and "
        "their gaps."
    ),
}
"""The definition of every part (numerator, denominator, population)."""

GAP_METHOD = (
    "mean gap: Fieller interval for mean(women) / mean(men) (t, Welch df), permutation of "
    "gender within the scope ({permutations} permutations, seed {seed}) for the p-value and "
    "the minimum detectable gap at 80% power; median gap: percentile bootstrap within sex "
    "(B = {bootstrap}); intervals describe the pay-setting process, the legal figure is the "
    "point value"
)


@dataclass
class _EU:
    data: AuditData
    start: pd.Timestamp
    end: pd.Timestamp
    assume: Assumptions
    stats: Stats
    k: int
    threshold: float
    basis: str
    category_of: Mapping[int, str] | None
    justified: Mapping[str, str]
    previous: pd.DataFrame | None
    submitted: date | None
    run: Run

    @property
    def texts(self) -> Mapping[str, Any]:
        return self.run.texts

    @property
    def common(self) -> Mapping[str, Any]:
        return self.run.common

    @cached_property
    def people(self) -> pd.DataFrame:
        f = eu_frame(self.data, self.start, self.end, self.assume)
        return f.loc[(f["basic"] > 0).to_numpy() & (f["hours"] > 0).to_numpy()]

    @cached_property
    def compared(self) -> pd.DataFrame:
        p = self.people
        out = p.loc[p["sex"].isin(["men", "women"]).to_numpy()].copy()
        out["category"] = self.categorise(out["grade"])
        return out

    def categorise(self, grade: pd.Series) -> pd.Series:
        if self.category_of is None:
            return "grade " + grade.astype("Int64").astype(str)
        return grade.map(lambda g: self.category_of.get(int(g)) if pd.notna(g) else None).astype(
            "string"
        )

    def value(self, basis: str, component: str) -> str:
        return f"hourly_{component}" if basis == "hourly" else component


def _headcount(run: _EU, spec: PartSpec[_EU]) -> Result:
    return run.run.build(spec, headcount_table(run.people), complementary_by=["scope"])


def _pay_gaps(run: _EU, spec: PartSpec[_EU]) -> Result:
    rows, salt = [], 0
    for basis in BASES:
        for scope, sub in scoped(run.compared):
            for component, letters in (("all pay", ("a", "c")), ("variable", ("b", "d"))):
                value = run.value(basis, "total" if component == "all pay" else "variable")
                use = sub if component == "all pay" else sub.loc[(sub["variable"] > 0).to_numpy()]
                men, women = split(use, value)
                for stat, letter in zip(("mean", "median"), letters, strict=True):
                    salt += 1
                    row = gap_row(men, women, stat, run.stats, salt)
                    rows.append(
                        {
                            "indicator": letter,
                            "component": component,
                            "basis": basis,
                            "scope": scope,
                        }
                        | row
                    )
    table = pd.DataFrame(rows)
    return run.run.build(spec, table, n_col=GAP_COUNTS, quantiles=MEDIAN_RULE)


def _variable_shares(run: _EU, spec: PartSpec[_EU]) -> Result:
    rows = []
    for scope, sub in scoped(run.compared):
        for sex in ("women", "men"):
            s = sub.loc[(sub["sex"] == sex).to_numpy()]
            got = int((s["variable"] > 0).sum())
            lo, hi = wilson_ci(got, len(s), alpha=run.stats.alpha)
            rows.append(
                {
                    "scope": scope,
                    "sex": sex,
                    "estimate": got / len(s) if len(s) else np.nan,
                    "ci_lower": float(lo),
                    "ci_upper": float(hi),
                    "n": len(s),
                    "receiving": got,
                }
            )
    return run.run.build(spec, pd.DataFrame(rows))


def _quartiles(run: _EU, spec: PartSpec[_EU]) -> Result:
    frames = []
    for basis in BASES:
        for scope, sub in scoped(run.compared):
            if sub.empty:
                continue
            q = quartiles(sub[run.value(basis, "total")], (sub["sex"] == "women").to_numpy())
            q = q.drop(columns=["lower_rate", "upper_rate"])
            frames.append(q.assign(basis=basis, scope=scope))
    table = pd.concat(frames, ignore_index=True)
    table = table.assign(estimate=table["share_women"], ci_lower=np.nan, ci_upper=np.nan)
    cols = [
        "basis",
        "scope",
        "quartile",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n",
        "women",
        "men",
        "share_women",
        "share_men",
    ]
    return run.run.build(spec, table[cols])


def category_gaps(
    frame: pd.DataFrame, key: str | list[str], value: str, stats: Stats, salt0: int = 0
) -> pd.DataFrame:
    """The mean gap of ``value`` per category (``key``), with its reading."""
    rows = []
    keys = [key] if isinstance(key, str) else key
    grouped = frame.groupby(keys, sort=True, observed=True)
    labels = grouped.size().index
    code = grouped.ngroup().to_numpy()
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(labels) + 1))
    v = frame[value].to_numpy(dtype=float)
    sex = frame["sex"].to_numpy()
    for i, cat in enumerate(labels):
        idx = order[bounds[i] : bounds[i + 1]]
        vi, si = v[idx], sex[idx]
        ok = np.isfinite(vi)
        row = gap_row(vi[ok & (si == "men")], vi[ok & (si == "women")], "mean", stats, salt0 + i)
        label = cat if isinstance(cat, tuple) else (cat,)
        rows.append(dict(zip(keys, label, strict=True)) | row)
    return pd.DataFrame(rows)


def _categories(run: _EU, spec: PartSpec[_EU]) -> Result:
    frames = []
    for b, basis in enumerate(BASES):
        for c, component in enumerate(("total", "basic", "variable")):
            t = category_gaps(
                run.compared,
                "category",
                run.value(basis, component),
                run.stats,
                salt0=1000 * (1 + 3 * b + c),
            )
            frames.append(t.assign(component=component, basis=basis))
    table = pd.concat(frames, ignore_index=True)
    table["at_or_above"] = table["estimate"].abs() >= run.threshold - 1e-12
    cols = [
        "category",
        "component",
        "basis",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n",
        "n_men",
        "n_women",
        "men_value",
        "women_value",
        "p_value",
        "mde",
        "at_or_above",
    ]
    return run.run.build(spec, table[cols], n_col=GAP_COUNTS, threshold=run.threshold)


def _sensitivity(run: _EU, spec: PartSpec[_EU]) -> Result:
    d = run.compared.copy()
    value = run.value(run.basis, "total")
    g = d["grade"].astype(float)
    low = np.floor((g - g.min()) / 2) * 2 + g.min()
    d["grade x track"] = "grade " + d["grade"].astype("Int64").astype(str) + " " + d["track"]
    d["two-grade band"] = (
        "grades " + low.astype(int).astype(str) + "-" + (low + 1).astype(int).astype(str)
    )
    frames = []
    for i, grouping in enumerate(("category", "grade x track", "two-grade band")):
        t = category_gaps(d, grouping, value, run.stats, salt0=50000 + 1000 * i)
        frames.append(t.rename(columns={grouping: "group"}).assign(grouping=grouping))
    table = pd.concat(frames, ignore_index=True)
    table["at_or_above"] = table["estimate"].abs() >= run.threshold - 1e-12
    cols = [
        "grouping",
        "group",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n",
        "n_men",
        "n_women",
        "p_value",
        "mde",
        "at_or_above",
    ]
    return run.run.build(spec, table[cols], n_col=GAP_COUNTS)


def _decomposition(run: _EU, spec: PartSpec[_EU]) -> Result:
    rows = []
    d = run.compared.assign(is_woman=(run.compared["sex"] == "women").to_numpy())
    n_m, n_w = int((~d["is_woman"]).sum()), int(d["is_woman"].sum())
    for basis in BASES:
        parts = kitagawa(d, cell=["track", "grade"], pay=run.value(basis, "total"))
        for part in ("total", "composition", "within"):
            rows.append(
                {
                    "basis": basis,
                    "part": part,
                    "estimate": parts[part],
                    "ci_lower": np.nan,
                    "ci_upper": np.nan,
                    "n": n_m + n_w,
                    "n_men": n_m,
                    "n_women": n_w,
                    "cells_both": parts["cells_both"],
                }
            )
    return run.run.build(spec, pd.DataFrame(rows), n_col=GAP_COUNTS)


def _article10(run: _EU, spec: PartSpec[_EU]) -> Result:
    d = run.compared
    value = run.value(run.basis, "total")
    gaps = category_gaps(d, "category", value, run.stats, salt0=90000)
    content = []
    for cat, sub in d.groupby("category", sort=True, observed=True):
        w = (sub["sex"] == "women").to_numpy()
        row: dict[str, Any] = {"category": cat, "share_women": w.mean(), "share_men": 1 - w.mean()}
        for comp in ("basic", "variable"):
            col = run.value(run.basis, comp)
            mv, wv = float(sub.loc[~w, col].mean()), float(sub.loc[w, col].mean())
            row |= {
                f"mean_{comp}_men": mv,
                f"mean_{comp}_women": wv,
                f"{comp}_gap": (mv - wv) / mv if mv else np.nan,
            }
        content.append(row)
    status = article10_status(
        gaps.rename(columns={"estimate": "mean_gap"})[["category", "mean_gap"]],
        threshold=run.threshold,
        justified=run.justified,
        previous=run.previous,
        submitted=run.submitted,
        measured=run.data.as_of.date(),
    )
    table = gaps.merge(status.drop(columns="mean_gap"), on="category").merge(
        pd.DataFrame(content), on="category"
    )
    cols = [
        "category",
        "estimate",
        "ci_lower",
        "ci_upper",
        "n",
        "n_men",
        "n_women",
        "p_value",
        "at_or_above",
        "previous_gap",
        "previous_at_or_above",
        "criterion",
        "status",
        "share_women",
        "share_men",
        "mean_basic_men",
        "mean_basic_women",
        "basic_gap",
        "mean_variable_men",
        "mean_variable_women",
        "variable_gap",
    ]
    return run.run.build(spec, table[cols], n_col=GAP_COUNTS)


def _needs_gender(compute: Any) -> Any:
    def part(run: _EU, spec: PartSpec[_EU]) -> Result | NotComputed:
        if run.compared.empty or run.compared["sex"].nunique() < 2:
            return NotComputed(
                NO_GENDER
                if run.people["sex"].isin(["unknown"]).all()
                else "the reference period has no men or no women with pay"
            )
        return compute(run, spec)

    return part


SPECS: tuple[PartSpec[_EU], ...] = (
    PartSpec(
        "headcount",
        "EU pay transparency: workers by sex group",
        DEFINITIONS["headcount"],
        "counts",
        _headcount,
        groups=("scope", "sex"),
    ),
    PartSpec(
        "pay_gaps",
        "EU pay transparency: gender pay gaps, Art. 9(1)(a)-(d)",
        DEFINITIONS["pay_gaps"],
        GAP_METHOD,
        _needs_gender(_pay_gaps),
        groups=("indicator", "component", "basis", "scope", "statistic"),
    ),
    PartSpec(
        "variable_shares",
        "EU pay transparency: share receiving variable pay, Art. 9(1)(e)",
        DEFINITIONS["variable_shares"],
        "Wilson interval",
        _needs_gender(_variable_shares),
        groups=("scope", "sex"),
    ),
    PartSpec(
        "quartiles",
        "EU pay transparency: quartile pay bands, Art. 9(1)(f)",
        DEFINITIONS["quartiles"],
        "exact fractional split at ties (no interval)",
        _needs_gender(_quartiles),
        groups=("basis", "scope", "quartile"),
        plotter=plot_quartiles,
    ),
    PartSpec(
        "categories",
        "EU pay transparency: gap by category of workers, Art. 9(1)(g)",
        DEFINITIONS["categories"],
        GAP_METHOD,
        _needs_gender(_categories),
        groups=("category", "component", "basis"),
        plotter=plot_category_gaps,
    ),
    PartSpec(
        "sensitivity",
        "EU pay transparency: categories under other groupings",
        DEFINITIONS["sensitivity"],
        GAP_METHOD,
        _needs_gender(_sensitivity),
        groups=("grouping", "group"),
    ),
    PartSpec(
        "decomposition",
        "EU pay transparency: gender gap from track and grade mix",
        DEFINITIONS["decomposition"],
        "Kitagawa (1955), pooled reference distribution",
        _needs_gender(_decomposition),
        groups=("basis", "part"),
    ),
    PartSpec(
        "article10",
        "EU pay transparency: Article 10 tracker",
        DEFINITIONS["article10"],
        GAP_METHOD,
        _needs_gender(_article10),
        groups=("category",),
        caveats=(NO_LEAVE_RECORDS,),
    ),
)
"""The parts of the EU report, in report order."""


def reference_period(as_of: pd.Timestamp, period: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The reference period: the calendar year before ``as_of`` by default.

    ``period`` is None, a year (int) or a ``(start, end)`` pair of dates (inclusive).

    Examples
    --------
    >>> reference_period(pd.Timestamp("2025-12-31"), None)
    (Timestamp('2024-01-01 00:00:00'), Timestamp('2024-12-31 00:00:00'))
    """
    if period is None:
        year = as_of.year - 1
        return pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    if isinstance(period, int) and not isinstance(period, bool):
        return pd.Timestamp(period, 1, 1), pd.Timestamp(period, 12, 31)
    try:
        start, end = (pd.Timestamp(p).normalize() for p in period)
    except (TypeError, ValueError) as err:
        raise ArgumentError(
            f"period must be a year (2024) or a (start, end) pair of dates; got {period!r}."
        ) from err
    if end < start:
        raise ArgumentError(f"period must end on or after its start; got {period!r}.")
    return start, end


def read_previous(previous: Any) -> pd.DataFrame:
    """The categories and mean gaps of an earlier report, from its versioned output folder."""
    from pathaudit.output import read_output

    folder = Path(previous)
    if not folder.is_dir():
        raise ArgumentError(
            f"previous must be the output folder of an earlier audit or filing; {folder} is "
            "not a folder. Pass the folder the earlier report was written to."
        )
    stored = read_output(folder)
    if (
        "eu_pay_transparency" not in stored
        or "article10" not in stored["eu_pay_transparency"].parts
    ):
        raise InputError(
            f"{folder} holds no eu_pay_transparency article10 table. Pass the folder of an "
            "earlier report that ran eu_pay_transparency with its article10 part."
        )
    t = stored["eu_pay_transparency"].parts["article10"].table
    return pd.DataFrame(
        {
            "category": t["category"].astype(str),
            "mean_gap": pd.to_numeric(t["estimate"], errors="coerce"),
        }
    )


def eu_pay_transparency(
    data: AuditData,
    *,
    period: int | tuple[Any, Any] | None = None,
    categories: Mapping[int, str] | None = None,
    include_equity: bool = False,
    full_time_hours: float = 37.5,
    threshold: float = 0.05,
    basis: str = "hourly",
    justified: Mapping[str, str] | None = None,
    previous: str | Path | None = None,
    submitted: Any = None,
    alpha: float = 0.05,
    k: int | None = None,
    bootstrap: int = BOOTSTRAP_B,
    permutations: int = 999,
    seed: int = BOOTSTRAP_SEED,
    filing: bool = False,
    parts: Sequence[str] | None = None,
) -> EUPayTransparencyResult:
    """The gender pay-gap indicators of the EU Pay Transparency Directive, track-aware.

    Parameters
    ----------
    data
        Loaded dataset (history, or a snapshot read as the state all period).
    period
        Reference period: None (the calendar year before as-of), a year, or a
        ``(start, end)`` pair of dates (inclusive), as the transposing state rules.
    categories
        Grade -> category of workers (work of equal value); default: one category per
        grade ("grade 4").
    include_equity
        Count annualised equity as complementary pay (Art. 3(1): pay "in cash or in
        kind"; True or False).
    full_time_hours
        Weekly hours of a full-time worker, used as ``fte * full_time_hours`` where the
        export has no ``contracted_hours`` (gaps do not depend on it; hourly levels do).
    threshold
        The Article 10 gap (0.05).
    basis
        Pay basis of the Article 10 tracker and the sensitivity view: ``"hourly"`` or
        ``"annual"``.
    justified
        Category -> the objective, gender-neutral criterion that justifies its gap.
    previous
        Output folder of the earlier report (audit or filing) whose categories this later
        extract measures for the remedy (Art. 10(1)(c)).
    submitted
        Submission date of the earlier report (needed with ``previous``).
    alpha, k, bootstrap, permutations, seed
        Interval level, minimum cell size, bootstrap resamples, permutations, seed.
    filing
        Also build the unsuppressed filing output (``res.filing``, marked restricted;
        written only by :meth:`~EUPayTransparencyResult.write_filing`).
    parts
        Parts to compute (default: all of :data:`~pathaudit.paygap.EU_PARTS`).

    Returns
    -------
    EUPayTransparencyResult
        The parts, notes and ``headline()`` (keys ``eu_mean_gap_hourly`` (primary),
        ``eu_mean_gap_annual``, ``eu_median_gap_hourly``, ``eu_median_gap_annual``,
        ``eu_categories_at_threshold``, ``eu_joint_pay_assessment``,
        ``eu_gap_within_track_grade``). Columns of each table: docs/pay-gap-reporting.md.

    Raises
    ------
    ArgumentError
        An invalid argument (what must hold, what was found, the fix).

    Examples
    --------
    >>> import pathaudit
    >>> data = pathaudit.load("data/sample", "data/sample/map.toml")  # doctest: +SKIP
    >>> res = pathaudit.eu_pay_transparency(data)  # doctest: +SKIP
    >>> res.part("categories").table  # doctest: +SKIP
    """
    data = check_data(data, "eu_pay_transparency")
    alpha = check_alpha(alpha)
    k = check_k(k, data)
    threshold = float(check_number(threshold, "threshold", low=0, high=1, low_open=True))
    hours = float(check_number(full_time_hours, "full_time_hours", low=0, high=168, low_open=True))
    bootstrap = int(check_number(bootstrap, "bootstrap", low=0, integer=True))
    permutations = int(check_number(permutations, "permutations", low=0, integer=True))
    seed = int(check_number(seed, "seed", low=0, integer=True))
    check_choice(basis, "basis", BASES)
    check_choice(include_equity, "include_equity", (True, False))
    check_choice(filing, "filing", (True, False))
    want = check_parts(parts, EU_PARTS)
    start, end = reference_period(data.as_of, period)
    if categories is not None and not isinstance(categories, Mapping):
        raise ArgumentError(
            f"categories must map each grade to a category name, e.g. {{4: 'Senior'}}; got "
            f"{categories!r}."
        )
    if justified is not None and not isinstance(justified, Mapping):
        raise ArgumentError(
            "justified must map a category to the criterion that justifies its gap, e.g. "
            f"{{'grade 5': 'shift allowances'}}; got {justified!r}."
        )
    if previous is not None and submitted is None:
        raise ArgumentError(
            "previous was given without submitted: pass the date the earlier report was "
            "submitted, so the 6 months to remedy can be counted."
        )
    prev = read_previous(previous) if previous is not None else None
    when = None
    if submitted is not None:
        try:
            when = pd.Timestamp(submitted).date()
        except (TypeError, ValueError) as err:
            raise ArgumentError(f"submitted must be a date; got {submitted!r}.") from err
    grouping = "user mapping of grades" if categories is not None else "grade"
    texts = {
        "k": k,
        "threshold": threshold,
        "basis": basis,
        "grouping": grouping,
        "bootstrap": bootstrap,
        "permutations": permutations,
        "seed": seed,
    }
    population = (
        f"workers employed on any day of {start.date()} to {end.date()} with pay "
        "and hours above zero"
    )
    common = {"data": data, "alpha": alpha, "k": k, "population": population}
    run = _EU(
        data,
        start,
        end,
        Assumptions(hours, include_equity),
        Stats(alpha, bootstrap, permutations, seed),
        k,
        threshold,
        basis,
        categories,
        dict(justified or {}),
        prev,
        when,
        Run(texts, common, filing),
    )
    out, notes = compute_parts(SPECS, want, run)
    notes = _assumption_notes(run) + notes
    if prev is not None and prev["mean_gap"].isna().any():
        hidden = int(prev["mean_gap"].isna().sum())
        notes.append(
            Note(
                "caveat",
                f"{hidden} categories have no gap in the earlier report read back (suppressed "
                "there, or undefined); their status ignores it. Read the earlier report's "
                "filing output (restricted/) to track every category.",
                "article10",
            )
        )
    if categories is not None:
        unmapped = run.compared["category"].isna()
        if unmapped.any():
            notes.append(
                Note(
                    "caveat",
                    f"{int(unmapped.sum())} workers are in grades the "
                    "categories mapping does not name; they are left out of the "
                    "categories",
                    "categories",
                )
            )
    notes += [
        Note("not computed", f"not asked for (parts={list(want)})", p)
        for p in EU_PARTS
        if p not in out and p not in {n.part for n in notes if n.kind == "not computed"}
    ]
    notes += _findings(out, threshold)
    settings = {
        "alpha": alpha,
        "k": k,
        "threshold": threshold,
        "basis": basis,
        "period": (str(start.date()), str(end.date())),
    }
    twin = None
    if filing:
        twin = EUPayTransparencyResult(
            **dict[str, Any](run.run.unsuppressed),
            notes=tuple(notes),
            settings=settings | {"restricted": True},
        )
    return EUPayTransparencyResult(
        **dict[str, Any](out), notes=tuple(notes), filing=twin, settings=settings
    )


def _assumption_notes(run: _EU) -> list[Note]:
    data, notes = run.data, []
    if not has_values(data, "contracted_hours"):
        notes.append(
            Note(
                "caveat",
                (
                    "Hourly pay: the export has no contracted_hours, so weekly hours are taken "
                    "as fte "
                    f"x {run.assume.full_time_hours:g} (full_time_hours). Gaps and quartiles do "
                    "not "
                    "depend on that value, only hourly pay levels do."
                ),
                "pay_gaps",
            )
        )
    sources = ["bonus_paid", "variable_pay"] + (["equity"] if run.assume.include_equity else [])
    if not any(has_values(data, c) for c in sources):
        notes.append(
            Note(
                "caveat",
                "The export has no complementary or variable pay (no bonus_paid, variable_pay"
                + (" or equity" if run.assume.include_equity else "")
                + "): indicators (b) and (d) have no recipients and (e) is zero; total pay is "
                "basic pay.",
                "pay_gaps",
            )
        )
    elif not has_values(data, "bonus_paid"):
        what = "variable_pay" + (" and equity" if run.assume.include_equity else "")
        notes.append(
            Note(
                "caveat",
                (
                    f"Complementary or variable pay: the export has no bonus_paid, so {what} is "
                    "read "
                    "as paid at its annual amount, averaged over the days employed (a stated "
                    "assumption: a target bonus is not pay received)."
                ),
                "pay_gaps",
            )
        )
    if data.is_snapshot:
        notes.append(
            Note(
                "caveat",
                (
                    "Snapshot export: each worker's current job and pay are taken as held since "
                    "the "
                    "later of hire and last promotion, through the reference period."
                ),
                "",
            )
        )
    others = int(run.people["sex"].isin(["other", "unknown"]).sum())
    if others:
        notes.append(
            Note(
                "caveat",
                (
                    f"{others} workers with a gender other than female or male (or none "
                    "recorded) are "
                    "counted in headcount and left out of the gaps, which compare women and men."
                ),
                "headcount",
            )
        )
    return notes


def _findings(out: Mapping[str, Result], threshold: float) -> list[Note]:
    notes = []
    cat = out.get("categories")
    if cat is not None:
        t = cat.table
        hit = t.loc[
            (
                (t["component"] == "total") & ~flags(t["suppressed"]) & flags(t["at_or_above"])
            ).to_numpy(dtype=bool)
        ]
        if len(hit):
            notes.append(
                Note(
                    "finding",
                    (
                        f"{hit['category'].nunique()} categories of workers have a mean gender "
                        "pay gap "
                        f"of {threshold:.0%} or more on some pay basis: "
                        + ", ".join(
                            f"{c} ({b}, {e:+.1%})"
                            for c, b, e in zip(
                                hit["category"], hit["basis"], hit["estimate"], strict=True
                            )
                        )
                        + "."
                    ),
                    "categories",
                )
            )
    return notes
