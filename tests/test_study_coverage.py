"""The turnover study against known truth: TWFE's bias, coverage over 200 draws, the null."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from coverage_tables import write_coverage_table

import pathaudit
from pathaudit.errors import StatisticalWarning
from pathaudit.study._panel import study_panel

KINDS = ("simple", "group", "dynamic", "calendar")


def _expected_panel() -> tuple[pd.DataFrame, dict[str, float]]:
    """A noise-free staggered panel: unit and period effects, an effect growing with time
    since adoption (-1 per 100 person-years in the first quarter, one more each quarter)."""
    rng = np.random.default_rng(0)
    units, periods = 40, 16
    cohort = np.repeat([5, 9, 13, 0], 10)
    alpha = rng.normal(10, 2, units)
    gamma = np.linspace(0, 3, periods)
    rows = []
    for i in range(units):
        for t in range(1, periods + 1):
            e = t - cohort[i]
            effect = -(e + 1.0) if cohort[i] and e >= 0 else 0.0
            rows.append((i, t, cohort[i], alpha[i] + gamma[t - 1] + effect))
    p = pd.DataFrame(rows, columns=["unit", "period", "first_treated", "y"])
    post = p[(p["first_treated"] > 0) & (p["period"] >= p["first_treated"])]
    effect = -(post["period"] - post["first_treated"] + 1.0)
    # the simple aggregation's target: every post cell, cohorts equal in size
    return p, {"simple": float(effect.mean())}


def test_twfe_is_biased_under_growing_staggered_effects_while_cs_is_not():
    import statsmodels.formula.api as smf

    p, target = _expected_panel()
    fit = pathaudit.att_gt(
        p,
        outcome="y",
        unit="unit",
        time="period",
        first_treated="first_treated",
        control_group="not_yet",
    )
    simple = pathaudit.aggregate(fit, "simple").overall["estimate"]
    assert simple == pytest.approx(target["simple"], abs=1e-9)
    dyn = pathaudit.aggregate(fit, "dynamic").table.set_index("value")["estimate"]
    assert np.allclose(dyn[dyn.index >= 0], -(dyn.index[dyn.index >= 0] + 1.0), atol=1e-9)
    assert np.allclose(dyn[dyn.index < 0], 0, atol=1e-9)
    d = p.assign(D=((p["first_treated"] > 0) & (p["period"] >= p["first_treated"])) * 1.0)
    twfe = smf.ols("y ~ D + C(unit) + C(period)", d).fit().params["D"]
    # already-treated units serve as controls while their effect keeps growing: TWFE
    # understates the effect by more than a third here
    assert abs(twfe - target["simple"]) > 0.35 * abs(target["simple"])


def _draws(config, truth=True):
    from pathaudit.simulate import cached_organisations

    return cached_organisations(200, config, truth=truth)


def _study_att(panel):
    """The estimator the study runs: C&S on voluntary exits, not-yet controls, unit weights."""
    return pathaudit.att_gt(
        panel,
        outcome="voluntary_per_100py",
        unit="org_unit",
        time="period",
        first_treated="first_treated",
        control_group="not_yet",
        est_method="ipw",
        weights="weight",
    )


@pytest.mark.coverage_study
def test_study_recovers_its_targets_with_coverage_over_200_draws():
    """ATT (each aggregation, person-time weights) and the Cox hazard ratio against
    truth.json on the study preset: 40 units, 4 cohorts of 8, an effect that grows."""
    import statsmodels.formula.api as smf

    from pathaudit.simulate.config import study

    sims = _draws(study())
    rows, cox_rows = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StatisticalWarning)
        for i, sim in enumerate(sims):
            panel, _ = study_panel(sim.data)
            fit = _study_att(panel)
            targets = sim.truth["study"]["cs_targets"]["person-time"]
            for kind in KINDS:
                o = pathaudit.aggregate(fit, kind).overall
                rows.append({"draw": i, "kind": kind, **o, "truth": targets[kind]})
            d = panel.assign(
                D=((panel["first_treated"] > 0) & (panel["period"] >= panel["first_treated"])) * 1.0
            )
            twfe = (
                smf.wls("voluntary_per_100py ~ D + C(org_unit) + C(period)", d, weights=d["weight"])
                .fit()
                .params["D"]
            )
            rows.append(
                {
                    "draw": i,
                    "kind": "twfe",
                    "estimate": twfe,
                    "se": np.nan,
                    "ci_lower": np.nan,
                    "ci_upper": np.nan,
                    "truth": targets["simple"],
                }
            )
            cox = pathaudit.dual_ladder_study(sim.data, parts=["cox"]).cox.table
            cox_rows.append(cox[cox["term"].str.endswith("(person-time mix)")].iloc[0])
    r = pd.DataFrame(rows)
    table = []
    for kind in KINDS:
        g = r[r["kind"] == kind]
        cover = ((g["ci_lower"] <= g["truth"]) & (g["truth"] <= g["ci_upper"])).mean()
        diff = g["estimate"] - g["truth"]
        table.append(
            {
                "figure": f"ATT, {kind} aggregation",
                "draws": len(g),
                "coverage": cover,
                "band": "[0.90, 0.99]",
                "mean error": diff.mean(),
                "MC SE": diff.std() / np.sqrt(len(g)),
            }
        )
        assert 0.90 <= cover <= 0.99, (kind, cover)
        assert abs(diff.mean()) < 3 * diff.std() / np.sqrt(len(g)), (kind, diff.mean())
    # TWFE: biased under growing staggered effects (its mean error beyond 3 MC SEs)
    tw = r[r["kind"] == "twfe"]
    err = tw["estimate"] - tw["truth"]
    table.append(
        {
            "figure": "TWFE (comparison)",
            "draws": len(tw),
            "coverage": np.nan,
            "band": "biased",
            "mean error": err.mean(),
            "MC SE": err.std() / np.sqrt(len(tw)),
        }
    )
    assert err.mean() > 3 * err.std() / np.sqrt(len(tw)), err.mean()
    # Cox: the average hazard ratio against its pseudo-true value from a large run
    c = pd.DataFrame(cox_rows).reset_index(drop=True)
    truth_hr = sims[0].truth["study"]["cox_hr_pseudo_true"]
    ok = c["ci_lower"].notna()
    assert ok.sum() >= 190
    cover = ((c["ci_lower"] <= truth_hr) & (truth_hr <= c["ci_upper"]))[ok].mean()
    logs = np.log(c.loc[ok, "estimate"]) - np.log(truth_hr)
    table.append(
        {
            "figure": "Cox HR, dual ladder in force (person-time mix)",
            "draws": int(ok.sum()),
            "coverage": cover,
            "band": "[0.90, 0.99]",
            "mean error": logs.mean(),
            "MC SE": logs.std() / np.sqrt(ok.sum()),
        }
    )
    assert 0.90 <= cover <= 0.99, cover
    assert abs(logs.mean()) < 3 * logs.std() / np.sqrt(len(logs)), logs.mean()
    write_coverage_table("study_effect", pd.DataFrame(table))


@pytest.mark.coverage_study
def test_study_null_rejection_rate_over_200_draws():
    """No adoption effect: the simple aggregation's 95% interval excludes 0 in about 5% of
    the draws (within 3 Monte-Carlo SEs of 0.05)."""
    from pathaudit.simulate.config import study

    sims = _draws(study(adoption_hr=1.0, adoption_hr_final=1.0), truth=False)
    reject = []
    for sim in sims:
        panel, _ = study_panel(sim.data)
        fit = _study_att(panel)
        o = pathaudit.aggregate(fit, "simple").overall
        reject.append(o["ci_lower"] > 0 or o["ci_upper"] < 0)
    rate = float(np.mean(reject))
    mc = np.sqrt(0.05 * 0.95 / len(reject))
    write_coverage_table(
        "study_null",
        pd.DataFrame(
            [
                {
                    "figure": "ATT, simple aggregation: rejection at 5% with no effect",
                    "draws": len(reject),
                    "rejection rate": rate,
                    "band": f"0.05 +/- {3 * mc:.3f}",
                }
            ]
        ),
    )
    assert abs(rate - 0.05) < 3 * mc, rate
