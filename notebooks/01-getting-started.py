# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Getting started: load an export, read its data-quality report, look at spells and exposure
#
# pathaudit reads an HR export through a **column map**: a small TOML file that says which of the
# export's columns is which canonical column, how its values map to canonical values (for example
# "People Manager" → `M`), and two dates: `extract_date` (when the data was pulled, the default
# as-of date) and `history_start` (from when the history is complete).
#
# This notebook uses `data/sample/`, a simulated organisation shipped with the package. Its
# column names are deliberately not the canonical ones, so the map does real work.

# %%

import pathaudit
from pathaudit.sample import sample_dir

SAMPLE = sample_dir()  # data/sample of this repository
print((SAMPLE / "map.toml").read_text()[:1500])

# %% [markdown]
# ## Load through the map
#
# Loading checks every rule of `docs/data-quality.md`. Fatal problems stop the load with one
# message that lists them all; everything else is repaired or excluded **and counted** in the
# data-quality report that travels with every result.

# %%
data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
print(data.quality)
data.summary()

# %% [markdown]
# The canonical tables: `history` (one row per person per change, with the grade from the
# ladder and `pay`, the annual full-time-equivalent base pay) and `people` (one row per person
# and employment episode).

# %%
data.history.head()

# %%
data.ladder.sort_values(["track", "grade"])

# %% [markdown]
# ## Spells
#
# A **spell** is continuous time in one (track, level) within one employment episode. It ends at
# the first change of track or level, at exit, or is censored at the as-of date. When several
# things happen on one day the end reason follows the precedence exit > switch > promotion >
# demotion > lateral. A spell that began before `history_start` enters the analysis late: its
# `entry` says how many years of it we did not observe.

# %%
spells = data.spells
print(f"{len(spells):,} spells of {spells['employee_id'].nunique():,} people")
spells["end_reason"].value_counts()

# %%
spells.groupby("track", observed=True)["duration"].describe().round(2)

# %% [markdown]
# ## Exposure
#
# Every rate in pathaudit is events divided by person-time from one **exposure** table: one row
# per person per interval of constant track, level, grade, unit, job family and location, split at
# every change and at quarter boundaries. A person who switches track mid-quarter contributes
# person-time to both tracks.

# %%
exposure = data.exposure
by_track = exposure.groupby("track", observed=True)["person_years"].sum().round(1)
print(by_track)
print(f"Total observed person-years: {exposure['person_years'].sum():,.1f}")

# %% [markdown]
# The per-track person-time adds up to the total: every day of observed employment is counted
# once, in the track the person was in that day.

# %%
assert abs(by_track.sum() - exposure["person_years"].sum()) < 0.5
quarterly = (
    exposure.groupby(["quarter", "track"], observed=True)["person_years"].sum().unstack("track")
)
ax = quarterly.plot(figsize=(8, 3), title="Person-years per quarter by track")
ax.set_ylabel("person-years")

# %% [markdown]
# ## What next
#
# The other notebooks each answer one question of the audit on this same data: pay parity
# (02), time to promotion (03), attrition (04) and forced-into-management indicators (05).
# `pathaudit audit data/sample --map data/sample/map.toml --out audit-out` runs them all and writes
# the tables, `summary.json` and a run manifest.
