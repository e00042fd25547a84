# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # The quarterly review: what changed since last quarter, and what to do next
#
# Once a quarter, a people-analytics team hands leaders one page: is the dual career ladder
# real, and did anything move? `pathaudit.build_report` writes that page as one
# self-contained HTML file (and a PDF through headless Chromium). This notebook walks an
# analyst through the same review on `data/sample/`, a simulated organisation shipped with
# pathaudit (no real person is in it), so that every sentence the leader reads can be traced
# to a number.
#
# Every sentence below is generated from the figures by `pathaudit.report.narrate`, the
# functions the report uses: the wording changes with the direction, the size and the
# status of each figure. Sections, thresholds, the trend window and the change rule are in
# `docs/report.md`.

# %%
import tempfile
from pathlib import Path

import pandas as pd
from IPython.display import Markdown, display

import pathaudit
from pathaudit.report import analysis_options, build_report, narrate
from pathaudit.sample import sample_dir

SAMPLE = sample_dir()  # data/sample of this repository
data = pathaudit.load(SAMPLE, SAMPLE / "map.toml")
data.summary()

# %% [markdown]
# ## The quarter
#
# Quarters are fiscal quarters (the map's `fiscal_year_start_month`). By default the report
# covers the last complete quarter ending on or before the as-of date, and every page-1
# figure is as of that quarter's last day. The analyses run once, as of that day, and the
# report reuses them (`results=`), as `pathaudit audit` does.

# %%
quarter = pathaudit.report.last_complete_quarter(data.as_of, data.fiscal_year_start_month)
end = pathaudit.report.quarter_end(quarter, data.fiscal_year_start_month)
at = data if end == data.as_of else data.with_as_of(end)
options = analysis_options(data)  # margins and thresholds from the map's [thresholds]
results = {
    "pay_parity": pathaudit.pay_parity(at, **options["pay_parity"]),
    "time_to_promotion": pathaudit.time_to_promotion(at, **options["time_to_promotion"]),
    "forced_management": pathaudit.forced_management(at, **options["forced_management"]),
    "attrition": pathaudit.attrition(at, **options["attrition"]),
}
rep = build_report(data, quarter=quarter, results=results)
print(f"Report quarter {rep.quarter}, figures as of {rep.as_of.date()}")

# %% [markdown]
# ## Page 1: the verdict per question
#
# One primary figure per question, its interval, its status against a stated threshold
# (flagged, inconclusive, clear, not estimable, not computed) and the sentence a leader reads.

# %%
rep.verdicts[["question_text", "figure", "interval", "status", "threshold"]]

# %%
display(Markdown("\n\n".join(f"**{v.question_text}** {v.sentence}"
                             for v in rep.verdicts.itertuples())))

# %% [markdown]
# ## What changed since last quarter
#
# The trend recomputes each primary figure as of each of the last 8 fiscal quarter ends
# (rates over the trailing 12 months, pay on the people employed at the quarter end). A
# change counts only when its own interval excludes no change; the interval treats the two
# quarters as independent, which is conservative because they share most people.

# %%
trend = rep.trends.loc[rep.trends["period"].str.contains("Q")]
trend.pivot_table(index="period", columns="key", values="estimate").round(3)

# %%
display(Markdown("\n".join(
    f"- **{v.label}**: {v.change_quarter} {v.change_year}" for v in rep.verdicts.itertuples()
)))

# %% [markdown]
# The same rule by hand, for the pay gap: the change from last quarter and its interval.

# %%
pay = trend.loc[trend["key"] == "adjusted_gap_base"].reset_index(drop=True)
change = pathaudit.report.change_between(pay.iloc[-2], pay.iloc[-1])
print(narrate.describe_change(change, unit="proportional gap"))
pd.Series(change)

# %% [markdown]
# ## What to do next
#
# From each figure's status: a flagged figure needs a look at the tables behind it before
# any decision; an inconclusive one needs more data, not a reading either way; a figure the
# data cannot estimate says why. Below, the primary figures first, then every other flagged
# figure of the analyses.

# %%
steps = [f"- {narrate.next_step(v._asdict() | {'unit': v.unit})}"
         for v in rep.verdicts.itertuples()]
flagged = [
    row for res in results.values() for _, row in res.headline().iterrows()
    if row["status"] == "flagged" and not row["primary"]
]
steps += [f"- {narrate.next_step(row)}" for row in flagged]
display(Markdown("\n".join(steps)))

# %% [markdown]
# ## The page itself
#
# `rep.write(path)` writes the HTML (`pdf=True` also prints it to PDF through headless
# Chromium where it is installed). From the command line: `pathaudit report data/sample
# --out report.html`.

# %%
out = Path(tempfile.mkdtemp()) / "report.html"
written = rep.write(out)
print(f"wrote {written[0].name}: {written[0].stat().st_size / 1e6:.1f} MB, one file, "
      "no external resource")
