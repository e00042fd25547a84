"""The EU report's Art. 9(1)(a)-(f) indicators and the Kitagawa decomposition of its gap.

Each figure overall and within each track, on hourly and annual pay (``BASES``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathaudit.parts import PartSpec
from pathaudit.paygap._eu_run import BASES, EURun
from pathaudit.paygap._gaps import GAP_COUNTS, MEDIAN_RULE, gap_row, scoped, split
from pathaudit.paygap._report import decomposition_rows, quartile_bands, scope_quartiles
from pathaudit.result import Result
from pathaudit.stats import wilson_ci

COMPONENTS: tuple[tuple[str, str, tuple[str, str]], ...] = (
    ("all pay", "total", ("a", "c")),
    ("variable", "variable", ("b", "d")),
)
"""Art. 9(1) gaps: (component, pay column, letters of its mean and median indicators)."""


def pay_gaps(run: EURun, spec: PartSpec[EURun]) -> Result:
    """Art. 9(1)(a)-(d): mean and median gaps of all pay and of variable pay."""
    rows, salt = [], 0
    for basis in BASES:
        for scope, sub in scoped(run.compared):
            for component, column, letters in COMPONENTS:
                value = run.value(basis, column)
                use = sub if component == "all pay" else sub.loc[(sub["variable"] > 0).to_numpy()]
                men, women = split(use, value)
                for stat, letter in zip(("mean", "median"), letters, strict=True):
                    salt += 1
                    row = gap_row(men, women, stat, run.stats, salt)
                    labels = {"indicator": letter, "component": component, "basis": basis}
                    rows.append(labels | {"scope": scope} | row)
    table = pd.DataFrame(rows)
    return run.run.build(spec, table, n_col=GAP_COUNTS, quantiles=MEDIAN_RULE)


def variable_shares(run: EURun, spec: PartSpec[EURun]) -> Result:
    """Art. 9(1)(e): the share of each sex receiving variable pay (Wilson interval)."""
    rows = []
    for scope, sub in scoped(run.compared):
        for sex in ("women", "men"):
            s = sub.loc[(sub["sex"] == sex).to_numpy()]
            got = int((s["variable"] > 0).sum())
            lo, hi = wilson_ci(got, len(s), alpha=run.stats.alpha)
            estimate = got / len(s) if len(s) else np.nan
            rows.append(
                {"scope": scope, "sex": sex, "estimate": estimate}
                | {"ci_lower": float(lo), "ci_upper": float(hi), "n": len(s), "receiving": got}
            )
    return run.run.build(spec, pd.DataFrame(rows))


def quartile_part(run: EURun, spec: PartSpec[EURun]) -> Result:
    """Art. 9(1)(f): the share of women and men in each quartile pay band."""
    frames = [
        scope_quartiles(sub, run.value(basis, "total")).assign(basis=basis, scope=scope)
        for basis in BASES
        for scope, sub in scoped(run.compared)
        if not sub.empty
    ]
    return run.run.build(spec, quartile_bands(frames, ["basis", "scope"]))


def decomposition(run: EURun, spec: PartSpec[EURun]) -> Result:
    """Kitagawa decomposition of the mean gap over track x grade cells, on each basis."""
    rows = [
        row
        for basis in BASES
        for row in decomposition_rows(run.compared, run.value(basis, "total"), basis=basis)
    ]
    return run.run.build(spec, pd.DataFrame(rows), n_col=GAP_COUNTS)
