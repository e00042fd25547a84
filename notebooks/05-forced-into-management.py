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
# with its counts and confidence interval, against documented thresholds
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
head = audit.headline().set_index("key")
head[["label", "estimate", "ci_lower", "ci_upper", "n", "status", "reason"]].round(3)

# %% [markdown]
# The headline holds one row per figure with its status against a stated threshold:
# **flagged** (the whole interval lies beyond it), **clear** (the whole interval lies on the
# healthy side), **inconclusive** (the interval straddles it), **not estimable** (no value,
# too few events for a ratio, or fewer than k people) or **not computed** (the input is
# missing). The primary figure, `flagged_indicators`, is the number of flagged figures for the
# whole organisation: the score a leader reads.

# %%
level = f"{1 - audit.meta['alpha']:.0%}"
score = head.loc["flagged_indicators"]
figures = head.drop(index="flagged_indicators")
by_status = {s: figures.loc[figures["status"] == s, "label"].tolist()
             for s in ("flagged", "clear", "inconclusive", "not estimable", "not computed")}
assessed = sum(len(by_status[s]) for s in ("flagged", "clear", "inconclusive"))
listed = "".join(
    f"\n- **{s}** ({len(labels)}): " + "; ".join(labels)
    for s, labels in by_status.items() if labels
)
display(
    Markdown(
        f"**{score['estimate']:.0f} of the {assessed} figures that could be assessed are "
        f"flagged** for the whole organisation as of {audit.meta['as_of']} (status: "
        f"{score['status']}; {score['reason']}).{listed}\n\n"
        "**What the score means:** the number of warning signs that the data shows beyond "
        f"reasonable doubt (the whole {level} interval beyond a threshold chosen in advance). "
        "**What it does not mean:** it is not a probability that anyone was forced, and the "
        "figures are not independent (a ladder that stops short also makes ICs stall). An "
        "inconclusive figure is not a clean bill of health; it says the data cannot tell."
    )
)

# %% [markdown]
# ## The profile: every figure against its threshold
#
# One row per scope (the whole organisation, then each org unit), one column per figure; the
# colour is the status, the text the estimate (a dash where the figure is suppressed or has
# no value).

# %%
fig, ax = plt.subplots(figsize=(10, 4))
audit.plot("profile", ax=ax)
plt.show()

# %% [markdown]
# ## 1. Does the IC ladder stop short?

# %%
ceiling = audit.part("ic_ceiling").table
org_rows = ceiling.loc[(ceiling["by"] == "overall") & ceiling["grade"].isna()].set_index(
    "measure")
units = ceiling.loc[(ceiling["by"] == "org_unit") & (ceiling["measure"] == "designed_gap"),
                    ["group", "top_ic_grade", "top_m_grade", "estimate"]]
units.rename(columns={"group": "org unit", "estimate": "designed gap (grades)"})

# %%
gap = org_rows.loc["designed_gap"]
real = org_rows.loc["realised_gap"]
top = org_rows.loc["share_at_top_ic"]
prom = head.loc["ic_promotion_rate_ratio"]
gap_head = head.loc["ic_ceiling_designed_gap"]
display(
    Markdown(
        f"As designed, the management ladder reaches grade **{gap['top_m_grade']:.0f}** and the "
        f"IC ladder grade **{gap['top_ic_grade']:.0f}** in the unit with the widest gap "
        f"(**{gap['units_with_gap']:.0f}** of {len(units)} units have a gap; status "
        f"{gap_head['status']}: {gap_head['reason']}). In headcount, the highest grade held by "
        f"at least {audit.meta['k']} people is {real['top_m_grade']:.0f} for managers and "
        f"{real['top_ic_grade']:.0f} for ICs; {top['estimate']:.0%} of ICs "
        f"({top['numerator']:.0f} of {top['denominator']:.0f}) sit at the top of their ladder. "
        f"At the same grades, ICs are promoted at **{prom['estimate']:.2f} times** the "
        f"managers' rate ({level} CI {prom['ci_lower']:.2f} to {prom['ci_upper']:.2f}; status "
        f"{prom['status']}: {prom['reason']}).\n\n"
        "**What it means:** where the IC ladder stops below the M ladder, the only way to the top "
        "grades is through management. **What it does not mean:** the promotion ratio compares "
        "rates among people still in their grade; how long people actually wait, with leavers "
        "and switchers accounted for, is in the time-to-promotion notebook."
    )
)

# %% [markdown]
# ## 2. Does a switch pay more than an IC promotion?

# %%
prem = audit.part("switch_premium").table
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
ph = head.loc["switch_premium"]
min_each = audit.part("switch_premium").meta["min_per_grade"]
display(
    Markdown(
        f"Within grade, the median pay change at a switch to management is "
        f"**{100 * ph['estimate']:+.1f} percentage points** "
        f"{'above' if ph['estimate'] > 0 else 'below'} that of an IC promotion ({level} CI "
        f"{100 * ph['ci_lower']:+.1f} to {100 * ph['ci_upper']:+.1f}; {p['numerator']:.0f} "
        f"switches and {p['denominator']:.0f} IC promotions in grades with at least "
        f"{min_each} of each). Status {ph['status']}: {ph['reason']}.\n\n"
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
stall = audit.part("stalled_then_switched")
stall.tables["thresholds"][["grade", "threshold", "rule", "spells", "promotions"]].round(2)

# %%
st = stall.table.loc[(stall.table["by"] == "overall") & stall.table["grade"].isna()].set_index(
    "measure")
hr, share = st.loc["hazard_ratio"], st.loc["share_stalled"]
sh = head.loc["stalled_switch_hazard_ratio"]
stalled_time = hr["stalled_person_years"] / (hr["stalled_person_years"]
                                             + hr["progressing_person_years"])
display(
    Markdown(
        f"Stalled ICs switch to management at **{sh['estimate']:.2f} times** the rate of ICs "
        f"still progressing at the same grade ({level} CI {sh['ci_lower']:.2f} to "
        f"{sh['ci_upper']:.2f}; status {sh['status']}: {sh['reason']}). "
        f"{share['estimate']:.0%} of switches ({share['numerator']:.0f} of "
        f"{share['denominator']:.0f}) were made while stalled, while stalled time is "
        f"{stalled_time:.0%} of all IC time.\n\n"
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
who = audit.part("who_switches").table
rates = who.loc[(who["by"] == "overall") & (who["measure"] == "switch_rate")
                & (who["attribute"] == "gender")]
rates.pivot_table(index="grade", columns="category", values="estimate").round(2)

# %%
g = who.loc[(who["by"] == "overall") & (who["measure"] == "rate_ratio")
            & (who["attribute"] == "gender") & who["grade"].isna()].iloc[0]
gh = figures.loc[figures.index.str.startswith("who_switches_rate_ratio")].iloc[0]
display(
    Markdown(
        f"Within grade, {g['category']} ICs switch to management at **{g['estimate']:.2f} "
        f"times** the rate of {g['reference']} ICs ({level} CI {g['ci_lower']:.2f} to "
        f"{g['ci_upper']:.2f}; switches per 100 IC person-years by grade in the table above). "
        f"Status {gh['status']}: {gh['reason']}.\n\n"
        "**What it means:** a ratio far from 1 says management is opened more to one group than "
        "another at the same level. **What it does not mean:** it does not say whether people "
        "asked to switch; a preference survey (below) and interviews tell that part."
    )
)

# %% [markdown]
# ## 5. Do new managers go back, or leave?

# %%
back = audit.part("switch_back")
curve = back.tables["curve"]
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.step(curve["time"], curve["estimate"], where="post", color="#0072b2")
ax.fill_between(curve["time"], curve["ci_lower"], curve["ci_upper"], step="post",
                color="#0072b2", alpha=0.2, lw=0)
ax.set_xlabel("years since the switch to management")
ax.set_ylabel("share back on the IC track")
ax.set_title(f"Switch-back after a move into management (exit competing; {level} CI)")
plt.show()

# %%
bt = back.table.set_index(["by", "group", "measure"])
b, ex = bt.loc[("overall", "all", "cif")], bt.loc[("overall", "all", "exit_cif")]
months = back.meta["horizon_months"]
att = audit.part("post_switch_attrition")
a = att.table.loc[(att.table["by"] == "overall")
                  & (att.table["measure"] == "hazard_ratio")].iloc[0]
bh, ah = head.loc["switch_back_share"], head.loc["post_switch_exit_hazard_ratio"]
display(
    Markdown(
        f"Within {months} months of moving into management, **{bh['estimate']:.1%}** of "
        f"switchers were back on the IC track ({level} CI {bh['ci_lower']:.1%} to "
        f"{bh['ci_upper']:.1%}; {b['denominator']:.0f} switches followed; status "
        f"{bh['status']}: {bh['reason']}) and {ex['estimate']:.1%} had left the organisation. "
        f"Compared with ICs at the same grade, unit and tenure who did not switch, switchers "
        f"left at **{ah['estimate']:.2f} times** their rate in the "
        f"{att.meta['horizon_months']} months after the switch ({level} CI "
        f"{ah['ci_lower']:.2f} to {ah['ci_upper']:.2f}; {a['n_sets']:.0f} matched switches; "
        f"status {ah['status']}: {ah['reason']}).\n\n"
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
nom, pref = audit.part("nominal_managers"), audit.part("preference_mismatch")
pet = audit.part("peter_principle")
n0 = head.loc["nominal_manager_share"]
p0 = head.loc["preference_mismatch_share"]
s0 = head.loc["peter_principle_rating_change"]
cov = pref.table.loc[(pref.table["by"] == "overall")
                     & (pref.table["measure"] == "coverage")].iloc[0]
diff = pet.table.loc[(pet.table["by"] == "overall")
                     & (pet.table["measure"] == "difference")].iloc[0]
nn = nom.table.loc[(nom.table["by"] == "overall") & (nom.table["measure"] == "share")].iloc[0]
pp = pref.table.loc[(pref.table["by"] == "overall") & (pref.table["measure"] == "share")].iloc[0]
display(
    Markdown(
        f"- **Nominal managers:** {n0['estimate']:.0%} of managers ({nn['numerator']:.0f} of "
        f"{nn['denominator']:.0f}; {level} CI {n0['ci_lower']:.0%} to {n0['ci_upper']:.0%}; "
        f"{n0['status']}) have fewer than {nom.meta['min_reports']} direct reports. A "
        "management title without a team is often how an organisation pays or promotes "
        "someone the IC ladder cannot.\n"
        f"- **Preference mismatch:** {p0['estimate']:.0%} of managers who answered the career "
        f"survey ({pp['numerator']:.0f} of {pp['denominator']:.0f}; {level} CI "
        f"{p0['ci_lower']:.0%} to {p0['ci_upper']:.0%}; {p0['status']}) would rather be ICs; "
        f"{cov['estimate']:.0%} of managers answered, and non-response can go either way.\n"
        f"- **Peter signal:** after a switch, ratings change by {diff['estimate']:+.2f} points "
        f"relative to after an IC promotion at the same grade ({s0['estimate']:+.2f} standard "
        f"deviations; {level} CI {s0['ci_lower']:+.2f} to {s0['ci_upper']:+.2f}; "
        f"{s0['status']}: {s0['reason']}). A new role is rated on new criteria, so a dip is "
        "expected; a large one says good ICs were made into struggling managers."
    )
)

# %% [markdown]
# ## Switches and exits by grade

# %%
fig, ax = plt.subplots(figsize=(8, 4))
audit.plot("switch_flows", ax=ax)
plt.show()

# %%
fl = audit.part("switch_flows").table
fl = fl.loc[(fl["by"] == "overall") & (fl["flow"] == "IC->M")].dropna(subset=["estimate"])
busiest = fl.loc[fl["estimate"].idxmax()]
display(
    Markdown(
        "The bars are moves per 100 person-years on the track people leave, at the grade they "
        f"leave from. IC→M switches are most frequent from grade **{busiest['grade']}** "
        f"({busiest['estimate']:.1f} per 100 IC person-years, {level} CI "
        f"{busiest['ci_lower']:.1f} to {busiest['ci_upper']:.1f}). Where switches cluster just "
        "below the IC ceiling and ICs at the ceiling leave, the ladder works as a funnel into "
        "management."
    )
)

# %% [markdown]
# ## By unit
#
# The same figures per org unit: the number of flagged figures (the score) per unit.

# %%
sc = audit.part("scores").table
by_unit = sc.loc[sc["by"] == "org_unit"].set_index("group")
by_unit[["flagged", "inconclusive", "clear", "assessed", "status", "strongest"]].sort_values(
    "flagged", ascending=False)

# %%
fig, ax = plt.subplots(figsize=(8, 4))
audit.plot("scores", ax=ax)
plt.show()
worst = by_unit["flagged"].idxmax()
display(
    Markdown(
        f"**{worst}** has the most flagged figures: {by_unit.loc[worst, 'reason']}. Units "
        f"without a flag: {int((by_unit['flagged'] == 0).sum())} of {len(by_unit)}; units "
        f"clear on every figure assessed: {int((by_unit['status'] == 'clear').sum())}. A "
        "unit has fewer people, so more of its figures are inconclusive or not estimable: "
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
fig, ax = plt.subplots(figsize=(10, 4.5))
audit.plot("profile", ax=ax, by="year")
plt.show()
fig, ax = plt.subplots(figsize=(7, 3.5))
audit.plot("profile", ax=ax, figure="switch_premium", by="year")
plt.show()

# %%
prof = audit.part("profile").table
years = prof.loc[prof["by"] == "year"]
gap_y = years.loc[years["key"] == "ic_ceiling_designed_gap"].set_index("group")["estimate"]
prem_y = years.loc[years["key"] == "switch_premium"].set_index("group")["estimate"]
adoption = data.adoption.sort_values("adoption_date") if data.adoption is not None else None
display(
    Markdown(
        f"The widest designed IC ceiling gap was {gap_y.iloc[0]:.0f} grades at the end of "
        f"{gap_y.index[0]} and {gap_y.iloc[-1]:.0f} at the end of {gap_y.index[-1]}; "
        + (f"{len(adoption)} units adopted the dual ladder between "
           f"{adoption['adoption_date'].min().date()} and "
           f"{adoption['adoption_date'].max().date()}, " if adoption is not None else "")
        + "and the organisation's figure is the widest gap of any unit, so it falls to zero "
        f"only when the last unit adopts. The switch premium ranged from "
        f"{np.nanmin(prem_y):+.1%} to {np.nanmax(prem_y):+.1%} across the "
        f"{int(prem_y.notna().sum())} years with a value; a single year rests on few switches, "
        "so read the trend, not one year."
    )
)

# %% [markdown]
# ## What to do next

# %%
advice = {
    "ic_ceiling_designed_gap": "list the grades with no IC equivalent and the units still on "
    "the old ladder; adding IC levels is the direct fix, and the over-time chart will show "
    "whether it worked",
    "ic_promotion_rate_ratio": "compare promotion criteria and budgets of the two tracks at "
    "equal grade (the time-to-promotion notebook)",
    "switch_premium": "compare the pay bands of the two tracks at equal grade (the pay parity "
    "notebook) and the raise policy at a switch",
    "stalled_switch_hazard_ratio": "look at the grades where ICs wait longest",
    "switch_back_share": "look at the support new managers get; interview returners",
    "post_switch_exit_hazard_ratio": "interview recent switchers who left",
    "nominal_manager_share": "review management titles without teams",
    "preference_mismatch_share": "offer people who prefer the IC track a path to it without "
    "loss of pay or grade",
    "peter_principle_rating_change": "check how new managers are prepared and rated",
}
todo = [f"- **{figures.loc[key, 'label']}** (flagged): {text}."
        for key, text in advice.items() if key in figures.index
        and figures.loc[key, "status"] == "flagged"]
open_ = figures.loc[figures["status"] == "inconclusive", "label"].tolist()
display(
    Markdown(
        "\n".join(todo or ["- No figure is flagged."])
        + (f"\n- **Inconclusive** ({len(open_)}): " + "; ".join(open_) + ". More time or a "
           "larger population will narrow them; do not read them as clear." if open_ else "")
        + "\n\n`pathaudit audit` writes every table above to CSV "
        "(`tables/forced_management__*.csv`), "
        "the headline and notes to `summary.json`, for the quarterly report."
    )
)
