# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Pay-band parity: is an individual contributor paid like a manager at the same grade?
#
# A dual career ladder promises that an engineer who stays an individual contributor (IC) is
# paid like a manager (M) of equal grade. Equal grade means work of equal value, as the ladder
# defines it, so every comparison here is made **within a grade**.
#
# This notebook walks through `pathaudit.pay_parity` on `data/sample/`, a simulated
# organisation. It answers, in order:
#
# 1. What does pay look like by grade and track? (the raw picture)
# 2. For otherwise comparable people, how much less (or more) is an IC paid? (the adjusted gap)
# 3. How sure are we, and could we have missed a gap? (intervals, minimum detectable gap)
# 4. How much of the raw difference is composition, and how much is not? (decomposition)
# 5. Is there a ceiling on the IC ladder?
# 6. Is there a gender pay gap as the pay-transparency laws count it? (their own analyses,
#    briefly here; notebook 08 in full)
# 7. What would closing the gap cost?
#
# Every number printed below comes from the run; definitions are in `docs/parity.md`.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import pathaudit
from pathaudit.sample import sample_dir

pd.set_option("display.width", 140)
pd.set_option("display.max_columns", 20)
pd.set_option("display.max_colwidth", 70)


SAMPLE = sample_dir()  # data/sample of this repository
data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
res = pathaudit.pay_parity(data)

# %% [markdown]
# ## The headline
#
# One row per headline figure, the same columns for every analysis. The starred (primary)
# figure answers the question of this notebook: the adjusted gap in base pay. Each figure that
# a threshold can judge carries its status (flagged, inconclusive, clear) and the reason;
# costs only describe.

# %%
head = res.headline()
head[["key", "primary", "estimate", "ci_lower", "ci_upper", "n", "unit", "status", "reason"]]

# %%
primary = head.loc[head["primary"]].iloc[0]
level = f"{1 - res.adjusted.meta['alpha']:.0%}"
print(f"{primary['label']}: {primary['estimate']:+.1%} ({level} CI {primary['ci_lower']:+.1%} "
      f"to {primary['ci_upper']:+.1%}); {primary['threshold']}: {primary['status']} "
      f"({primary['reason']}).")

# %% [markdown]
# ## Who is compared
#
# Everyone employed on the as-of date (the extract date, not today), in the job recorded for
# them on that day, with a positive full-time-equivalent (FTE) base pay. Only **current pay** is
# needed, so a snapshot export works too (see the end of this notebook).

# %%
meta = res.adjusted.meta
print(f"as of {meta['as_of']}: {meta['n_in']:,} people compared; excluded: "
      f"{meta['excluded'] or 'nobody'}")
print(f"currency: {meta.get('currency', 'n/a')}; minimum cell size k = {meta['k']}")
print(f"controls in the adjusted model: {', '.join(meta['controls'])}")

# %% [markdown]
# ## 1. Pay by grade and track
#
# The chart shows the spread, not only the centre: the dot is the median, the thick bar the
# middle half of people (25th–75th percentile), the thin line the 10th–90th percentiles. Cells
# with fewer than k people are not drawn (they would describe individuals).

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
res.plot("distribution", ax=ax, component="base")
plt.show()

# %%
base = res.by_grade.table.query("component == 'base'")
base[["grade", "n_ic", "n_m", "median_ic", "median_m", "estimate", "ci_lower", "ci_upper",
      "compa_ratio_ic", "compa_ratio_m"]].round(3)

# %%
print(f"The interval of each ratio is a percentile bootstrap with "
      f"{res.by_grade.meta['bootstrap']:,} resamples within each track.")

# %% [markdown]
# `estimate` is the IC median divided by the M median at that grade. Below 1, the typical IC
# earns less than the typical manager of the same grade. A dash (NaN) means a track has fewer
# than k people there. Compa-ratio is pay over the midpoint of the person's own pay band.
#
# **What this does not say**: medians compare whole groups. ICs and managers at one grade can
# differ in tenure, job family and location, and these move pay too. That is what the adjusted
# gap is for.

# %%
shown = base.loc[~base["suppressed"]]
low = shown.loc[shown["ci_upper"] < 1, "grade"].tolist()
print(f"Grades where the IC median is below the M median with the whole interval below 1: "
      f"{low or 'none'} (of {len(shown)} grades shown).")

# %% [markdown]
# ## 2. The adjusted gap
#
# A regression of log FTE base pay on track, with grade and the controls listed above. The IC
# coefficient `b` is reported as `exp(b) − 1`: the percentage difference in pay associated with
# being on the IC track, for people of the same grade, tenure, job family, location and
# demographics. Standard errors are clustered by org unit; with fewer than 30 units they use the
# CRV3 jackknife with t(G − 1) quantiles, which stays honest with few clusters.

# %%
o = res.overall_gap()
adj_meta = res.adjusted.meta
print(f"Adjusted IC vs M gap in base pay: {o['estimate']:+.1%} "
      f"({level} CI {o['ci_lower']:+.1%} to {o['ci_upper']:+.1%}; p = {o['p_value']:.3g}; "
      f"{o['vcov']} with {int(o['clusters'])} units; n = {int(o['n']):,}).")
print(f"Reading: {o['conclusion']}.")
print(f"Minimum detectable gap at {adj_meta['power']:.0%} power: {o['mde']:.1%}; equivalence "
      f"test against +/-{adj_meta['margin']:.0%}: p = {o['p_equivalence']:.3g}.")
print(f"Headline status against the margin: {primary['status']} ({primary['reason']}).")

# %% [markdown]
# The headline judges the gap by its whole interval against the equivalence margin: clear
# when the interval lies inside the band, flagged when it lies outside, inconclusive when it
# reaches across an edge. The equivalence test (`p_equivalence`) asks a related, less strict
# question (see `docs/parity.md`).
#
# Per grade, from one model with a track × grade interaction. Many grades are tested at once,
# so the p-values are also adjusted for multiplicity, and only the adjusted ones flag a grade.

# %%
print(f"Multiplicity adjustment across grades: {adj_meta['p_adjust']}.")
fig, ax = plt.subplots(figsize=(9, 4.5))
res.plot("adjusted", ax=ax, component="base")
plt.show()

# %%
per_grade = res.adjusted.table.query("component == 'base' and scope == 'grade'")
per_grade[["grade", "n_ic", "n_m", "estimate", "ci_lower", "ci_upper", "p_value", "p_adjusted",
           "mde", "conclusion"]].round(3)

# %% [markdown]
# **What the adjusted gap means**: among people who share grade and the listed attributes,
# ICs are paid this much more or less than managers. **What it does not mean**: it does not say
# why. It also holds grade fixed; if the IC track itself keeps people at lower grades, part of
# the difference is hidden inside "grade" (see the decomposition and the ceiling below). And a
# grade marked "inconclusive" is not evidence of parity: its minimum detectable gap says how
# large a gap could be hiding there.
#
# ### Does the result depend on the grade equivalence?
#
# The ladder says which IC level equals which M level. If that equivalence were off by one grade,
# the gap would change as follows.

# %%
res.sensitivity.table[["shift", "comparison", "estimate", "ci_lower", "ci_upper",
                       "grades_compared"]].round(3)

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
res.plot("sensitivity", ax=ax)
plt.show()

# %% [markdown]
# ## 3. How much of the raw gap is composition?
#
# The Oaxaca–Blinder decomposition splits the raw difference in mean log pay (ICs minus
# managers) into a part explained by differences in grade, tenure and the other controls, and an
# unexplained part. The parts add up exactly.

# %%
dec = res.decomposition.table
dec[["part", "estimate", "ci_lower", "ci_upper", "share"]].round(3)

# %%
fig, ax = plt.subplots(figsize=(8, 4))
res.plot("decomposition", ax=ax)
plt.show()

# %%
d = dec.set_index("part")
print(f"Raw gap: {d.loc['raw gap', 'estimate']:+.3f} log points; explained by grade: "
      f"{d.loc['explained: grade', 'estimate']:+.3f} "
      f"({d.loc['explained: grade', 'share']:.0%} of it); unexplained: "
      f"{d.loc['unexplained', 'estimate']:+.3f}.")
for note in res.notes:
    if note.kind == "caveat" and note.part == "decomposition":
        print("Caveat:", note.text)

# %% [markdown]
# ## 4. The top of each ladder

# %%
res.ceilings.table[["track", "top_grade_designed_overall", "top_grade_realised", "n", "estimate"]]

# %%
res.ceilings.tables["band_mids"].round(3)

# %%
for note in res.notes:
    if note.kind == "finding":
        print(f"- ({note.part}) {note.text}")

# %% [markdown]
# Pay at the top of a ladder is shown only where at least k people are there: the pay of the
# one person at the top of a ladder would identify them. `band_mids` compares the pay bands
# themselves (IC band midpoint over M band midpoint): below 1, the bands already build in a
# difference.
#
# ## 5. Variable pay, equity and total compensation
#
# The same comparison for the other pay components the export has. Variable pay and equity are
# often zero, so their adjusted gap comes from a Poisson model (a proportional difference in
# mean pay) rather than from log pay.

# %%
overall = res.adjusted.table.query("scope == 'overall'")
overall[["component", "estimate", "ci_lower", "ci_upper", "model", "conclusion"]].round(3)

# %% [markdown]
# ## 6. Gender pay gaps, as the pay-transparency laws count them
#
# Gender pay gaps per category of workers (EU Directive 2023/970) and the UK's six figures are
# analyses of their own, track-aware: `pathaudit.eu_pay_transparency` and
# `pathaudit.uk_gender_pay_gap` (docs/pay-gap-reporting.md). The mean gap in hourly pay per
# category of workers (a grade), with the 5% line of Article 10; a category is shown only with
# at least k men and k women:

# %%
eu = pathaudit.eu_pay_transparency(data)
cats = eu.part("categories").table
hourly = cats.loc[(cats["component"] == "total") & (cats["basis"] == "hourly")]
hourly[["category", "n_men", "n_women", "estimate", "ci_lower", "ci_upper", "p_value",
        "at_or_above"]].round(3)

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
eu.plot("categories", ax=ax)
plt.show()

# %%
dec = eu.part("decomposition").table.query("basis == 'hourly'").set_index("part")["estimate"]
print(f"Mean gender gap in hourly pay {dec['total']:+.1%}: {dec['within']:+.1%} within track and "
      f"grade, {dec['composition']:+.1%} from how women and men are spread over them.")

# %% [markdown]
# The Directive's trigger is the gap itself, not a significance test; the interval and the
# permutation p-value tell a reader whether a gap at the line could be noise in a small category.
#
# ## 7. What would closing the adjusted gap cost?

# %%
rem = res.remediation.table
rem[["plan", "track_raised", "n", "estimate", "cost_share", "mean_raise_pct", "gap_after"]]

# %%
for _, r in rem.iterrows():
    print(f"{r['plan']}: {int(r['n'])} people on the {r['track_raised']} track, total "
          f"{r['estimate']:,.0f} {meta.get('currency', '')} a year "
          f"({r['cost_share']:.1%} of that track's base payroll); adjusted gap afterwards "
          f"{r['gap_after']:+.1%}.")

# %% [markdown]
# `min_cost` is the cheapest set of raises after which the re-estimated adjusted gap is zero,
# with nobody raised above what the model predicts for them on the other track. `to_predicted`
# raises everyone below their predicted pay to it; `gap_after` shows where that leaves the
# adjusted gap. A person-level
# list exists only on explicit request (`person_level=True`) and never appears in a report.
#
# ## 8. Snapshot exports
#
# Many HR systems export only the current state. Pay parity needs nothing else: loading the
# same organisation from its snapshot export gives the same adjusted gap. `parts=` computes
# only the parts asked for (here the adjusted gap), and skips the rest.

# %%
snap = pathaudit.load(SAMPLE, SAMPLE / "map_snapshot.toml")
o_snap = pathaudit.pay_parity(snap, parts=["adjusted"]).overall_gap()
print(f"snapshot export: {o_snap['estimate']:+.1%} ({level} CI {o_snap['ci_lower']:+.1%} "
      f"to {o_snap['ci_upper']:+.1%}), n = {int(o_snap['n']):,}")

# %% [markdown]
# ## What to do next
#
# - Where a grade shows a gap after adjustment, look at how pay is set at that grade: starting
#   offers, the band the IC levels are mapped to, and raises at review.
# - Where the IC ladder stops below the M ladder, or the bands differ, the gap is partly
#   designed: review the ladder and the bands, not individual pay.
# - Where a result is inconclusive, the minimum detectable gap says what the data cannot rule
#   out; collect another quarter before concluding parity.
# - Read this with time to promotion (notebook 03): a grade-for-grade comparison cannot see a
#   gap that works by keeping ICs at lower grades.
# - Before acting on the remediation budget, check the flagged cells with the people who set
#   pay; the model explains pay only with the attributes it was given.
