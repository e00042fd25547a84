"""The simulated organisation: HR data whose truth is known.

No real HR data can be shipped, so pathaudit ships an organisation generated
month by month from stated hazards: hires, promotions by grade and track, an IC
ceiling, an IC pay penalty at equal grade, a raise at switching to management,
stalled ICs switching more, switch-backs, track-dependent attrition, gender gaps,
ratings, nominal managers and units adopting the dual ladder at staggered dates.
:func:`simulate` returns the canonical tables, an :class:`~pathaudit.data.AuditData`
built from them, and ``truth``: for each estimator the value it targets under the
simulation (``docs/simulation.md`` documents every key).

Modules: :mod:`~pathaudit.simulate.config` (parameters, presets, the hazard
model), :mod:`~pathaudit.simulate._engine` (the monthly loop),
:mod:`~pathaudit.simulate._tables` (canonical tables),
:mod:`~pathaudit.simulate.truth` (the truth), :mod:`~pathaudit.simulate._export`
(CSV / Excel / Parquet / snapshot exports with their column maps).

Regenerate the shipped sample with ``python -m pathaudit.simulate --out data/sample
--seed 2024``.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import os
import pickle
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.data import AuditData
from pathaudit.simulate._engine import CENSORED, RawRun, run
from pathaudit.simulate._export import write_export, write_truth
from pathaudit.simulate._tables import build_tables, person_ids
from pathaudit.simulate.config import (
    EVENT_NAMES,
    PRESETS,
    SimConfig,
    broken,
    default,
    healthy,
    sized,
    small,
    small_delayed,
)
from pathaudit.simulate.truth import (
    attrition_truth,
    below_top_at_start,
    management_truth,
    pay_truth,
    promotion_truth,
    realised_truth,
    stall_thresholds,
    study_truth,
    superpopulation_pay_gap,
)

__all__ = [
    "SimConfig",
    "Simulation",
    "broken",
    "cached_organisations",
    "default",
    "healthy",
    "simulate",
    "small",
    "small_delayed",
    "write_preset",
    "write_sample",
    "sized",
]

SAMPLE_SEED = 2024
"""Seed of the organisation shipped in ``data/sample/``."""

ALL_FORMATS = ("csv", "xlsx", "parquet", "snapshot")


@dataclass
class Simulation:
    """One simulated organisation.

    Attributes
    ----------
    config
        The parameters.
    seed
        The seed.
    tables
        Canonical tables: ``history`` (with ``episode``, ``grade``, ``pay``, ``row``),
        ``people`` (with ``episode``, ``row``), ``ladder``, ``bands``, ``ratings``,
        ``adoption``, and ``snapshot`` (one row per person, as a snapshot export has).
    truth
        For each estimator, the value it targets (see ``docs/simulation.md``).
    extract_date, history_start
        The export's dates (extract date = last simulated day = as-of).
    true_spells
        Every spell as simulated (a diagnostic, not an export): ``employee_id, episode,
        track, grade, org_unit, female, start, stop, end_reason, start_month,
        end_month, switch_month, below_top, delta_log_pay`` (``switch_month``: month of
        the last IC->M switch of the episode before the spell, very negative if none;
        ``delta_log_pay``: change of noise-free log pay at a promotion or switch). Month
        indices count from ``config.start``.
    risk
        Observed person-months at risk by cell (``track, grade, stalled, post_switch,
        adopted, female``) with ``person_months``, ``expected_<event>`` (sum of monthly
        hazards) and ``events_<event>``.
    """

    config: SimConfig
    seed: int
    tables: dict[str, pd.DataFrame]
    truth: dict[str, Any]
    extract_date: pd.Timestamp
    history_start: pd.Timestamp
    true_spells: pd.DataFrame = field(repr=False)
    risk: pd.DataFrame = field(repr=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("data", None)
        return state

    @functools.cached_property
    def data(self) -> AuditData:
        """An :class:`~pathaudit.data.AuditData` built directly from the canonical tables."""
        t = self.tables
        return AuditData(
            history=t["history"].copy(),
            people=t["people"].copy(),
            ladder=t["ladder"].copy(),
            bands=t["bands"].copy(),
            ratings=t["ratings"].copy(),
            adoption=t["adoption"].copy() if len(t["adoption"]) else None,
            extract_date=self.extract_date,
            history_start=self.history_start,
            config={
                "export": {
                    "kind": "history",
                    "extract_date": str(self.extract_date.date()),
                    "history_start": str(self.history_start.date()),
                    "salary_basis": "fte",
                    "fiscal_year_start_month": 1,
                },
                "privacy": {"min_cell_size": 5},
                "simulation": {"seed": self.seed, "config_key": self.config.key()},
            },
        )

    def write(self, directory: str | Path, formats: Iterable[str] = ALL_FORMATS) -> list[Path]:
        """Write the exports, their column maps and ``truth.json`` into ``directory``.

        Parameters
        ----------
        directory
            Output folder (created if needed).
        formats
            Any of ``"csv"`` (one CSV per table + ``map.toml``), ``"xlsx"``
            (``export.xlsx`` + ``map_xlsx.toml``), ``"parquet"`` (one file per table +
            ``map_parquet.toml``) and ``"snapshot"`` (``snapshot.csv`` +
            ``map_snapshot.toml``).

        Returns
        -------
        list of Path
            Files written.
        """
        header = (
            "Column map of a simulated organisation written by pathaudit.simulate\n"
            f"(seed {self.seed}, config {self.config.key()}). See docs/column-map.md."
        )
        written = write_export(
            self.tables,
            directory,
            formats=formats,
            extract_date=str(self.extract_date.date()),
            history_start=str(self.history_start.date()),
            seed=self.seed,
            header=header,
        )
        path = Path(directory) / "truth.json"
        write_truth(self.truth, path)
        return [*written, path]


@functools.lru_cache(maxsize=64)
def _stall(config: SimConfig) -> tuple[float, ...]:
    return tuple(stall_thresholds(config))


def _true_spells(raw: RawRun) -> pd.DataFrame:
    sp, S = raw.spells, raw.slots
    ids = person_ids(len(raw.persons["u"]))
    names = np.array([*EVENT_NAMES, "censored"], dtype=object)
    units = np.array(raw.config.units, dtype=object)
    stop = np.where(sp["end_code"] == CENSORED, raw.as_of_day + 1, sp["end_day"])
    exits = sp["end_code"] >= 3
    stop = np.where(exits & (sp["end_code"] != CENSORED), sp["end_day"] + 1, stop)
    return pd.DataFrame({
        "employee_id": ids[S["pid"][sp["slot"]]],
        "episode": S["episode"][sp["slot"]],
        "track": np.where(sp["track"] == 0, "IC", "M"),
        "grade": sp["grade"],
        "org_unit": units[sp["unit"]],
        "female": sp["female"].astype(bool),
        "start": sp["start_day"].astype("datetime64[D]").astype("datetime64[ns]"),
        "stop": stop.astype("datetime64[D]").astype("datetime64[ns]"),
        "end_reason": names[sp["end_code"]],
        "start_month": sp["start_month"],
        "end_month": sp["end_month"],
        "switch_month": sp["switch_month"],
        "below_top": below_top_at_start(raw),
        "delta_log_pay": sp["delta_E"],
    }).sort_values(["employee_id", "start"], kind="stable").reset_index(drop=True)


def _risk_frame(raw: RawRun) -> pd.DataFrame:
    idx = np.indices((2, 10, 2, 2, 2, 2)).reshape(6, -1)
    out = pd.DataFrame({
        "track": np.where(idx[0] == 0, "IC", "M"),
        "grade": idx[1],
        "stalled": idx[2].astype(bool),
        "post_switch": idx[3].astype(bool),
        "adopted": idx[4].astype(bool),
        "female": idx[5].astype(bool),
        "person_months": raw.risk["n"],
    })
    for j, name in enumerate(EVENT_NAMES):
        out[f"expected_{name}"] = raw.risk["h"][:, j]
        out[f"events_{name}"] = raw.risk["events"][:, j]
    return out.loc[out["person_months"] > 0].reset_index(drop=True)


def simulate(
    config: SimConfig | None = None, seed: int = 0, *, truth: bool = True
) -> Simulation:
    """Simulate one organisation month by month and compute its truth.

    Parameters
    ----------
    config
        Parameters (default :func:`~pathaudit.simulate.config.default`, the sample
        organisation: about 2,000 people ever employed over 8 years in 8 units).
    seed
        Seed of the random generator; the same seed gives the same tables and bytes.
    truth
        Compute the truth of every estimator (default). False keeps only ``seed``,
        ``config``, ``config_key`` and ``dates`` in ``truth``, for studies that read the
        tables only; the tables are the same either way.

    Returns
    -------
    Simulation
        ``tables`` (canonical), ``data`` (an ``AuditData``), ``truth`` (dict) and
        ``write()``.

    Notes
    -----
    The loop runs over calendar months, vectorised over people; see
    :mod:`pathaudit.simulate._engine` for the order of events within a month and
    :func:`pathaudit.simulate.config.monthly_hazards` for the hazard model. The
    truth is computed from those same hazards (:mod:`pathaudit.simulate.truth`).
    """
    config = default() if config is None else config
    stall = np.asarray(_stall(config))
    raw = run(config, int(seed), stall)
    tables, current = build_tables(raw)
    start = pd.Timestamp(np.datetime64(int(raw.month_start[0]), "D"))
    history_start = pd.Timestamp(np.datetime64(int(raw.month_start[raw.hs_month]), "D"))
    extract = pd.Timestamp(np.datetime64(raw.as_of_day, "D"))
    known: dict[str, Any] = {
        "seed": int(seed),
        "config": {**config.to_dict(), "stall_months_used": [float(x) for x in stall]},
        "config_key": config.key(),
        "dates": {
            "start": str(start.date()),
            "history_start": str(history_start.date()),
            "extract_date": str(extract.date()),
            "as_of": str(extract.date()),
        },
    }
    if truth:
        pay = pay_truth(raw, current)
        if config.superpopulation_headcount:
            pay.update(json.loads(_superpopulation_json(config)))
        known.update({
            "realised": realised_truth(raw, tables, current),
            "pay": pay,
            "promotion": promotion_truth(raw),
            "attrition": attrition_truth(raw),
            "management": management_truth(raw, current),
            "study": study_truth(raw),
        })
    return Simulation(
        config=config,
        seed=int(seed),
        tables=tables,
        truth=known,
        extract_date=extract,
        history_start=history_start,
        true_spells=_true_spells(raw),
        risk=_risk_frame(raw),
    )


# -- the shared cached set -------------------------------------------------------------------


def _code_version() -> str:
    here = Path(__file__).parent
    h = hashlib.sha256()
    for path in (*sorted(here.glob("*.py")), here.parent / "io" / "schema.py"):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def cache_dir() -> Path:
    """Folder of the simulation cache: ``$PATHAUDIT_CACHE`` or ``<repository>/.cache/sim``."""
    env = os.environ.get("PATHAUDIT_CACHE")
    if env:
        return Path(env) / "sim"
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").exists():
            return folder / ".cache" / "sim"
    return Path.home() / ".cache" / "pathaudit" / "sim"


@functools.lru_cache(maxsize=8)
def _superpopulation_json(config: SimConfig) -> str:
    """The superpopulation gap of ``config`` as JSON, computed once per configuration.

    :func:`~pathaudit.simulate.truth.superpopulation_pay_gap` runs one very large
    organisation; its result is cached on disk beside the organisations (keyed like them by
    the configuration and the simulator's code), so no organisation recomputes it.
    """
    folder = cache_dir() / "superpopulation"
    path = folder / f"{config.key()}-{_code_version()}.json"
    if path.exists():
        try:
            text = path.read_text(encoding="utf-8")
            json.loads(text)
            return text
        except (OSError, ValueError):
            pass
    text = json.dumps(superpopulation_pay_gap(config, np.asarray(_stall(config))))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp",
                                         encoding="utf-8") as tmp:
            tmp.write(text)
        os.replace(tmp.name, path)
    except OSError:  # a read-only place: the value stays cached in this process only
        pass
    return text


def cached_organisations(
    n: int = 200, config: SimConfig | None = None, seed0: int = 1000, *, truth: bool = True
) -> list[Simulation]:
    """The one shared, seeded set of organisations every coverage study uses.

    Parameters
    ----------
    n
        Number of organisations (seeds ``seed0, ..., seed0 + n - 1``).
    config
        Parameters (default :func:`~pathaudit.simulate.config.small`: about 300 people
        ever employed over 6 years). The coverage studies also use
        :func:`~pathaudit.simulate.config.small_delayed`: the same organisations with
        their history observed from month 24 (delayed entry).
    seed0
        First seed.
    truth
        Passed to :func:`simulate`; organisations without their truth are cached apart
        (a study that reads the tables only need not pay for the truth).

    Returns
    -------
    list of Simulation
        In seed order. Each is cached on disk (:func:`cache_dir`, one file per seed,
        keyed by the configuration, the simulator's code and the seed) so repeated test
        runs do not simulate again.
    """
    config = small() if config is None else config
    folder = cache_dir() / f"{config.key()}-{_code_version()}{'' if truth else '-tables'}"
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for seed in range(seed0, seed0 + n):
        path = folder / f"seed-{seed}.pkl"
        sim = None
        if path.exists():
            try:
                with path.open("rb") as fh:
                    sim = pickle.load(fh)
            except (OSError, EOFError, pickle.UnpicklingError, AttributeError):
                sim = None
        if sim is None:
            sim = simulate(config, seed, truth=truth)
            with tempfile.NamedTemporaryFile(dir=folder, delete=False, suffix=".tmp") as tmp:
                pickle.dump(sim, tmp, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp.name, path)
        out.append(sim)
    return out


# -- writing the sample ------------------------------------------------------------------------

_README = """# data/sample: a simulated organisation

A generated organisation whose truth is known (no real person is in it): {people:,} people
ever employed ({episodes:,} employment episodes) in {units} units over {years} years, from
{start} to {end}. It is written in the formats an HR export comes in, with deliberately
non-canonical column names and labels, and a column map for each:

- `map.toml`: one CSV file per table (`history.csv`, `people.csv`, `ladder.csv`, `bands.csv`,
  `ratings.csv`, `adoption.csv`);
- `map_xlsx.toml`: the same tables as sheets of one workbook, `export.xlsx`;
- `map_snapshot.toml`: a snapshot-only export of the same organisation, `snapshot.csv` (one row
  per person: hire date, current or last job and pay, date in level since, left or not), with
  the ladder, bands, ratings and adoption files.

`truth.json` states, for each estimator, the value it targets under this simulation
(every key is documented in `docs/simulation.md`).

Regenerate it (byte-identical files) with:

```
python -m pathaudit.simulate --out data/sample --seed {seed}
```
"""


def write_sample(directory: str | Path = "data/sample", seed: int = SAMPLE_SEED) -> Simulation:
    """Write the shipped sample organisation (CSV, Excel, snapshot, maps, truth, README).

    Parameters
    ----------
    directory
        Output folder.
    seed
        Seed (the shipped sample uses :data:`SAMPLE_SEED`).

    Returns
    -------
    Simulation
        The organisation written.
    """
    sim = simulate(default(), seed)
    sim.write(directory, formats=("csv", "xlsx", "snapshot"))
    c = sim.config
    text = _README.format(
        people=sim.truth["realised"]["people_ever"],
        episodes=sim.truth["realised"]["episodes"],
        units=len(c.units),
        years=c.years,
        start=sim.truth["dates"]["start"],
        end=sim.truth["dates"]["extract_date"],
        seed=seed,
    )
    (Path(directory) / "README.md").write_text(text, encoding="utf-8")
    return sim


def write_preset(
    directory: str | Path, preset: str = "sample", seed: int = SAMPLE_SEED
) -> Simulation:
    """Write one preset organisation (``sample``, ``small``, ``healthy``, ``broken``).

    Parameters
    ----------
    directory
        Output folder.
    preset
        Name of the configuration; ``sample`` writes exactly what ``data/sample/`` holds.
    seed
        Seed.

    Returns
    -------
    Simulation
        The organisation written.
    """
    if preset == "sample":
        return write_sample(directory, seed)
    if preset not in PRESETS:
        raise ValueError(f"Unknown preset {preset!r}; use one of {sorted(PRESETS)}.")
    sim = simulate(PRESETS[preset](), seed)
    sim.write(directory)
    return sim


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m pathaudit.simulate --out DIR [--seed N] [--preset NAME]``."""
    parser = argparse.ArgumentParser(
        prog="python -m pathaudit.simulate",
        description="Write a simulated organisation with its known truth.",
    )
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    parser.add_argument("--preset", default="sample", choices=sorted(PRESETS))
    args = parser.parse_args(argv)
    write_preset(args.out, args.preset, args.seed)
    print(f"Wrote a simulated organisation to {args.out}/")
    return 0

