# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Time to promotion: do individual contributors move up as fast as managers?
#
# A dual career ladder promises that an engineer, analyst or designer who stays an individual
# contributor (IC) can progress as well as someone who becomes a manager (M). Pay is one half of
# that promise; **promotion** is the other. This notebook asks:
#
# > Among people who enter a level below the top of their track, how likely is an IC to be
# > promoted within a few years (the *headline horizon*, an argument of the analysis), compared
# > with a manager **at the same grade**?
#
# It uses `data/sample/`, a simulated organisation shipped with pathaudit (no real person is in
# it), and `pathaudit.time_to_promotion`. Every number in the text below is computed in the cell
# above it.
#
# **Why not just "average time to promotion"?** Because many people never get promoted in a
# level: they leave, or they switch track. Averaging over those who were promoted ignores them;
# treating leavers as if they might still be promoted later (the "naive" Kaplan–Meier curve)
# makes promotion look more likely than it is. The method used here, the Aalen–Johansen
# cumulative incidence, treats exit and switch as **competing events**: it estimates the share
# of people who are actually promoted, in the organisation as it is.

# %%
import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Markdown, display

import pathaudit
from pathaudit.report import narrate
from pathaudit.sample import sample_dir

SAMPLE = sample_dir()  # data/sample of this repository
data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
data.summary()

# %%
audit = pathaudit.time_to_promotion(data)
H = audit.headline_horizon  # years (headline_horizon=, default 3)
LEVEL = f"{1 - audit.alpha:.0%}"  # confidence level of every interval (alpha=)
spells = data.spells
inc = audit.incidence
display(
    Markdown(
        f"The analysis starts from **{len(spells):,} spells** (continuous time one person spends "
        f"in one track and level). It keeps the spells that began below the top of their own "
        f"track; it left out {inc.meta['excluded']['at_top_of_track']:,} spells at the top "
        f"(nobody can be promoted from there within the track) and "
        f"{inc.meta['excluded']['start_not_observed']:,} spells whose start is not known. "
        f"Spells that began before the history is complete ({data.history_start.date()}) are "
        f"counted only from then on (delayed entry)."
    )
)

# %% [markdown]
# ## The headline figures
#
# Each figure is judged against a stated threshold: **clear** when its whole interval lies on
# the healthy side, **flagged** when it lies wholly beyond, **inconclusive** when it straddles
# the threshold. The primary figure is the within-grade difference; its threshold is an
# *equivalence margin* (`margin=`), so an interval that includes zero is "clear" only when it
# also rules out a gap as large as the margin.

# %%
headline = audit.headline()
headline[["key", "estimate", "ci_lower", "ci_upper", "n", "threshold", "status"]].round(3)

# %%
figs = headline.set_index("key")
d = figs.loc["promotion_probability_difference"]
pooled = figs.loc["promotion_probability_difference_pooled"]
p_ic, p_m = figs.loc["promotion_probability_ic"], figs.loc["promotion_probability_m"]
# the sentences come from the numbers (pathaudit.report.narrate, the report's functions)
d_row = d.to_dict() | {"key": d.name}
display(
    Markdown(
        f"**Compared within grade** ({LEVEL} intervals): {narrate.describe_difference(d_row)} "
        f"That is {p_ic['estimate']:.1%} for ICs against {p_m['estimate']:.1%} for managers, "
        f"weighting each grade by its share of spells. Against the margin of "
        f"±{100 * audit.margin:.0f} percentage points the figure is **{d['status']}**. "
        f"{narrate.describe_status(d_row)}"
    )
)

# %%
m_low = int(spells.loc[spells["track"] == "M", "grade"].min())
ic_share_low = (spells.loc[spells["track"] == "IC", "grade"] < m_low).mean()
display(
    Markdown(
        f"**Pooled over grades**, the same comparison reads {pooled['estimate']:+.1%} "
        f"({pooled['ci_lower']:+.1%} to {pooled['ci_upper']:+.1%}). The two "
        + ("disagree in sign" if (pooled["estimate"] > 0) != (d["estimate"] > 0) else "differ")
        + f" because the tracks have different grade mixes: {ic_share_low:.0%} of IC "
        f"spells are below grade {m_low}, the lowest grade of a management spell. The pooled "
        f"figure mixes the difference associated with track with that grade mix; the "
        f"within-grade figure is the answer to the question."
    )
)

# %%
audit.plot("difference")
plt.show()

# %%
by_grade = audit.difference.tables["by_grade"]
by_grade[["grade", "weight", "probability_ic", "probability_m", "estimate", "ci_lower",
          "ci_upper", "n_ic", "n_m"]].round(3)

# %% [markdown]
# ## Promotion curves: the competing-risks estimate beside the naive one
#
# Solid lines are the Aalen–Johansen cumulative incidence of promotion (with its pointwise
# band at the analysis's confidence level); dashed lines are the naive Kaplan–Meier curve that
# treats people who left or switched as if they could still be promoted. Curves stop where
# fewer than the minimum cell size remain at risk.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4), sharey=True)
audit.plot("incidence", ax=axes[0])
audit.plot("incidence", ax=axes[1], grade=5)
plt.tight_layout()
plt.show()

# %%
prob = inc.table
comparable = sorted(set(by_grade["grade"].dropna().astype(int)))
show = prob.loc[prob["grade"].isin(comparable)]
table = show.pivot_table(
    index=["grade", "track"], columns=["estimator", "horizon"], values="estimate"
)
table.round(3)

# %%
longest = prob["horizon"].max()
last = prob.loc[prob["grade"].isna() & (prob["horizon"] == longest)].set_index(
    ["track", "estimator"]
)
ic_aj = last.loc[("IC", "aalen_johansen"), "estimate"]
ic_km = last.loc[("IC", "naive_km"), "estimate"]
display(
    Markdown(
        f"For ICs over all grades, the naive curve says **{ic_km:.0%}** are promoted within "
        f"{longest:g} years of entering a level; the competing-risks estimate says "
        f"**{ic_aj:.0%}**. The difference is the people who left or switched before being "
        f"promoted: the naive curve pretends they are still waiting. Use the Aalen–Johansen "
        f"figures."
    )
)

# %% [markdown]
# ### Median time to promotion
#
# The median is the time at which half of the spells have ended in a promotion. Where fewer
# than half are ever promoted (because people leave or switch first) the median is **not
# reached**, and it is reported so, never extrapolated.

# %%
med = inc.tables["median"]
med = med.loc[med["estimator"] == "aalen_johansen"].copy()
med["median (years)"] = med["estimate"].map(lambda v: "not reached" if pd.isna(v) else f"{v:.1f}")
med[["track", "grade", "median (years)", "ci_lower", "ci_upper", "n", "suppressed"]]

# %% [markdown]
# ## Hazard ratios: promotion *rates* among those still in their level
#
# The cause-specific Cox model compares the promotion **rate** of ICs and managers at the same
# grade (grades are strata), at the same time in level, with tenure, job family, location and
# gender as controls, and standard errors clustered by person.
#
# A hazard ratio is **a rate among those still at risk** — still employed, not yet switched,
# not yet promoted. It is not a ratio of probabilities: an IC track with a lower promotion rate
# but also fewer exits can end up with a similar share promoted, and the reverse. The log-rank
# test likewise compares hazards, not the probability of promotion.

# %%
hz = audit.hazard.table
hz[["term", "estimate", "ci_lower", "ci_upper", "p_value", "p_adjusted", "events", "n"]].round(3)

# %%
audit.plot("hazard")
plt.show()
pooled_hr = hz.set_index("term").loc["IC vs M"]
hr_fig = figs.loc["promotion_hazard_ratio"]
display(
    Markdown(
        f"Among people still in their level, ICs are promoted at **{pooled_hr['estimate']:.2f}** "
        f"times the rate of managers at the same grade and time in level ({LEVEL} CI "
        f"{pooled_hr['ci_lower']:.2f} to {pooled_hr['ci_upper']:.2f}, "
        f"{int(pooled_hr['events']):,} promotions). Against the four-fifths band "
        f"({hr_fig['threshold']}) the ratio is **{hr_fig['status']}**: {hr_fig['reason']}."
    )
)

# %%
audit.hazard.tables["logrank"].round(4)

# %% [markdown]
# ## Promotion rates per 100 person-years
#
# Promotions divided by the person-time spent below the top of the track, by track, grade and
# year, with exact Poisson intervals. A rate is easy to compare with an HR dashboard; it does
# not account for how long people have been in their level.

# %%
rates = audit.rates.table
rates.pivot_table(index=["track", "grade"], columns="year", values="estimate").round(1)

# %% [markdown]
# ## Velocity: years from hire to first reach each grade
#
# The probability of having first reached a grade within a few years of hire, by the track on
# which it was reached (exit competes), and — for those who did reach it — the median years it took.
# The second figure looks only at people who made it, so it leaves out everyone still on the way
# or gone: read it as "how long it took those who got there", not as the typical path.

# %%
vel = audit.velocity
V = sorted(vel.table["horizon"].unique())[1]  # the middle horizon of the velocity table
print(f"within {V:g} years of hire")
vel.table.loc[vel.table["horizon"] == V, ["grade", "track", "estimate", "ci_lower", "ci_upper",
                                          "reached", "n"]].round(3)

# %%
vel.tables["among_reached"].round(2)

# %% [markdown]
# ## Parity within each track: gender
#
# The same machinery within each track: the difference in the probability of promotion within
# the headline horizon between each gender group and the largest group, compared within grade;
# the cause-specific hazard ratio; and the **impact ratio** of the four-fifths rule
# (29 CFR 1607.4(D)): each group's annual promotion proportion (promoted during the year,
# among those in a level below the top on 1 January) divided by the highest group's. A ratio
# below 0.8 is flagged; the interval says whether the data could tell.

# %%
par = audit.parity
par.table[["track", "group", "reference", "estimate", "ci_lower", "ci_upper", "p_adjusted",
           "mde", "n_group", "n_reference"]].round(3)

# %%
imp = par.tables["impact_ratio"]
imp[["track", "group", "proportion", "estimate", "ci_lower", "ci_upper", "below_four_fifths",
     "ci_below_four_fifths", "n"]].round(3)

# %%
audit.plot("parity")
plt.show()

# %%
gap = par.table.iloc[0]
display(
    Markdown(
        f"In the {gap['track']} track, {gap['group']} employees' probability of promotion within "
        f"{H:g} years differs from {gap['reference']} employees' by {gap['estimate']:+.1%} "
        f"points ({LEVEL} CI "
        f"{gap['ci_lower']:+.1%} to {gap['ci_upper']:+.1%}). With these numbers, a difference "
        f"smaller than about {gap['mde']:.1%} points could not be reliably detected, so an "
        f"interval that includes zero is not evidence of parity."
    )
)

# %% [markdown]
# ## With a snapshot export only
#
# Many HR systems only export the current state: one row per person with the date of the last
# promotion. pathaudit still loads it, but time to promotion needs the history (who was
# promoted, who left first, and when). From a snapshot it reports time **since** the last
# promotion for current employees, and says so.

# %%
snap_data = pathaudit.load(SAMPLE, SAMPLE / "map_snapshot.toml")
snap = pathaudit.time_to_promotion(snap_data)
print(snap.summary())
snap.snapshot.table.round(2)

# %% [markdown]
# ## What this means, what it does not, and what to do next
#
# - **What it means.** The within-grade difference is the gap in the chance of being promoted
#   within the headline horizon of entering a level, for ICs against managers at the same
#   grade, in this organisation as it is (with its exits and switches). The hazard ratio
#   says the same thing as a rate among people still in their level.
# - **What it does not mean.** It is a difference associated with track, not a proof of its
#   cause: performance, the readiness of a promotion committee, or the design of the ladder (an
#   IC ceiling below the management one) can all sit behind it. A small, non-significant
#   difference is not parity unless it is smaller than the minimum detectable difference.
# - **What to do next.** Look at the grades where the difference is largest
#   (`audit.difference.tables["by_grade"]`), check whether the IC ladder has levels above the
#   grade in question (the forced-into-management indicators show the IC ceiling), and compare
#   with the pay-parity analysis at the same grades.
#
# Because this organisation is simulated, we can check the answer against what the simulator
# built in (`truth.json`): the promotion hazard ratio it used for ICs against managers.

# %%
import json  # noqa: E402

truth = json.loads((SAMPLE / "truth.json").read_text())["promotion"]
print(f"hazard ratio built into the simulation: {truth['hr_ic_vs_m']:.2f}; "
      f"estimated: {pooled_hr['estimate']:.2f} ({pooled_hr['ci_lower']:.2f}-"
      f"{pooled_hr['ci_upper']:.2f})")
