# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Attrition by track: do individual contributors leave more than managers, and when?
#
# A dual career ladder is meant to keep people who would rather practise their craft than
# manage. If it works, individual contributors (ICs) should not leave at a higher rate than
# managers (M) doing work of the same grade, and people pushed into management should not
# quit soon after. This notebook asks:
#
# > How many ICs and managers leave per year of employment, is the difference real once we
# > compare like with like, and what happens to people in the months after they switch
# > track?
#
# It uses `data/sample/`, a simulated organisation shipped with pathaudit (no real person is
# in it), and `pathaudit.attrition`. Every number in the text is computed in the cell above it.
#
# **Why "exits per 100 person-years" and not a headcount ratio?** People are employed for
# different lengths of time, and some change track. A rate per person-year counts each person's
# time where it was spent: a switcher's months as an IC count for the IC track and their months
# as a manager for the M track, and the exit counts for the track held on the last day.

# %%
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

import pathaudit
from pathaudit.report import narrate
from pathaudit.sample import sample_dir

SAMPLE = sample_dir()  # data/sample of this repository
data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
data.summary()

# %%
res = pathaudit.attrition(data, by="grade", freq="year")
head = res.headline().set_index("key")
head[["label", "estimate", "ci_lower", "ci_upper", "n", "status", "reason"]].round(3)

# %% [markdown]
# The headline holds one row per figure with its status, judged against a stated threshold:
# **flagged** (the whole interval lies beyond it), **clear** (the whole interval lies on the
# healthy side), **inconclusive** (the interval straddles it), or **descriptive** (a rate on
# one track, which no threshold judges). The primary figure is the IC / M ratio of voluntary
# exit rates; its threshold is an equivalence margin, so "clear" needs an interval narrow
# enough to rule out a difference as large as the margin.

# %%
level = f"{1 - res.alpha:.0%}"
rates = res.rates.table.set_index(["track", "kind"])
ic, m = rates.loc[("IC", "voluntary")], rates.loc[("M", "voluntary")]
rr = res.rate_ratio.table.set_index("kind").loc["voluntary"]
ratio = head.loc["voluntary_exit_rate_ratio"]
# the sentences come from the numbers (pathaudit.report.narrate), never fixed text
reading = narrate.describe(ratio.to_dict() | {"key": "voluntary_exit_rate_ratio"},
                           caveat=False)
display(
    Markdown(
        f"Between {data.history_start.date()} and {data.as_of.date()}, ICs left **voluntarily** "
        f"at **{ic['estimate']:.1f} per 100 person-years** ({level} CI {ic['ci_lower']:.1f} to "
        f"{ic['ci_upper']:.1f}; {int(ic['events'])} resignations over "
        f"{ic['person_years']:,.0f} person-years) and managers at **{m['estimate']:.1f}** "
        f"({m['ci_lower']:.1f} to {m['ci_upper']:.1f}; {int(m['events'])} over "
        f"{m['person_years']:,.0f} person-years). The IC / M rate ratio is "
        f"**{ratio['estimate']:.2f}** (exact {level} CI {ratio['ci_lower']:.2f} to "
        f"{ratio['ci_upper']:.2f}, p = {rr['p_value']:.2f}).\n\n"
        f"**Status: {ratio['status']}.** {reading} "
        f"**What it does not mean:** this crude ratio compares everyone on one track with "
        "everyone on the other; it mixes grades, units that adopted the dual ladder at "
        "different dates, and recent switchers. With this many exits, a true ratio closer to 1 "
        f"than about {rr['mde']:.2f} (or 1 / {rr['mde']:.2f}) would often go unnoticed by a "
        "test of no difference, which is why the status is judged against the margin."
    )
)

# %% [markdown]
# ## Over time
#
# The same rate, by fiscal year, with exact (Garwood) intervals as bands. Cells with fewer
# than the minimum number of people (k, 5 by default) would show as gaps.

# %%
fig, ax = plt.subplots(figsize=(8, 4))
res.plot("over_time", ax=ax, kind="voluntary")
plt.show()

# %%
ot = res.over_time.table
vol = ot[ot["kind"] == "voluntary"].pivot(index="period", columns="track", values="estimate")
first, last = vol.index[0], vol.index[-1]
display(
    Markdown(
        f"Voluntary exits per 100 person-years were {vol.loc[first, 'IC']:.1f} (IC) and "
        f"{vol.loc[first, 'M']:.1f} (M) in {first}, and {vol.loc[last, 'IC']:.1f} and "
        f"{vol.loc[last, 'M']:.1f} in {last}. Moves that stay inside the bands can be noise: "
        "read the trend, not single years, and compare a year with the one before through "
        "their intervals."
    )
)

# %% [markdown]
# ## Within grade
#
# Grade is where parity is judged: a Staff engineer against a manager of the same grade. The
# ratio per grade comes with a Holm-adjusted p-value, because several grades are tested at once.
# Grades where one track has no one (above the IC ceiling, below the first management grade)
# have no ratio.

# %%
rrb = res.rate_ratio_by.table
rrb[rrb["kind"] == "voluntary"][
    ["grade", "events_ic", "events_m", "estimate", "ci_lower", "ci_upper", "p_value",
     "p_adjusted", "suppressed"]
].round(3)

# %% [markdown]
# ## The number on the HR dashboard
#
# HR dashboards usually show the **SHRM-style turnover rate**: exits in a year divided by the
# average headcount, where the average headcount here is the mean of the twelve month-end
# headcounts. It is a different figure from exits per 100 person-years (it counts heads, not
# time), so the two differ slightly; it is shown so the audit can be reconciled with the
# dashboard, not for inference.

# %%
turn = res.turnover.table
t_all = turn[(turn["kind"] == "all") & (turn["track"] == "all")].set_index("period")
t_all[["exits", "average_headcount", "months", "turnover_rate", "estimate"]].round(1)

# %%
y = t_all.index[-2]
per_py = res.over_time.table
all_py = per_py[(per_py["kind"] == "all") & (per_py["period"] == y)]
rate_py = 100 * all_py["events"].sum() / all_py["person_years"].sum()
display(
    Markdown(
        f"In {y}, {int(t_all.loc[y, 'exits'])} people left out of an average month-end headcount "
        f"of {t_all.loc[y, 'average_headcount']:.0f}: an annual turnover rate of "
        f"**{t_all.loc[y, 'turnover_rate']:.1f}%**. Counted per person-year, the same year had "
        f"{rate_py:.1f} exits per 100 person-years."
    )
)

# %% [markdown]
# ## Retention curves
#
# The share still employed after 1, 2, 3 and 5 years (Kaplan–Meier, any exit ends it), by the
# track people are in at each point of their tenure. People hired before the history is complete
# enter the curve at the tenure they had on that date (delayed entry). Curves stop where fewer
# than k people remain at risk.

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 4))
res.plot("retention", ax=axes[0], curve="tenure")
res.plot("retention", ax=axes[1], curve="time_in_track")
plt.show()

# %%
ret = res.retention.table.set_index(["curve", "track", "years"])
r_ic, r_m = ret.loc[("tenure", "IC", 3.0)], ret.loc[("tenure", "M", 3.0)]
t_m = ret.loc[("time_in_track", "M", 2.0)]
display(
    Markdown(
        f"Three years into their tenure, {r_ic['estimate']:.0%} of ICs were still employed "
        f"({level} CI {r_ic['ci_lower']:.0%} to {r_ic['ci_upper']:.0%}) against "
        f"{r_m['estimate']:.0%} of managers ({r_m['ci_lower']:.0%} to "
        f"{r_m['ci_upper']:.0%}). Counting from the day "
        f"people entered management (the right panel), {t_m['estimate']:.0%} were still "
        f"employed two years on. A retention curve is a probability; it says how many stay, not "
        "why."
    )
)

# %% [markdown]
# ## Like with like: the hazard ratio
#
# The Cox model compares an IC and a manager **at the same grade, with the same tenure, at the
# same moment**, holding the unit's dual-ladder status, the first months after a switch into
# management (`horizon_months`), compa-ratio (pay against the band midpoint) and gender, job
# family and location fixed. Track is time-varying: a switcher's risk moves with them. Standard
# errors are clustered by person.

# %%
res.plot("cox")
plt.show()
cox = res.cox.table.set_index("term")
cox[["estimate", "ci_lower", "ci_upper", "p_value", "mde"]].round(3)

# %%
hr = cox.loc["track: IC vs M"]
hr_head = head.loc["voluntary_exit_hazard_ratio"]
post = cox.loc[cox.index.str.startswith(f"first {res.horizon_months} months after")].iloc[0]
adopt = cox.loc["dual ladder in force in the unit"]
# where each interval lies against 1
side = {
    name: "higher than" if row["ci_lower"] > 1 else "lower than" if row["ci_upper"] < 1
    else "not distinguishable from"
    for name, row in (("post", post), ("adopt", adopt))
}

if post["ci_lower"] > 1:
    why = ("new managers who came from the IC track resign more than established managers, "
           "which lifts the crude M rate; the hazard ratio compares ICs with established "
           "managers")
elif post["ci_upper"] < 1:
    why = ("new managers who came from the IC track resign less than established managers, "
           "which lowers the crude M rate; the hazard ratio compares ICs with established "
           "managers")
else:
    why = ("the first months after a switch make no clear difference here, so the gap comes "
           "from grade, tenure and the other terms held equal")
display(
    Markdown(
        f"At equal grade, tenure and the rest, the hazard of resigning is **{hr['estimate']:.2f} "
        f"times** as high for an IC as for a manager ({level} CI {hr['ci_lower']:.2f} to "
        f"{hr['ci_upper']:.2f}; status **{hr_head['status']}**: {hr_head['reason']}). People in "
        f"their first {res.horizon_months} months after moving into management resign at "
        f"{post['estimate']:.2f} times the rate of established managers "
        f"({post['ci_lower']:.2f} to {post['ci_upper']:.2f}: "
        f"{side['post']} that of established managers), and while the dual ladder is in "
        f"force in a unit the hazard is {adopt['estimate']:.2f} times the hazard before "
        f"({adopt['ci_lower']:.2f} to {adopt['ci_upper']:.2f}: "
        f"{side['adopt']} before adoption).\n\n"
        f"**Why it differs from the crude ratio ({ratio['estimate']:.2f}):** {why}. **What a "
        "hazard ratio is not:** it is a ratio of rates among those still employed, not a ratio "
        "of the probabilities of leaving, and not a causal effect of the track: people choose "
        "tracks for reasons the data does not hold."
    )
)

# %% [markdown]
# ## Regretted attrition
#
# Resignations of top-rated people hurt most. Here "top" means a rating at or above a threshold
# (`top_rating`; by default the 75th percentile of all ratings), taken from the latest rating in
# force at the start of each quarter.

# %%
reg = res.regretted
share = reg.tables["share"].set_index("track")
display(reg.table[["track", "rating_group", "events", "person_years", "estimate", "ci_lower",
                   "ci_upper"]].round(2))
display(
    Markdown(
        f"Top-rated means a rating of at least {reg.meta['top_rating']:g}. Of the IC "
        f"resignations with a rating on file, {share.loc['IC', 'estimate']:.0%} were top-rated "
        f"({level} CI {share.loc['IC', 'ci_lower']:.0%} to {share.loc['IC', 'ci_upper']:.0%}); "
        f"for managers {share.loc['M', 'estimate']:.0%} "
        f"({share.loc['M', 'ci_lower']:.0%} to {share.loc['M', 'ci_upper']:.0%})."
    )
)

# %% [markdown]
# ## After a switch: do people pushed into management leave?
#
# On each date someone moves from IC to manager, up to `n_controls` ICs (five by default) who
# had not switched are drawn at random among those at the same grade, in the same unit, within
# a year of the same tenure. Everyone is followed for `horizon_months`; a control who switches
# later stops being followed then. The hazard ratio compares switchers with their own matched
# set (a Cox model stratified by set, errors clustered by person). The same design, run the
# other way, follows people who moved back from management to the IC track.

# %%
ps = res.post_switch
res.plot("post_switch")
plt.show()
ps.table[["direction", "kind", "estimate", "ci_lower", "ci_upper", "events_switchers",
          "events_controls", "n_sets"]].round(3)

# %%
sw = ps.table.set_index(["direction", "kind"]).loc[("IC->M", "voluntary")]
ps_head = head.loc["post_switch_exit_hr_ic_to_m"]
ps_reading = narrate.describe_status(ps_head.to_dict() | {"key": ps_head.name})
display(
    Markdown(
        f"In the {res.horizon_months} months after moving into management, switchers left (any "
        f"exit) at **{ps_head['estimate']:.2f} times** the rate of comparable ICs who stayed "
        f"({level} CI {ps_head['ci_lower']:.2f} to {ps_head['ci_upper']:.2f}; "
        f"{int(sw['n_sets'])} switches with at least one match); counting resignations only, "
        f"{sw['estimate']:.2f} times ({sw['ci_lower']:.2f} to {sw['ci_upper']:.2f}). "
        f"**Status: {ps_head['status']}.** {ps_reading} It does not "
        "show that the switch "
        "caused the exits: switchers may differ from their matches in ways the matching does "
        "not see (performance, manager, stated preference)."
    )
)

# %% [markdown]
# ## From a snapshot export
#
# Many exports are a snapshot: one row per person, current (or last) job only. pathaudit still
# computes exit rates and retention from it when the snapshot holds leavers with their exit
# dates, but it attributes each person's whole employment to the track and grade they held at
# the end, and cannot see switches. It says so, in a warning and in the notes of the result.

# %%
import warnings

snap = pathaudit.load(SAMPLE, SAMPLE / "map_snapshot.toml")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the same text is in the notes below
    res_snap = pathaudit.attrition(snap, by=None)
for note in res_snap.notes:
    print(f"{note.kind} ({note.part or 'whole analysis'}): {note.text}")
res_snap.headline().set_index("key")[["estimate", "ci_lower", "ci_upper", "status"]].round(3)

# %%
snap_rates = res_snap.rates.table.set_index(["track", "kind"])
s_ic, s_m = snap_rates.loc[("IC", "voluntary")], snap_rates.loc[("M", "voluntary")]
s_ratio = res_snap.headline().set_index("key").loc["voluntary_exit_rate_ratio"]
# how each rate moves from the history to the snapshot, at the precision shown
moved = {
    track: "rises" if round(new, 1) > round(old, 1) else "falls" if round(new, 1) < round(
        old, 1) else "stays"
    for track, new, old in (("IC", s_ic["estimate"], ic["estimate"]),
                            ("M", s_m["estimate"], m["estimate"]))
}

display(
    Markdown(
        f"From the snapshot, managers get {s_m['person_years']:,.0f} person-years against "
        f"{m['person_years']:,.0f} from the full history: everyone who is a manager at the end "
        "is counted as one for all their observed tenure, including the years they spent as "
        f"ICs. The IC rate {moved['IC']} "
        f"({ic['estimate']:.1f} to {s_ic['estimate']:.1f}) and the M rate "
        f"{moved['M']} ({m['estimate']:.1f} to "
        f"{s_m['estimate']:.1f}), so the snapshot's IC / M ratio is "
        f"**{s_ratio['estimate']:.2f}** (status {s_ratio['status']}) against "
        f"**{ratio['estimate']:.2f}** (status {ratio['status']}) from the history. The caveat "
        "on the rate ratio says why: use a history export for the comparison between tracks, "
        "and the snapshot for the overall rate and for retention over tenure."
    )
)

# %% [markdown]
# ## Checking against the truth
#
# The sample is simulated, so the values the estimators target are known (`truth.json`). A
# single organisation is one draw: the estimates should fall inside their intervals most of the
# time, not every time. (The test suite checks coverage over 200 simulated organisations.)

# %%
import json

truth = json.loads((SAMPLE / "truth.json").read_text())
checks = [
    ("IC voluntary exits per 100 person-years", ic, truth["attrition"]["rate_per_100py"]
     ["voluntary"]["IC"]),
    ("M voluntary exits per 100 person-years", m, truth["attrition"]["rate_per_100py"]
     ["voluntary"]["M"]),
    ("IC / M voluntary rate ratio", rr, truth["attrition"]["rate_ratio_voluntary"]),
    ("hazard ratio IC vs M (Cox)", hr, truth["attrition"]["hr_voluntary_ic_vs_m"]),
    ("post-switch exit hazard ratio (matched)", sw, truth["management"]["post_switch_exit_hr"]),
]
for name, row, value in checks:
    inside = row["ci_lower"] <= value <= row["ci_upper"]
    print(f"{name}: estimate {row['estimate']:.2f} [{row['ci_lower']:.2f}, "
          f"{row['ci_upper']:.2f}], truth {value:.2f} -> {'inside' if inside else 'outside'}")

# %% [markdown]
# ## What to do next
#
# - If the **rate ratio** or the **within-grade hazard ratio** is flagged (its whole interval
#   outside the margin), look at the grades where the IC rate is highest (`res.rates_by`,
#   `res.plot("rate_ratio_by")`) and at the IC ceiling and pay gap there (the parity and
#   promotion notebooks). If it is inconclusive, more data (another year) narrows the interval.
# - If **switchers leave more than their matches** (the post-switch figure flagged), read it
#   with the other forced-into-management indicators (stalled-then-switched, switch premium,
#   switch-back).
# - If **regretted attrition** is concentrated on one track, start exit interviews there.
# - Re-run every quarter with the new extract and compare the rates with last quarter's and last
#   year's intervals, not the point estimates.
