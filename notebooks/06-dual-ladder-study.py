# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Did introducing the dual ladder lower turnover?
#
# Units of an organisation adopt a dual career ladder at different dates. If an IC track
# with real pay and progression keeps specialists who would otherwise leave, voluntary exits
# in a unit should fall after it adopts, compared with what they would have been without it.
# We never see that counterfactual, so the study compares each adopting unit's change with
# the change in units that had not (yet) adopted: a **staggered difference-in-differences**
# (Callaway and Sant'Anna 2021), with the checks a research reader asks for. Design,
# assumptions and checks are in `docs/study.md`.
#
# The data are simulated (no real person is in them), so the truth is known. Every number in
# the text is computed in the cell above it.

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import pathaudit
from pathaudit.simulate import simulate
from pathaudit.simulate.config import study

# 40 units: four adoption cohorts of 8, 8 never adopt; about 4,000 people ever employed
sim = simulate(study(initial_headcount=1900, target_headcount=2000), seed=2026)
data = sim.data
res = pathaudit.dual_ladder_study(data, bootstrap=499, placebo_draws=199)
panel = res.panel.table
cohorts = panel.loc[panel["first_treated"] > 0, "first_treated"].value_counts().sort_index()
listed = ", ".join(f"{n} units from period {int(g)}" for g, n in cohorts.items())
display(
    Markdown(
        f"The panel has **{len(panel)} units** observed over "
        f"**{int(panel['quarters'].max())} fiscal quarters**; "
        f"{len(cohorts)} adoption cohorts ({listed}) "
        f"and {int((panel['first_treated'] == 0).sum())} units that never adopt. The outcome is "
        "voluntary exits per 100 person-years in each unit and quarter; each unit is weighted by "
        "its average quarterly person-time before the first adoption."
    )
)

# %% [markdown]
# ## The estimate
#
# The group-time effects ATT(g, t) compare cohort g in quarter t with the units not yet
# adopting, each against its own quarter before adoption; the aggregations average them.

# %%
att = res.att.table
overall = att[(att["value"] == "overall")].set_index(["weighting", "kind"])
overall[["estimate", "ci_lower", "ci_upper"]].round(2)

# %%
level = f"{1 - res.alpha:.0%}"
s = overall.loc[("person-time", "simple")]
u = overall.loc[("unweighted", "simple")]
truth = sim.truth["study"]["cs_targets"]["person-time"]["simple"]
display(
    Markdown(
        f"Averaged over every adopting unit and quarter after adoption, voluntary exits changed by "
        f"**{s['estimate']:+.2f} per 100 person-years** ({level} interval {s['ci_lower']:+.2f} to "
        f"{s['ci_upper']:+.2f}); unweighted, {u['estimate']:+.2f}. The simulation's true value "
        f"under these weights is {truth:+.2f}."
    )
)

# %% [markdown]
# ## Before and after adoption: the event study
#
# Before adoption the effects should be zero (parallel trends); after it they show how the
# effect builds up. The shaded band holds for every quarter at once.

# %%
res.plot("event_study")
plt.show()
es = res.event_study
p = es.meta.get("pretest_p_value")
display(
    Markdown(
        f"The joint test that the last {es.meta.get('pretest_df', 0)} pre-adoption effects are all "
        f"zero gives p = {p:.3f}: "
        + (
            "no evidence against parallel trends before adoption."
            if p is not None and p > 0.05
            else "a warning that the units were already drifting apart before adoption."
        )
        if p is not None
        else "The pre-trend test could not be computed."
    )
)

# %% [markdown]
# ## Checks
#
# **Two-way fixed effects**, shown only as the comparison that is biased when effects grow
# over time (already-treated units serve as controls):

# %%
res.twfe.table[["method", "estimate", "ci_lower", "ci_upper"]].round(3)

# %% [markdown]
# **Placebo adoption dates.** Reassigning the adoption dates at random should give effects
# centred on zero; the real estimate should stand out.

# %%
res.plot("placebo_dates")
plt.show()
pl = res.placebo_dates.table.set_index("kind").loc["simple"]
display(
    Markdown(
        f"Over {int(pl['draws'])} reassignments the placebo effects average "
        f"{pl['placebo_mean']:+.2f} (SD {pl['placebo_sd']:.2f}); the estimate's randomisation "
        f"p-value is {pl['p_value']:.3f}."
    )
)

# %% [markdown]
# **Placebo outcome and composition.** A dual ladder should not move involuntary exits;
# and if adoption changed who is hired into, or which ICs move out of, adopting units, the
# exit rates would describe different people before and after.

# %%
checks = [res.placebo_outcome.table, res.composition.table]
for t in checks:
    display(t[["outcome", "estimate", "ci_lower", "ci_upper", "p_value"]].round(3))

# %% [markdown]
# **Person-level hazard.** A Cox model of voluntary exit with "dual ladder in force" as a
# time-varying covariate, stratified by unit, with track, grade and fiscal year, clustered by
# unit, and the effect by track:

# %%
cox = res.cox.table
display(cox[["term", "estimate", "ci_lower", "ci_upper", "events"]].round(3))
ic = cox[cox["term"].str.endswith("IC track")].iloc[0]
m = cox[cox["term"].str.endswith("M track")].iloc[0]
display(
    Markdown(
        f"With the ladder in force, ICs resign at {ic['estimate']:.2f} times the rate before "
        f"({ic['ci_lower']:.2f} to {ic['ci_upper']:.2f}) and managers at {m['estimate']:.2f} "
        f"({m['ci_lower']:.2f} to {m['ci_upper']:.2f})."
    )
)

# %% [markdown]
# ## How robust, and how much could this data detect?
#
# **Sensitivity** (Rambachan and Roth): how large could a post-adoption departure from
# parallel trends be, relative to the largest one before adoption, before the average effect
# could be zero?

# %%
sens = res.sensitivity
display(sens.table[["mbar", "lower", "upper"]].round(2))
display(
    Markdown(
        f"The identified set of the average post-adoption effect first includes zero at "
        f"Mbar = {sens.meta['breakdown_mbar']:.2f}: post-adoption trend changes "
        f"{sens.meta['breakdown_mbar']:.2f} times the largest pre-adoption one would explain the "
        "estimate away."
    )
)

# %%
pw = res.power.table.iloc[0]
display(
    Markdown(
        f"**Power.** With these units and quarters the study detects, with 80% power, a drop of "
        f"{pw['estimate']:.2f} exits per 100 person-years ({pw['relative_to_baseline']:.0%} of the "
        f"baseline {pw['baseline_per_100py']:.1f}). A 20% drop would need about "
        f"{pw['units_for_20pct_drop']:.0f} units like these."
    )
)

# %% [markdown]
# ## With few units
#
# The sample organisation (`data/sample/`) has eight units, one per adoption date. There the
# analytic intervals are not estimable and the study says so; inference comes from
# randomisation over adoption dates.

# %%
from pathaudit.sample import sample_dir  # noqa: E402

small = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
few = pathaudit.dual_ladder_study(small, parts=["att", "placebo_dates"], placebo_draws=199)
few.headline()[["label", "estimate", "status", "reason"]]

# %% [markdown]
# ## Limits
#
# The design identifies the effect on the adopting units only under parallel trends (given
# no anticipation beyond the window allowed) and no spillovers between units; units chose
# when to adopt, and a unit that adopted because its turnover was about to change breaks the
# first. The checks above speak to these assumptions, but none proves them.
