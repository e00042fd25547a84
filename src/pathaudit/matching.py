"""The matched post-switch design, shared by attrition and the forced-into-management indicators.

On each date someone switches track (IC→M by default), up to ``n_controls`` people of the
track they left are drawn at random among those in the same grade and org unit on that date,
within ±1 year of the switcher's tenure, who have never switched that way before. Everyone in
the matched set is followed from the switch date for ``horizon_months``; a control who
switches later is censored on that day (no looking into the future). The exit hazard of
switchers against their controls is a Cox model stratified by matched set, with standard
errors clustered by person (a person can be a control in several sets, and a control in one
set and a switcher in a later one).

Two public functions:

- :func:`post_switch_matched` builds the matched follow-up rows (one per person per set);
- :func:`post_switch_exit_hr` fits the stratified Cox model and returns a :class:`Result`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from pathaudit._coxph import fit_cox
from pathaudit.data import AuditData
from pathaudit.errors import SNAPSHOT_ONLY, NeedsHistoryError, PathauditError
from pathaudit.result import Result, make_result
from pathaudit.schema import DAYS_PER_YEAR, EXIT_REASONS
from pathaudit.stats import mde_normal, poisson_rate_ci, t_ci

EXIT_KINDS: dict[str, tuple[str, ...]] = {
    "voluntary": ("exit_voluntary",),
    "involuntary": ("exit_involuntary",),
    "other": ("exit_other",),
    "all": EXIT_REASONS,
}
"""Exit kinds and the spell end reasons they count."""

DIRECTIONS: dict[str, tuple[str, str]] = {"IC->M": ("IC", "M"), "M->IC": ("M", "IC")}
"""Switch directions: name -> (track left, track joined)."""

MATCHED_COLUMNS: tuple[str, ...] = (
    "set_id",
    "employee_id",
    "episode",
    "switched",
    "switch_date",
    "grade",
    "org_unit",
    "tenure",
    "end_date",
    "time",
    "end_reason",
    "n_controls",
)
"""Columns of :func:`post_switch_matched`."""

UNKNOWN_UNIT = "(unit not recorded)"
"""Org-unit label used for matching when the export has no unit for a row."""

BAD_DIRECTION = "direction must be one of {allowed}; got {got!r}."
BAD_KIND = "kind must be one of {allowed}; got {got!r}."


def _check_direction(direction: str) -> tuple[str, str]:
    if direction not in DIRECTIONS:
        raise PathauditError(BAD_DIRECTION.format(allowed=sorted(DIRECTIONS), got=direction))
    return DIRECTIONS[direction]


def check_kind(kind: str) -> tuple[str, ...]:
    """End reasons counted by an exit ``kind`` (``voluntary``, ``involuntary``, ``other``, ``all``).

    Raises
    ------
    PathauditError
        For an unknown kind.
    """
    if kind not in EXIT_KINDS:
        raise PathauditError(BAD_KIND.format(allowed=sorted(EXIT_KINDS), got=kind))
    return EXIT_KINDS[kind]


def _days(s: pd.Series) -> np.ndarray:
    """Datetime series -> integer days since the epoch."""
    return s.to_numpy(dtype="datetime64[D]").astype(np.int64)


def _quarter_key(days: np.ndarray, fy_start_month: int) -> np.ndarray:
    """Fiscal-quarter number of each day (any consistent numbering)."""
    d = days.astype("datetime64[D]")
    months = d.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    return (months - (fy_start_month - 1)) // 3


def _need_history(data: AuditData, analysis: str) -> None:
    if data.is_snapshot:
        raise NeedsHistoryError(
            SNAPSHOT_ONLY.format(
                analysis=analysis,
                what="A snapshot holds no switch dates, so nobody can be followed from a switch.",
            )
        )


def switch_rows(
    exposure: pd.DataFrame, left: str, joined: str
) -> tuple[np.ndarray, np.ndarray]:
    """Mark the exposure intervals that end with a switch from track ``left`` to ``joined``.

    Parameters
    ----------
    exposure
        The exposure table (``schema.EXPOSURE``).
    left, joined
        Track left and track joined.

    Returns
    -------
    (is_switch, order)
        ``is_switch[i]`` is True when row ``i`` is on ``left`` and the same person's next
        interval in the same episode starts on its ``stop`` on track ``joined``;
        ``order`` sorts the table by person, episode and start.

    Notes
    -----
    A switch is read from the change of track itself, not from the ``event`` label, so
    that a switch is found whatever else changed on the day (grade, unit).
    """
    pid = pd.factorize(exposure["employee_id"])[0]
    ep = exposure["episode"].to_numpy(dtype=np.int64)
    start = _days(exposure["start"])
    stop = _days(exposure["stop"])
    order = np.lexsort((start, ep, pid))
    track = exposure["track"].astype(str).to_numpy()
    p, e, s0, s1, tr = pid[order], ep[order], start[order], stop[order], track[order]
    nxt = np.zeros(len(order), dtype=bool)
    nxt[:-1] = (p[1:] == p[:-1]) & (e[1:] == e[:-1]) & (s0[1:] == s1[:-1])
    nxt_track = np.empty(len(order), dtype=object)
    nxt_track[:-1] = tr[1:]
    sorted_sw = nxt & (tr == left) & (nxt_track == joined)
    is_sw = np.zeros(len(order), dtype=bool)
    is_sw[order] = sorted_sw
    return is_sw, order


def post_switch_matched(
    data: AuditData,
    direction: str = "IC->M",
    horizon_months: int = 24,
    n_controls: int = 5,
    tenure_window: float = 1.0,
    seed: int = 0,
) -> pd.DataFrame:
    """Build the matched follow-up rows of the post-switch design: switchers and controls.

    Parameters
    ----------
    data
        Loaded history export (``data.exposure`` is used).
    direction
        ``"IC->M"`` (default) or ``"M->IC"``.
    horizon_months
        Follow-up from the switch date, in calendar months.
    n_controls
        Maximum number of controls drawn per switch.
    tenure_window
        Maximum absolute difference in tenure (years since hire) between switcher and
        control on the switch date.
    seed
        Seed of the random draw of controls among eligible candidates (results are
        reproducible and do not depend on row order).

    Returns
    -------
    pandas.DataFrame
        One row per person per matched set (a person-level design table: it holds
        employee IDs and is not for reports). Columns:

        ``set_id``
            Matched set number (one per switch, ordered by switch date).
        ``employee_id``, ``episode``
            The person and employment episode followed.
        ``switched``
            1 for the switcher, 0 for a control.
        ``switch_date``
            The switch date (first day on the new track) that starts follow-up.
        ``grade``, ``org_unit``
            Grade and unit on the track left, on the last day before the switch (the same
            for every member of the set by construction).
        ``tenure``
            Years since hire on the switch date.
        ``end_date``
            First day no longer followed (exclusive end).
        ``time``
            Follow-up in years of 365.25 days, ``(end_date - switch_date)``.
        ``end_reason``
            ``exit_voluntary``, ``exit_involuntary``, ``exit_other`` (exit in follow-up),
            ``switched`` (a control who switched the same way; censored), ``horizon``
            (followed for the full horizon) or ``censored`` (reached the as-of date).
        ``n_controls``
            Controls drawn for the set (0 when nobody was eligible).

    Raises
    ------
    NeedsHistoryError
        On snapshot-only data (no switch dates).

    Notes
    -----
    Definition. A switch is a change of track between two consecutive intervals of one
    employment episode (:func:`switch_rows`); its date ``d`` is the first day on the new
    track.
    Eligible controls on ``d``: people with an exposure interval on the track left that
    contains ``d`` (employed, not switching that day), at the switcher's pre-switch grade
    and org unit (a missing unit matches a missing unit), with ``|tenure - tenure of
    switcher| <= tenure_window``, and with no switch in this direction before ``d`` in the
    observed history. Among them, up to ``n_controls`` are drawn without replacement by a
    seeded random rank; the same person may be drawn in several sets (matching with
    replacement across sets), and may later become a switcher.

    Follow-up runs on ``[d, end_date)`` with ``end_date = min(episode end, d +
    horizon_months, the control's own switch in this direction, as-of + 1 day)``. The
    switcher stays in follow-up after a switch back (the comparison is "switched on d"
    against "had not switched by d"). Every switch in the observed window is used,
    including a person's second switch in the same direction.

    Construction is vectorised: switches and candidate exposure intervals are merged on
    (grade, unit, fiscal quarter of ``d``), since exposure intervals never cross a
    quarter boundary, then filtered on dates and tenure.
    """
    _need_history(data, "Post-switch attrition")
    left, joined = _check_direction(direction)
    if n_controls < 1:
        raise PathauditError(f"n_controls must be at least 1; got {n_controls}.")
    ex = data.exposure
    fy = data.fiscal_year_start_month
    is_sw, order = switch_rows(ex, left, joined)
    ex = ex.iloc[order]
    is_sw = is_sw[order]

    ids = ex["employee_id"].astype(str).to_numpy()
    start = _days(ex["start"])
    stop = _days(ex["stop"])
    tenure_days = np.rint(ex["tenure"].to_numpy(dtype=float) * DAYS_PER_YEAR).astype(np.int64)
    track = ex["track"].astype(str).to_numpy()
    event = ex["event"].astype(str).to_numpy()
    unit = ex["org_unit"].astype("string").fillna(UNKNOWN_UNIT).astype(str).to_numpy()
    grade = ex["grade"].to_numpy(dtype=float)
    episode = ex["episode"].to_numpy(dtype=np.int64)

    # switches: last interval on the track left, followed without a gap by the track joined
    sw = pd.DataFrame(
        {
            "employee_id": ids[is_sw],
            "episode": episode[is_sw],
            "d": stop[is_sw],
            "grade": grade[is_sw],
            "org_unit": unit[is_sw],
            "tenure_d": tenure_days[is_sw] + (stop[is_sw] - start[is_sw]),
        }
    ).sort_values(["d", "employee_id", "episode"], kind="stable", ignore_index=True)
    sw["set_id"] = np.arange(len(sw), dtype=np.int64)
    sw["qkey"] = _quarter_key(sw["d"].to_numpy(), fy)

    # first switch of each person in this direction (for eligibility and censoring)
    first_switch = sw.groupby("employee_id", sort=False)["d"].min()

    # episode ends and how they ended
    ends = pd.DataFrame({"employee_id": ids, "episode": episode, "stop": stop, "event": event})
    ends = ends.sort_values("stop", kind="stable").drop_duplicates(
        ["employee_id", "episode"], keep="last"
    ).set_index(["employee_id", "episode"])
    ep_end = ends["stop"]
    ep_reason = ends["event"]

    # candidate intervals on the track left, exploded over the fiscal quarters they touch
    is_c = track == left
    c = pd.DataFrame(
        {
            "c_id": ids[is_c],
            "c_episode": episode[is_c],
            "c_start": start[is_c],
            "c_stop": stop[is_c],
            "c_tenure0": tenure_days[is_c],
            "grade": grade[is_c],
            "org_unit": unit[is_c],
        }
    )
    q0 = _quarter_key(c["c_start"].to_numpy(), fy)
    q1 = _quarter_key(c["c_stop"].to_numpy() - 1, fy)
    reps = (q1 - q0 + 1).astype(np.int64)
    c = c.loc[c.index.repeat(reps)].reset_index(drop=True)
    offs = np.arange(len(c)) - np.repeat(np.cumsum(reps) - reps, reps)
    c["qkey"] = np.repeat(q0, reps) + offs

    m = sw[["set_id", "d", "grade", "org_unit", "tenure_d", "qkey"]].merge(
        c, on=["grade", "org_unit", "qkey"], how="inner"
    )
    d = m["d"].to_numpy()
    ok = (m["c_start"].to_numpy() <= d) & (d < m["c_stop"].to_numpy())
    m = m.loc[ok]
    c_ten = m["c_tenure0"].to_numpy() + (m["d"].to_numpy() - m["c_start"].to_numpy())
    ok = np.abs(c_ten - m["tenure_d"].to_numpy()) <= tenure_window * DAYS_PER_YEAR
    m = m.loc[ok].assign(c_tenure=c_ten[ok])
    prior = first_switch.reindex(m["c_id"].to_numpy()).to_numpy(dtype=float)
    m = m.loc[~(prior < m["d"].to_numpy())]

    # seeded random draw of up to n_controls per set, independent of row order
    m = m.sort_values(["set_id", "c_id", "c_episode"], kind="stable", ignore_index=True)
    rng = np.random.default_rng(seed)
    m["u"] = rng.random(len(m))
    m["rank"] = m.groupby("set_id", sort=False)["u"].rank(method="first")
    m = m.loc[m["rank"] <= n_controls]
    n_drawn = m.groupby("set_id").size()

    controls = pd.DataFrame(
        {
            "set_id": m["set_id"].to_numpy(),
            "employee_id": m["c_id"].to_numpy(),
            "episode": m["c_episode"].to_numpy(),
            "switched": 0,
            "d": m["d"].to_numpy(),
            "grade": m["grade"].to_numpy(),
            "org_unit": m["org_unit"].to_numpy(),
            "tenure_d": m["c_tenure"].to_numpy(),
        }
    )
    treated = sw[["set_id", "employee_id", "episode", "d", "grade", "org_unit", "tenure_d"]].assign(
        switched=1
    )
    rows = pd.concat([treated, controls], ignore_index=True)

    # follow-up end
    key = pd.MultiIndex.from_arrays([rows["employee_id"], rows["episode"]])
    end_ep = ep_end.reindex(key).to_numpy(dtype=np.int64)
    reason_ep = ep_reason.reindex(key).to_numpy(dtype=object)
    d = rows["d"].to_numpy()
    horizon = (
        (pd.to_datetime(d, unit="D") + pd.DateOffset(months=horizon_months))
        .to_numpy(dtype="datetime64[D]")
        .astype(np.int64)
    )
    own = first_switch.reindex(rows["employee_id"].to_numpy()).to_numpy(dtype=float)
    own = np.where((rows["switched"].to_numpy() == 0) & (own > d), own, np.inf)
    end = np.minimum(np.minimum(end_ep, horizon).astype(float), own)
    is_exit = np.isin(reason_ep, EXIT_REASONS) & (end_ep == end)
    reason = np.where(
        is_exit,
        reason_ep,
        np.where(
            own == end, "switched", np.where(horizon == end, "horizon", "censored")
        ),
    )
    end = end.astype(np.int64)
    rows["end_date"] = pd.to_datetime(end, unit="D")
    rows["switch_date"] = pd.to_datetime(d, unit="D")
    rows["time"] = (end - d) / DAYS_PER_YEAR
    rows["end_reason"] = reason.astype(str)
    rows["tenure"] = rows["tenure_d"] / DAYS_PER_YEAR
    rows["grade"] = rows["grade"].astype("Int64")
    rows["org_unit"] = rows["org_unit"].astype("string")
    rows["employee_id"] = rows["employee_id"].astype("string")
    rows["n_controls"] = (
        rows["set_id"].map(n_drawn).fillna(0).astype(np.int64).to_numpy()
    )
    rows = rows.sort_values(["set_id", "switched", "employee_id"], ascending=[True, False, True])
    return rows[list(MATCHED_COLUMNS)].reset_index(drop=True)


def post_switch_exit_hr(
    data: AuditData,
    direction: str = "IC->M",
    horizon_months: int = 24,
    n_controls: int = 5,
    kind: str = "all",
    seed: int = 0,
    alpha: float = 0.05,
    matched: pd.DataFrame | None = None,
) -> Result:
    r"""Exit hazard ratio in the months after a track switch, switchers vs matched non-switchers.

    Parameters
    ----------
    data
        Loaded history export.
    direction
        ``"IC->M"`` (default) or ``"M->IC"``.
    horizon_months
        Follow-up from the switch date, in calendar months.
    n_controls
        Maximum number of controls drawn per switch.
    kind
        Exits counted as events: ``"all"`` (default), ``"voluntary"``, ``"involuntary"``
        or ``"other"``; other exits censor follow-up.
    seed
        Seed of the draw of controls.
    alpha
        1 - confidence level.
    matched
        The output of :func:`post_switch_matched`, when already built (it is reused
        as is; the design arguments above are then only reported).

    Returns
    -------
    Result
        ``table``: one row, columns ``direction``, ``kind``, ``estimate`` (hazard ratio,
        switchers / controls), ``ci_lower``, ``ci_upper``, ``p_value``, ``mde`` (the
        smallest hazard ratio above 1 detectable with 80% power at this ``alpha``),
        ``events_switchers``, ``events_controls``, ``n_sets`` (sets with at least one
        control), ``n_switchers``, ``n`` (distinct people in the model), ``suppressed``.
        ``tables["rates"]``: one row per group (``switchers``, ``controls``):
        ``events``, ``person_years``, ``estimate`` (exits per 100 person-years in
        follow-up), ``ci_lower``, ``ci_upper`` (exact Poisson), ``n`` (people).
        ``tables["design"]``: counts of the design (switches, sets matched, sets
        without any eligible control, controls drawn, end reasons); no person-level
        figure.

    Notes
    -----
    Model: Cox partial likelihood stratified by matched set (each set has its own baseline
    hazard, time since the switch date as the time scale, Breslow ties), one covariate
    ``switched``; :math:`\widehat{HR} = \exp(\hat\beta)`, Wald interval
    :math:`\exp(\hat\beta \pm z_{1-\alpha/2}\,\mathrm{se})` with the sandwich
    standard error clustered by person. Sets without any control carry no information and
    are left out (counted in ``tables["design"]``).

    The hazard ratio is a ratio of exit rates among those still employed and followed,
    not a ratio of probabilities of leaving. It compares switchers with people who were
    alike on grade, unit and tenure on the switch date; it does not remove differences
    on anything else (performance, manager, preference).
    """
    ends = check_kind(kind)
    if matched is None:
        matched = post_switch_matched(
            data, direction=direction, horizon_months=horizon_months,
            n_controls=n_controls, seed=seed,
        )
    rows = matched.loc[matched["n_controls"] > 0]
    event = rows["end_reason"].isin(ends).to_numpy()
    t_days = np.rint(rows["time"].to_numpy(dtype=float) * DAYS_PER_YEAR)
    sw = rows["switched"].to_numpy(dtype=float)
    person = pd.factorize(rows["employee_id"])[0]
    strata = pd.factorize(rows["set_id"])[0]
    fit = fit_cox(
        t_days, event.astype(float), sw[:, None], ["switched"], person, strata=strata
    )
    b, se = fit.params[0], float(np.sqrt(fit.cov[0, 0]))
    lo, hi = t_ci(b, se, alpha=alpha)
    p_value = float(2 * norm.sf(abs(b / se))) if np.isfinite(se) and se > 0 else np.nan
    is_sw = sw == 1
    table = pd.DataFrame(
        {
            "direction": [direction],
            "kind": [kind],
            "estimate": [float(np.exp(b))],
            "ci_lower": [float(np.exp(lo))],
            "ci_upper": [float(np.exp(hi))],
            "p_value": [p_value],
            "mde": [float(np.exp(mde_normal(se, alpha=alpha)))],
            "events_switchers": [int(event[is_sw].sum())],
            "events_controls": [int(event[~is_sw].sum())],
            "n_sets": [int(rows["set_id"].nunique())],
            "n_switchers": [int(rows.loc[is_sw, "employee_id"].nunique())],
            "n": [int(rows["employee_id"].nunique())],
        }
    )
    py = rows["time"].to_numpy(dtype=float)
    groups = []
    for name, mask in (("switchers", is_sw), ("controls", ~is_sw)):
        ev, pt = int(event[mask].sum()), float(py[mask].sum())
        rl, rh = poisson_rate_ci(ev, pt, alpha=alpha)
        groups.append(
            {
                "group": name,
                "events": ev,
                "person_years": pt,
                "estimate": 100 * ev / pt if pt > 0 else np.nan,
                "ci_lower": 100 * float(rl),
                "ci_upper": 100 * float(rh),
                "n": int(rows.loc[mask, "employee_id"].nunique()),
            }
        )
    n_sets_all = int(matched["set_id"].nunique())
    design = pd.DataFrame(
        {
            "figure": [
                "switches",
                "sets with at least one control",
                "sets without an eligible control (left out)",
                "controls drawn",
            ]
            + [f"follow-up ended: {r}" for r in sorted(matched["end_reason"].unique())],
            "value": [
                n_sets_all,
                int(rows["set_id"].nunique()),
                n_sets_all - int(rows["set_id"].nunique()),
                int((matched["switched"] == 0).sum()),
            ]
            + [int(v) for _, v in sorted(matched["end_reason"].value_counts().items())],
        }
    )
    left, joined = _check_direction(direction)
    return make_result(
        table,
        analysis="Post-switch attrition (matched)",
        definition=(
            f"Hazard of {kind} exit within {horizon_months} months of a {left}→{joined} switch, "
            f"switchers vs up to {n_controls} {left}s per switch at the same grade and unit "
            "within ±1 year of tenure who had not switched; controls who switch later are "
            "censored then; follow-up ends at exit, horizon or as-of."
        ),
        method=(
            "Cox model stratified by matched set (Breslow ties), time since switch as time "
            "scale; robust (sandwich) standard errors clustered by person; Wald CI on the log "
            "scale; exits per 100 person-years with exact Poisson (Garwood) CIs."
        ),
        population=f"{left}→{joined} switches in the observed window and their matched {left}s",
        data=data,
        alpha=alpha,
        tables={"rates": pd.DataFrame(groups), "design": design},
        seed=seed,
        direction=direction,
        horizon_months=horizon_months,
        n_controls=n_controls,
        converged=fit.converged,
    )


__all__ = [
    "DIRECTIONS",
    "EXIT_KINDS",
    "MATCHED_COLUMNS",
    "check_kind",
    "post_switch_exit_hr",
    "post_switch_matched",
]
