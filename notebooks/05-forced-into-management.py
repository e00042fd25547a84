# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Forced into management? Reading the signs on a dual career ladder
#
# Many organisations say they have a dual career ladder: an individual-contributor (IC) track
# beside the management (M) track, with equal pay, prestige and progression. If the IC ladder
# is real, people become managers because they want to manage. If it is not, people are pushed
# into management because it is the only way up: the IC ladder stops short, a switch pays more
# than an IC promotion, ICs who stall switch, new managers go back or leave, and some
# "managers" have nobody to manage.
#
# > Are people in this organisation pushed into management because the IC ladder offers no
# > other way up?
#
# No single number answers that, so `pathaudit.forced_management` reads nine indicators, each
# with its counts and 95% confidence interval, against documented thresholds
# (`docs/management.md`), and counts the figures that are **clearly** beyond their threshold:
# a figure is *flagged* only when its whole interval lies beyond it.
#
# The data is `data/sample/`, a simulated organisation shipped with pathaudit (no real person is
# in it). Every number in the text is computed in the cell above it.

# %%
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Markdown, display

import pathaudit
from pathaudit.sample import sample_dir

SAMPLE = sample_dir()  # data/sample of this repository
data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
data.summary()

# %%
audit = pathaudit.forced_management(data)  # the organisation, each org unit, each year
print(audit.summary())

# %%
org = audit.unit_profile()
assessed = org["status"].isin(["flagged", "clear", "inconclusive"])
flagged = org.loc[org["flagged"], "label"].tolist()
display(
    Markdown(
        f"**{audit.score} of the {int(assessed.sum())} figures that could be assessed are "
        f"flagged** for the whole organisation as of {audit.meta['as_of']}: "
        + "; ".join(flagged)
        + f". {int((org['status'] == 'clear').sum())} are clear (the whole interval on the "
        f"healthy side) and {int((org['status'] == 'inconclusive').sum())} are inconclusive "
        "(the interval straddles the threshold).\n\n"
        "**What the score means:** the number of warning signs that the data shows beyond "
        "reasonable doubt, each against a threshold chosen in advance. **What it does not "
        "mean:** it is not a probability that anyone was forced, and the figures are not "
        "independent (a ladder that stops short also makes ICs stall). An inconclusive figure "
        "is not a clean bill of health; it says the data cannot tell."
    )
)

# %% [markdown]
# ## The one-page profile
#
# Each panel is one figure: the dot is the estimate, the bar its 95% confidence interval, the
# dashed line the threshold (for two-sided thresholds the healthy band is shaded). Red is
# flagged, green clear, orange inconclusive, grey not assessed.

# %%
fig = audit.plot_profile()
plt.show()

# %% [markdown]
# ## 1. Does the IC ladder stop short?

# %%
ceiling = audit.indicators["ic_ceiling"].table
org_rows = ceiling.loc[(ceiling["by"] == "overall") & ceiling["grade"].isna()].set_index(
    "measure")
units = ceiling.loc[(ceiling["by"] == "org_unit") & (ceiling["measure"] == "designed_gap"),
                    ["group", "top_ic_grade", "top_m_grade", "estimate"]]
units.rename(columns={"group": "org unit", "estimate": "designed gap (grades)"})

# %%
gap = org_rows.loc["designed_gap"]
real = org_rows.loc["realised_gap"]
top = org_rows.loc["share_at_top_ic"]
prom = org_rows.loc["promotion_rate_ratio"]
display(
    Markdown(
        f"As designed, the management ladder reaches grade **{gap['top_m_grade']:.0f}** and the "
        f"IC ladder grade **{gap['top_ic_grade']:.0f}** in the unit with the widest gap "
        f"(**{gap['units_with_gap']:.0f}** of {len(units)} units have a gap; units that adopted "
        "the dual ladder added IC levels). In headcount, the highest grade held by at least "
        f"{audit.meta['k']} people is {real['top_m_grade']:.0f} for managers and "
        f"{real['top_ic_grade']:.0f} for ICs; {top['estimate']:.0%} of ICs "
        f"({top['numerator']:.0f} of {top['denominator']:.0f}) sit at the top of their ladder. "
        f"At the same grades, ICs are promoted at **{prom['estimate']:.2f} times** the "
        f"managers' rate (95% CI {prom['ci_lower']:.2f} to {prom['ci_upper']:.2f}).\n\n"
        "**What it means:** where the IC ladder stops below the M ladder, the only way to the top "
        "grades is through management. **What it does not mean:** the promotion ratio compares "
        "rates among people still in their grade; how long people actually wait, with leavers "
        "and switchers accounted for, is in the time-to-promotion notebook."
    )
)

# %% [markdown]
# ## 2. Does a switch pay more than an IC promotion?

# %%
prem = audit.indicators["switch_premium"].table
per_grade = prem.loc[(prem["by"] == "overall") & prem["grade"].notna()]
wide = per_grade.pivot_table(index="grade", columns="measure", values="estimate")
ax = wide[["median_raise_switch", "median_raise_promotion"]].plot.bar(
    figsize=(7, 3.5), color=["#0072b2", "#e69f00"], rot=0)
ax.set_ylabel("median pay change at the move")
ax.set_xlabel("IC grade before the move")
ax.legend(["switch to management", "IC promotion"], frameon=False)
ax.set_title("Pay change at a switch and at an IC promotion, by grade")
plt.show()

# %%
p = prem.loc[(prem["by"] == "overall") & prem["grade"].isna()].iloc[0]
display(
    Markdown(
        f"Within grade, the median pay change at a switch to management is "
        f"**{100 * p['estimate']:+.1f} percentage points** different from that of an IC "
        f"promotion (95% CI {100 * p['ci_lower']:+.1f} to {100 * p['ci_upper']:+.1f}; "
        f"{p['numerator']:.0f} switches and "
        f"{p['denominator']:.0f} IC promotions in grades with at least 5 of each).\n\n"
        "**What it means:** a positive premium says pay pulls people towards management: "
        "switching at the same grade pays more than being promoted as an IC. On a healthy "
        "ladder a switch at the same grade carries no raise, so the premium is negative. "
        "**What it does not mean:** it does not say the raise is unjustified (management may "
        "carry duties worth paying for); it says where the money is."
    )
)

# %% [markdown]
# ## 3. Do stalled ICs switch?
#
# An IC is *stalled* once their time in level passes the IC median time to promotion from
# their grade, estimated with leavers and switchers as competing events.

# %%
stall = audit.indicators["stalled_then_switched"]
stall.tables["thresholds"][["grade", "threshold", "rule", "spells", "promotions"]].round(2)

# %%
st = stall.table.set_index(["by", "group", "measure"])
hr = st.loc[("overall", "all", "hazard_ratio")]
hr = hr[hr["grade"].isna()].iloc[0] if hr.ndim > 1 else hr
share = st.loc[("overall", "all", "share_stalled")]
share = share.iloc[0] if share.ndim > 1 else share
stalled_time = hr["stalled_person_years"] / (hr["stalled_person_years"]
                                             + hr["progressing_person_years"])
display(
    Markdown(
        f"Stalled ICs switch to management at **{hr['estimate']:.2f} times** the rate of ICs "
        f"still progressing at the same grade (95% CI {hr['ci_lower']:.2f} to "
        f"{hr['ci_upper']:.2f}). {share['estimate']:.0%} of switches "
        f"({share['numerator']:.0f} of {share['denominator']:.0f}) were made while stalled, "
        f"while stalled time is {stalled_time:.0%} of all IC time.\n\n"
        "**What it means:** when stalling makes people switch, management is an exit from a "
        "blocked IC path. **What it does not mean:** stalled people may also be more "
        "experienced and better prepared to manage; the ratio shows the association, not the "
        "motive. In a small unit the stall threshold itself is uncertain, which pulls the ratio "
        "toward 1."
    )
)

# %% [markdown]
# ## 4. Who is moved into management?

# %%
who = audit.indicators["who_switches"].table
rates = who.loc[(who["by"] == "overall") & (who["measure"] == "switch_rate")
                & (who["attribute"] == "gender")]
rates.pivot_table(index="grade", columns="category", values="estimate").round(2)

# %%
g = who.loc[(who["by"] == "overall") & (who["measure"] == "rate_ratio")
            & (who["attribute"] == "gender")].iloc[0]
display(
    Markdown(
        f"Within grade, {g['category']} ICs switch to management at **{g['estimate']:.2f} "
        f"times** the rate of {g['reference']} ICs (95% CI {g['ci_lower']:.2f} to "
        f"{g['ci_upper']:.2f}; switches per 100 IC person-years by grade in the table above).\n\n"
        "**What it means:** a ratio far from 1 says management is opened more to one group than "
        "another at the same level. **What it does not mean:** it does not say whether people "
        "asked to switch; a preference survey (below) and interviews tell that part."
    )
)

# %% [markdown]
# ## 5. Do new managers go back, or leave?

# %%
back = audit.indicators["switch_back"]
curve = back.tables["curve"]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.step(curve["time"], curve["estimate"], where="post", color="#0072b2")
ax.fill_between(curve["time"], curve["ci_lower"], curve["ci_upper"], step="post",
                color="#0072b2", alpha=0.2, lw=0)
ax.set_xlabel("years since the switch to management")
ax.set_ylabel("share back on the IC track")
ax.set_title("Switch-back after a move into management (exit competing)")
plt.show()

# %%
b = back.table.set_index(["by", "group", "measure"]).loc[("overall", "all", "cif")]
ex = back.table.set_index(["by", "group", "measure"]).loc[("overall", "all", "exit_cif")]
att = audit.indicators["post_switch_attrition"].table
a = att.loc[(att["by"] == "overall") & (att["measure"] == "hazard_ratio")].iloc[0]
display(
    Markdown(
        f"Within 24 months of moving into management, **{b['estimate']:.1%}** of switchers were "
        f"back on the IC track (95% CI {b['ci_lower']:.1%} to {b['ci_upper']:.1%}; "
        f"{b['denominator']:.0f} switches followed) and {ex['estimate']:.1%} had left the "
        f"organisation. Compared with ICs at the same grade, unit and tenure who did not switch, "
        f"switchers left at **{a['estimate']:.2f} times** their rate in those 24 months (95% CI "
        f"{a['ci_lower']:.2f} to {a['ci_upper']:.2f}; {a['n_sets']:.0f} matched switches).\n\n"
        "**What it means:** going back is a sign the move did not fit; leaving soon after, a "
        "sign it cost the organisation the person. Some switch-backs are healthy (people try "
        "management and choose), so the threshold allows a few. **What it does not mean:** the "
        "matched comparison leaves differences in performance or manager in place, and a "
        "hazard ratio is a ratio of rates, not of the chance of leaving."
    )
)

# %% [markdown]
# ## 6. Managers in name, managers by preference, and after the move

# %%
nom = audit.indicators["nominal_managers"].table
pref = audit.indicators["preference_mismatch"].table
pet = audit.indicators["peter_principle"].table


def overall(table, measure):
    """The organisation's row of one measure."""
    return table.loc[(table["by"] == "overall") & (table["measure"] == measure)
                     & table["grade"].isna()].iloc[0]


n0, p0, c0 = overall(nom, "share"), overall(pref, "share"), overall(pref, "coverage")
d0, s0 = overall(pet, "difference"), overall(pet, "std_difference")
display(
    Markdown(
        f"- **Nominal managers:** {n0['estimate']:.0%} of managers ({n0['numerator']:.0f} of "
        f"{n0['denominator']:.0f}; 95% CI {n0['ci_lower']:.0%} to {n0['ci_upper']:.0%}) have "
        "fewer than two direct reports. A management title without a team is often how an "
        "organisation pays or promotes someone the IC ladder cannot.\n"
        f"- **Preference mismatch:** {p0['estimate']:.0%} of managers who answered the career "
        f"survey ({p0['numerator']:.0f} of {p0['denominator']:.0f}; 95% CI "
        f"{p0['ci_lower']:.0%} to {p0['ci_upper']:.0%}) would rather be ICs; "
        f"{c0['estimate']:.0%} of managers answered, and non-response can go either way.\n"
        f"- **Peter signal:** after a switch, ratings change by {d0['estimate']:+.2f} points "
        f"relative to after an IC promotion at the same grade ({s0['estimate']:+.2f} standard "
        f"deviations; 95% CI {s0['ci_lower']:+.2f} to {s0['ci_upper']:+.2f}). A new role is "
        "rated on new criteria, so a dip is expected; a large one says good ICs were made into "
        "struggling managers."
    )
)

# %% [markdown]
# ## Switches and exits by grade

# %%
ax = audit.plot_flows()
plt.show()

# %% [markdown]
# The bars are moves per 100 person-years on the track people leave, at the grade they leave
# from. Where IC→M switches are frequent at the grades just below the IC ceiling, and ICs at
# the ceiling leave, the ladder is working as a funnel into management.

# %% [markdown]
# ## By unit
#
# The same figures per org unit. Units adopted the dual ladder at different dates, so they
# differ in where the IC ladder stops.

# %%
by_unit = audit.scores.loc[audit.scores["by"] == "org_unit"].set_index("group")
by_unit[["flagged", "clear", "inconclusive", "assessed"]].sort_values("flagged",
                                                                      ascending=False)

# %%
worst = by_unit["flagged"].idxmax()
fig = audit.plot_profile(worst)
plt.show()
display(
    Markdown(
        f"**{worst}** has the most flagged figures ({by_unit.loc[worst, 'flagged']} of "
        f"{by_unit.loc[worst, 'assessed']} assessed). The grey diamonds mark the "
        "organisation's value. A unit has fewer people, so more of its figures are inconclusive: "
        "read a unit's flags, not its missing flags."
    )
)

# %% [markdown]
# ## Over time
#
# Every figure per fiscal year: switches and moves in the year, headcounts at the year end.
# A change to the ladder (adding IC levels, reforming pay bands) should move the ceiling, the
# premium and the stall ratio in the years after it.

# %%
fig = audit.plot_over_time()
plt.show()

# %%
years = audit.over_time()
gap_y = years.loc[years["measure"] == "designed_gap"].set_index("group")["estimate"]
prem_y = years.loc[years["measure"] == "premium"].set_index("group")["estimate"]
adoption = data.adoption.sort_values("adoption_date") if data.adoption is not None else None
display(
    Markdown(
        f"The widest designed IC ceiling gap was {gap_y.iloc[0]:.0f} grades at the end of "
        f"{gap_y.index[0]} and {gap_y.iloc[-1]:.0f} at the end of {gap_y.index[-1]}; "
        + (f"{len(adoption)} units adopted the dual ladder between "
           f"{adoption['adoption_date'].min().date()} and "
           f"{adoption['adoption_date'].max().date()}, " if adoption is not None else "")
        + "but the organisation's figure is the widest gap of any unit, so it falls to zero only "
        f"when the last unit adopts. The switch premium ranged from "
        f"{np.nanmin(prem_y):+.1%} to {np.nanmax(prem_y):+.1%} across years; a single year "
        "rests on few switches, so read the trend, not one year."
    )
)

# %% [markdown]
# ## What to do next
#
# - **Flagged ceiling:** list the grades with no IC equivalent and the units still on the old
#   ladder; adding IC levels is the direct fix, and the over-time chart will show whether it
#   worked.
# - **Flagged switch premium:** compare the pay bands of the two tracks at equal grade (the pay
#   parity notebook) and the raise policy at a switch.
# - **Flagged stall ratio or switch-backs:** look at the grades where ICs wait longest and at
#   the support new managers get; interview recent switchers and returners.
# - **Nominal managers and preference mismatch:** review management titles without teams, and
#   offer people who prefer the IC track a path to it without loss of pay or grade.
# - **Inconclusive figures:** more time or a larger population will narrow them; do not read
#   them as clear.
#
# `pathaudit audit` writes every table above to CSV (`forced_management__*.csv`) with the
# profile and the score in `summary.json`, for the quarterly report.
