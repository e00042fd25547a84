"""The survival tools on a researcher's own table, against stored R references.

The references (tests/reference/r/, README there) were made by R's survival and cmprsk on
``spells.csv``: the sample's spells in whole months (so events tie), with delayed entry for a
study observing from 2020. The suite needs no R; ``test_r_reproduces_the_stored_references``
re-runs the script where R is installed (CI installs it).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from compare import assert_same_file
from hypothesis import given, settings
from hypothesis import strategies as st
from system import require_program

import pathaudit
from pathaudit.errors import ArgumentError, PathauditError, StatisticalWarning
from pathaudit.stats.survival import concordance, cox_ph, step_at

REF = Path(__file__).parent / "reference" / "r"
TOL = 1e-6


@pytest.fixture(scope="module")
def spells() -> pd.DataFrame:
    d = pd.read_csv(REF / "spells.csv")
    d["exit"] = (d["cause"] == 2).astype(int)
    d["promoted"] = (d["cause"] == 1).astype(int)
    return d


def _close(a, b, tol=TOL):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(a)
    assert np.abs(a[ok] - b[ok]).max(initial=0.0) <= tol


@pytest.mark.parametrize("ci", ["log-log", "log", "plain"])
@pytest.mark.parametrize("with_entry", [False, True])
def test_survival_table_matches_r_survfit(spells, ci, with_entry):
    ref = pd.read_csv(REF / "km.csv")
    ref = ref[(ref["ci"] == ci) & (ref["entry"] == with_entry)].reset_index(drop=True)
    ours = pathaudit.survival_table(
        spells,
        time="time",
        event="exit",
        entry="entry" if with_entry else None,
        by="ic",
        ci=ci,
        k=1,
    )
    assert list(ours.columns) == [
        "ic",
        "time",
        "n_risk",
        "events",
        "surv",
        "se",
        "ci_lower",
        "ci_upper",
    ]
    assert (
        ours[["ic", "time", "n_risk", "events"]]
        .astype(float)
        .equals(
            ref[["ic", "time", "n_risk", "n_event"]]
            .rename(columns={"n_event": "events"})
            .astype(float)
        )
    )
    _close(ours["surv"], ref["surv"])
    _close(ours["se"], ref["std_err"])
    _close(ours["ci_lower"], ref["lower"])
    _close(ours["ci_upper"], ref["upper"])


def _ours_at(table, ic, cause, times, column):
    cur = table[(table["ic"] == ic) & (table["cause"] == cause)]
    return step_at(cur["time"].to_numpy(), cur[column].to_numpy(), times)


@pytest.mark.parametrize(
    ("source", "with_entry"),
    [("cmprsk::cuminc", False), ("survival::survfit", False), ("survival::survfit", True)],
)
def test_cumulative_incidence_matches_r(spells, source, with_entry):
    ref = pd.read_csv(REF / "cuminc.csv")
    ref = ref[(ref["source"] == source) & (ref["entry"] == with_entry)]
    ours = pathaudit.cumulative_incidence(
        spells,
        time="time",
        cause="cause",
        entry="entry" if with_entry else None,
        by="ic",
        k=1,
    )
    assert set(ours["cause"]) == {1, 2, 3}
    for (ic, cause), r in ref.groupby(["ic", "cause"]):
        t = r["time"].to_numpy()
        _close(_ours_at(ours, ic, cause, t, "cif"), r["cif"])
        se = _ours_at(ours, ic, cause, t, "se")
        if source == "survival::survfit" and not with_entry:
            # the delta-method variance is survfit's infinitesimal-jackknife one without entry
            _close(se**2, r["var"], 1e-9)
        elif source == "survival::survfit":
            # with delayed entry the two variance estimators differ slightly (documented)
            rv = np.sqrt(r["var"].to_numpy())
            pos = rv > 0
            assert np.abs(se[pos] / rv[pos] - 1).max() < 0.02
            assert np.abs(se[pos] / rv[pos] - 1).max() > 1e-4  # they are not the same


COX_SPECS = {
    "plain": (["ic", "female", "tenure"], "exit", False, None, None),
    "cluster": (["ic", "female", "tenure"], "exit", False, None, "person"),
    "entry_strata": (["ic", "female", "tenure"], "exit", True, "grade", "person"),
    "promotion_unit": (["ic", "female"], "promoted", True, "unit", "unit"),
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("model", list(COX_SPECS))
def test_cox_matches_r_coxph(spells, model, ties):
    covs, event, with_entry, strata, cluster = COX_SPECS[model]
    ref = pd.read_csv(REF / "cox.csv")
    ref = ref[(ref["model"] == model) & (ref["ties"] == ties)].reset_index(drop=True)
    res = pathaudit.cox(
        spells,
        covariates=covs,
        time="time",
        event=event,
        entry="entry" if with_entry else None,
        strata=strata,
        cluster=cluster,
        ties=ties,
    )
    tab = res.table
    assert list(tab["term"]) == list(ref["term"])
    _close(tab["coef"], ref["coef"])
    _close(tab["se"], ref["se"])
    _close(tab["robust_se"], ref["robust_se"])
    _close(tab["hr"], np.exp(ref["coef"]))
    _close(res.loglike, ref["loglik"].iloc[0])
    _close(res.loglike_null, ref["loglik_null"].iloc[0])
    _close(res.lr_stat, ref["lr_stat"].iloc[0])
    assert res.lr_df == ref["lr_df"].iloc[0]
    _close(res.concordance, ref["concordance"].iloc[0])
    assert (res.n, res.n_events) == (ref["n"].iloc[0], ref["n_event"].iloc[0])
    assert res.fit.converged and res.fit.iterations <= ref["iterations"].iloc[0] + 2
    used = tab["robust_se"] if cluster else tab["se"]
    _close(tab["z"], tab["coef"] / used, 1e-12)
    assert "concordance" in res.summary()


def test_efron_equals_statsmodels_phreg_where_it_works(spells):
    # a second check: PHReg's Efron estimate and model-based SE (its robust SE with Efron ties
    # and its handling of entry tied with event times differ from R's, so not those)
    from statsmodels.duration.hazard_regression import PHReg

    covs = spells[["ic", "female", "tenure"]].to_numpy(float)
    status = spells["exit"].to_numpy(bool)
    ref = PHReg(spells["time"], covs, status, strata=spells["grade"], ties="efron").fit()
    ours = cox_ph(spells["time"], status, covs, strata=spells["grade"], ties="efron")
    _close(ours.params, ref.params, 1e-9)
    _close(ours.bse, ref.bse, 1e-9)
    _close(ours.loglike, ref.llf, 1e-8)


def test_efron_and_breslow_differ_only_with_ties(spells):
    covs = spells[["ic", "female", "tenure"]].to_numpy(float)
    status = spells["exit"].to_numpy(bool)
    tied = {t: cox_ph(spells["time"], status, covs, ties=t).params for t in ("efron", "breslow")}
    assert np.abs(tied["efron"] - tied["breslow"]).max() > 1e-4  # 4e-4 on these ties
    jitter = spells["time"] + np.random.default_rng(0).uniform(0, 1e-3, len(spells))
    untied = {t: cox_ph(jitter, status, covs, ties=t) for t in ("efron", "breslow")}
    _close(untied["efron"].params, untied["breslow"].params, 1e-12)
    _close(untied["efron"].bse, untied["breslow"].bse, 1e-12)


def test_convergence_rule_holds_on_a_large_likelihood(spells):
    # Replicating every row m times leaves the estimate unchanged and scales the naive SE by
    # 1/sqrt(m); the log likelihood (about -3e6 here) is large enough that an absolute rule
    # would chase rounding noise. The relative rule stops in as many iterations as m = 1.
    # (Breslow: Efron's approximation is not invariant to replication, which creates ties.)
    covs = spells[["ic", "female", "tenure"]].to_numpy(float)
    status = spells["exit"].to_numpy(bool)
    small = cox_ph(spells["time"], status, covs, ties="breslow")
    m = 100
    big = cox_ph(
        np.tile(spells["time"], m), np.tile(status, m), np.tile(covs, (m, 1)), ties="breslow"
    )
    assert big.converged and big.iterations <= small.iterations + 1
    assert abs(big.loglike) > 5e5
    _close(big.params, small.params, 1e-9)
    _close(big.bse * np.sqrt(m), small.bse, 1e-9)


def test_concordance_by_brute_force():
    rng = np.random.default_rng(3)
    n = 120
    t = rng.integers(1, 15, n).astype(float)
    e = np.minimum(np.where(rng.uniform(size=n) < 0.4, np.floor(t * rng.uniform(size=n)), 0), t - 1)
    s = rng.uniform(size=n) < 0.6
    x = rng.integers(0, 4, n).astype(float)
    g = rng.integers(0, 2, n)
    conc = disc = tied = 0
    for i in np.flatnonzero(s):
        for j in range(n):
            at_risk = e[j] < t[i] and (t[j] > t[i] or (t[j] == t[i] and not s[j]))
            if j != i and g[i] == g[j] and at_risk:
                conc += x[i] > x[j]
                disc += x[i] < x[j]
                tied += x[i] == x[j]
    c, *counts = concordance(t, s, x, entry=e, strata=g)
    assert tuple(counts) == (conc, disc, tied)
    assert c == pytest.approx((conc + tied / 2) / (conc + disc + tied), abs=1e-15)


def test_curves_stop_where_fewer_than_k_are_at_risk(spells):
    full = pathaudit.survival_table(spells, time="time", event="exit", by="ic", k=1)
    cut = pathaudit.survival_table(spells, time="time", event="exit", by="ic", k=50)
    assert (cut["n_risk"] >= 50).all() and len(cut) < len(full)
    for ic, cur in cut.groupby("ic"):
        f = full[full["ic"] == ic]
        first_low = f.index[f["n_risk"] < 50].min()
        assert len(cur) == (f.index < first_low).sum()
    inc = pathaudit.cumulative_incidence(spells, time="time", cause="cause", by="female", k=50)
    assert (inc["n_risk"] >= 50).all()
    # the default is the audit's k = 5
    assert pathaudit.survival_table(spells, time="time", event="exit")["n_risk"].min() >= 5


def test_cumulative_incidence_takes_text_causes():
    df = pd.DataFrame(
        {"t": [1, 2, 3, 4, 5, 6], "how": ["promotion", "exit", "none", "promotion", "none", "exit"]}
    )
    out = pathaudit.cumulative_incidence(df, time="t", cause="how", censored="none", k=1)
    prom = out[out["cause"] == "promotion"]
    # by hand: 1/6, then S(2) = 4/6 and 3 at risk at t = 4: 1/6 + (4/6)(1/3)
    assert prom["cif"].iloc[-1] == pytest.approx(1 / 6 + 4 / 18, abs=1e-15)
    assert "'how'" in out.attrs["definition"]


def test_cox_reports_an_unidentifiable_term_as_nan_with_its_reason(spells):
    df = spells.assign(constant=1.0)
    with pytest.warns(StatisticalWarning, match="constant"):
        res = pathaudit.cox(df, covariates=["ic", "constant"], time="time", event="exit")
    row = res.table.set_index("term").loc["constant"]
    assert np.isnan(row["coef"]) and "constant" in row["reason"]
    assert res.lr_df == 1


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda d: pathaudit.survival_table(d, time="tme", event="exit"),
            r"time must name columns of the table: .* Did you mean 'time'\?",
        ),
        (
            lambda d: pathaudit.survival_table(d.values, time="time", event="exit"),
            "survival_table takes a pandas DataFrame",
        ),
        (
            lambda d: pathaudit.survival_table(d, time="time", event="cause"),
            r"must hold 1/0 or True/False; found 3 \(row 2\)",
        ),
        (
            lambda d: pathaudit.survival_table(d, time="time", event="exit", ci="wald"),
            r"ci must be one of \['log-log', 'log', 'plain'\]",
        ),
        (
            lambda d: pathaudit.survival_table(
                d.assign(entry=d["time"]), time="time", event="exit", entry="entry"
            ),
            r"entry \('entry'\) must be below time \('time'\) in every row; 3128 row\(s\) are not "
            r"\(first: row 0\)",
        ),
        (
            lambda d: pathaudit.survival_table(
                d.assign(time=d["time"].where(d.index != 7)), time="time", event="exit"
            ),
            r"time column 'time' must hold finite numbers; 1 row\(s\) do not \(first: row 7",
        ),
        (
            lambda d: pathaudit.cox(
                d.assign(g=d["ic"].map({0: "M", 1: "IC"})),
                covariates=["g"],
                time="time",
                event="exit",
            ),
            r"covariate 'g' is not numeric .* pandas.get_dummies",
        ),
        (
            lambda d: pathaudit.cox(
                d.assign(grade=d["grade"].where(d.index != 4)),
                covariates=["ic"], time="time", event="exit", strata="grade",
            ),
            r"strata column\(s\) \['grade'\] have missing values \(1 row\(s\), first: row 4\)",
        ),
        (
            lambda d: pathaudit.cox(d, covariates=["ic"], time="time", event="exit", ties="exact"),
            r"ties must be one of \['efron', 'breslow'\]",
        ),
        (
            lambda d: pathaudit.cumulative_incidence(
                d.assign(cause=d["cause"].where(d.index > 2)), time="time", cause="cause"
            ),
            r"cause column 'cause' has missing values \(first: row 0\)",
        ),
    ],
)
def test_bad_arguments_say_what_and_how_to_fix(spells, call, message):
    with pytest.raises(ArgumentError, match=message):
        call(spells)


def test_cox_ph_rejects_unknown_ties():
    with pytest.raises(PathauditError, match="ties must be 'breslow' or 'efron'"):
        cox_ph([1.0, 2.0], [1, 1], [[0.0], [1.0]], ties="exact")


def test_r_reproduces_the_stored_references(tmp_path):
    rscript = require_program(
        "Rscript",
        purpose="re-running the R reference script",
        debian="r-base-core r-cran-survival r-cran-cmprsk",
    )
    subprocess.run(
        [rscript, str(REF / "survival_reference.R"), str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    for name in ("km.csv", "cox.csv", "cuminc.csv"):
        assert_same_file(REF / name, tmp_path / name)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000), shift=st.integers(1, 50))
def test_row_order_and_a_common_time_shift_change_nothing(spells, seed, shift):
    # row order never matters; adding the same constant to entry and time of every row
    # changes neither the hazard ratios (risk sets are the same) nor the curves' shape
    perm = np.random.default_rng(seed).permutation(len(spells))
    shuffled = spells.iloc[perm].reset_index(drop=True)
    shifted = spells.assign(entry=spells["entry"] + shift, time=spells["time"] + shift)
    kw = {"covariates": ["ic", "female"], "time": "time", "event": "exit", "entry": "entry",
          "strata": "grade", "cluster": "person"}
    ref = pathaudit.cox(spells, **kw)
    for other in (shuffled, shifted):
        res = pathaudit.cox(other, **kw)
        _close(res.table["coef"], ref.table["coef"], 1e-9)
        _close(res.table["robust_se"], ref.table["robust_se"], 1e-9)
        _close(res.concordance, ref.concordance, 1e-12)
    a = pathaudit.survival_table(shuffled, time="time", event="exit", by="ic", k=1)
    b = pathaudit.survival_table(spells, time="time", event="exit", by="ic", k=1)
    pd.testing.assert_frame_equal(a, b)
    c = pathaudit.survival_table(shifted, time="time", event="exit", entry="entry", k=1)
    d = pathaudit.survival_table(spells, time="time", event="exit", entry="entry", k=1)
    _close(c["surv"], d["surv"], 1e-12)
    _close(c["time"] - shift, d["time"], 0)
