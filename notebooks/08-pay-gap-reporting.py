# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # Pay-gap reporting: the EU Pay Transparency Directive and the UK gender pay gap
#
# Employers file gender pay-gap figures the law defines: the indicators of Article 9 of
# Directive (EU) 2023/970, and the six figures of the UK regulations (SI 2017/172). This
# notebook runs both on `data/sample/`, a simulated organisation, and reads them the way this
# package adds to the law:
#
# 1. The legal figures, overall and within each track.
# 2. Their statistical reading: could a gap of this size come from the spread of pay alone?
# 3. Which categories of workers reach the 5% line of Article 10, and does that depend on
#    how the categories are drawn?
# 4. Is the gender gap a gap within tracks and grades, or a gap in who holds them?
#
# Every number printed below comes from the run; definitions are in
# `docs/pay-gap-reporting.md`.

# %%
import matplotlib.pyplot as plt
import pandas as pd

import pathaudit
from pathaudit.sample import sample_dir

pd.set_option("display.width", 140)
pd.set_option("display.max_columns", 20)

SAMPLE = sample_dir()  # data/sample of this repository
data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
eu = pathaudit.eu_pay_transparency(data)
uk = pathaudit.uk_gender_pay_gap(data)

# %% [markdown]
# ## 1. The legal figures
#
# The sample export has no contracted hours and no bonuses paid (its variable pay is a target
# bonus): the notes say what each report assumes, or leaves out, because of that.

# %%
print(eu.summary())

# %%
gaps = eu.part("pay_gaps").table
gaps.loc[gaps["basis"] == "hourly",
         ["indicator", "component", "scope", "statistic", "n_men", "n_women", "estimate",
          "ci_lower", "ci_upper", "p_value", "mde"]].round(3)

# %% [markdown]
# ## 2. The statistical reading
#
# Everyone is observed, so the legal figure has no sampling error: it is the point value. The
# interval and the permutation p-value are about the pay-setting process: whether women and
# men are paid differently, or whether a gap this size arises from the spread of pay alone.
# `mde` is the smallest gap the data would detect at 80% power.

# %%
overall = gaps.query("indicator == 'a' and basis == 'hourly' and scope == 'overall'").iloc[0]
print(f"Mean gap in hourly pay {overall['estimate']:+.1%} (interval {overall['ci_lower']:+.1%} "
      f"to {overall['ci_upper']:+.1%}; permutation p = {overall['p_value']:.3f}; a gap of "
      f"{overall['mde']:.1%} or more would be detected at 80% power).")

# %% [markdown]
# ## 3. Categories of workers and the 5% line

# %%
fig, ax = plt.subplots(figsize=(9, 4.5))
eu.plot("categories", ax=ax)
plt.show()

# %%
sens = eu.part("sensitivity").table
sens[["grouping", "group", "n_men", "n_women", "estimate", "ci_lower", "ci_upper",
      "at_or_above"]].round(3)

# %%
a10 = eu.part("article10").table
a10[["category", "estimate", "at_or_above", "status", "share_women", "basic_gap",
     "variable_gap"]].round(3)

# %% [markdown]
# A category at or above 5% stays "open" until the employer justifies it (`justified=`) or
# remedies it within six months of submitting the report; a later extract, run with
# `previous=` (the earlier report's output folder) and `submitted=`, says which.
#
# ## 4. A gap within tracks and grades, or a gap in who holds them?

# %%
dec = eu.part("decomposition").table.query("basis == 'hourly'").set_index("part")["estimate"]
print(f"Mean gender gap in hourly pay {dec['total']:+.1%}: {dec['within']:+.1%} within track and "
      f"grade, {dec['composition']:+.1%} from how women and men are spread over them.")

# %% [markdown]
# ## The UK figures

# %%
print(uk.summary())

# %%
fig, ax = plt.subplots(figsize=(8, 4))
uk.plot("quartiles", ax=ax)
plt.show()
