"""The EU report's Article 10 tracker: categories at the gap, their status and remedy.

Per category the mean total-pay gap, whether it reaches the threshold, the employer's
justification, the earlier report's gap (read back from its output folder) and the
status (:func:`~pathaudit.paygap.article10_status`), with the Art. 10(2) content.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.errors import ArgumentError, InputError
from pathaudit.parts import PartSpec
from pathaudit.paygap._eu_categories import category_gaps
from pathaudit.paygap._eu_run import EURun
from pathaudit.paygap._formulas import article10_status
from pathaudit.paygap._gaps import GAP_COLUMNS, GAP_COUNTS
from pathaudit.result import Note, Result

NO_LEAVE_RECORDS = (
    "The Article 10(2) share of workers with pay improvements on return from maternity, "
    "paternity or other leave "
    "is not computed: the export has no leave records."
)
"""The Article 10(2) content this package cannot compute."""

CONTENT: tuple[str, ...] = (
    "share_women",
    "share_men",
    "mean_basic_men",
    "mean_basic_women",
    "basic_gap",
    "mean_variable_men",
    "mean_variable_women",
    "variable_gap",
)
"""The Art. 10(2) content per category: shares of each sex, mean basic and variable pay."""

STATUS: tuple[str, ...] = (
    "at_or_above",
    "previous_gap",
    "previous_at_or_above",
    "criterion",
    "status",
)
"""The tracker's columns: the trigger, the earlier gap, the justification and the status."""


def read_previous(previous: Any) -> pd.DataFrame:
    """The categories and mean gaps of an earlier report, from its versioned output folder."""
    from pathaudit.output import read_output

    folder = Path(previous)
    if not folder.is_dir():
        raise ArgumentError(
            f"previous must be the output folder of an earlier audit or filing; {folder} is "
            "not a folder. Pass the folder the earlier report was written to."
        )
    stored = read_output(folder)
    if (
        "eu_pay_transparency" not in stored
        or "article10" not in stored["eu_pay_transparency"].parts
    ):
        raise InputError(
            f"{folder} holds no eu_pay_transparency article10 table. Pass the folder of an "
            "earlier report that ran eu_pay_transparency with its article10 part."
        )
    t = stored["eu_pay_transparency"].parts["article10"].table
    return pd.DataFrame(
        {
            "category": t["category"].astype(str),
            "mean_gap": pd.to_numeric(t["estimate"], errors="coerce"),
        }
    )


def previous_note(previous: pd.DataFrame | None) -> list[Note]:
    """The caveat on categories whose earlier gap was not read back."""
    if previous is None or not previous["mean_gap"].isna().any():
        return []
    hidden = int(previous["mean_gap"].isna().sum())
    return [
        Note(
            "caveat",
            f"{hidden} categories have no gap in the earlier report read back (suppressed "
            "there, or undefined); their status ignores it. Read the earlier report's "
            "filing output (restricted/) to track every category.",
            "article10",
        )
    ]


def _content(run: EURun) -> pd.DataFrame:
    """Art. 10(2): per category the shares of women and men, their mean pay and its gaps."""
    content = []
    for cat, sub in run.compared.groupby("category", sort=True, observed=True):
        w = (sub["sex"] == "women").to_numpy()
        row: dict[str, Any] = {"category": cat, "share_women": w.mean(), "share_men": 1 - w.mean()}
        for comp in ("basic", "variable"):
            col = run.value(run.basis, comp)
            mv, wv = float(sub.loc[~w, col].mean()), float(sub.loc[w, col].mean())
            row |= {
                f"mean_{comp}_men": mv,
                f"mean_{comp}_women": wv,
                f"{comp}_gap": (mv - wv) / mv if mv else np.nan,
            }
        content.append(row)
    return pd.DataFrame(content)


def article10(run: EURun, spec: PartSpec[EURun]) -> Result:
    """The Article 10 tracker: per category its gap, trigger, justification and status."""
    value = run.value(run.basis, "total")
    gaps = category_gaps(run.compared, "category", value, run.stats, salt0=90000)
    status = article10_status(
        gaps.rename(columns={"estimate": "mean_gap"})[["category", "mean_gap"]],
        threshold=run.threshold,
        justified=run.justified,
        previous=run.previous,
        submitted=run.submitted,
        measured=run.data.as_of.date(),
    )
    table = gaps.merge(status.drop(columns="mean_gap"), on="category").merge(
        _content(run), on="category"
    )
    cols = ["category", *GAP_COLUMNS, "p_value", *STATUS, *CONTENT]
    return run.run.build(spec, table[cols], n_col=GAP_COUNTS)
