"""Write ``spells.csv``, the researcher-style table the R references are computed on.

The sample organisation's spells (``data/sample``), one row per spell, with times in whole
months since the spell began so that events tie (as in exports with monthly dates), and every
label coded as a small integer. ``entry`` is the delayed entry of a study that observes from
``STUDY_START`` on (months already spent in the spell then; 0 for spells that began later);
spells that ended before it are left out, so that every row serves both the fits without entry
(at risk on ``(0, time]``) and those with it (``(entry, time]``). Run once from the
repository root (``python tests/reference/r/make_spells.py``); the CSV is stored and the
tests never regenerate it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import pathaudit
from pathaudit.sample import sample_dir

CAUSE = {
    "censored": 0,
    "promotion": 1,
    "exit_voluntary": 2,
    "exit_involuntary": 2,
    "exit_other": 2,
    "switch_to_M": 3,
    "switch_to_IC": 3,
}
"""0 censored, 1 promotion, 2 exit (any type), 3 switch of track."""

STUDY_START = pd.Timestamp("2020-01-01")
"""Observation of the delayed-entry study starts here."""


def spells_table() -> pd.DataFrame:
    """The sample's spells as a plain table of codes and whole months."""
    data = pathaudit.load(sample_dir(), sample_dir() / "map.toml")
    s = data.spells
    s = s[s["stop"] > STUDY_START].reset_index(drop=True)
    before = (STUDY_START - s["start"]).dt.days.clip(lower=0).to_numpy() / 365.25
    entry = np.floor(before * 12).astype(int)
    time = np.ceil(s["duration"].to_numpy() * 12).astype(int)
    time = np.maximum(time, entry + 1)
    person = pd.factorize(s["employee_id"])[0] + 1
    return pd.DataFrame(
        {
            "person": person,
            "unit": pd.factorize(s["org_unit"], sort=True)[0] + 1,
            "ic": (s["track"] == "IC").astype(int).to_numpy(),
            "female": (s["gender"] == "Female").astype(int).to_numpy(),
            "grade": s["grade"].astype(int).to_numpy(),
            "tenure": np.round(s["tenure_at_start"].to_numpy(), 2),
            "entry": entry,
            "time": time,
            "cause": s["end_reason"].map(CAUSE).astype(int).to_numpy(),
        }
    )


if __name__ == "__main__":
    spells_table().to_csv(Path(__file__).with_name("spells.csv"), index=False)
