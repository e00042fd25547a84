"""One load's settings and its data-quality report, and the way rows are counted into it.

Every check of the loader records what it finds through a :class:`LoadContext`:
rows left out (``exclude``), rows repaired or noted (``record``) and fatal problems
(``fatal``, ``fatal_rows``). Fatal problems are collected, never raised one by one;
:meth:`LoadContext.raise_fatal` raises them together as one
:class:`~pathaudit.errors.InputError`.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from pathaudit.errors import InputError
from pathaudit.io._messages import (
    AS_OF_AFTER_EXTRACT,
    AS_OF_BEFORE_START,
    BAD_AS_OF,
    FATAL_HEADER,
    ids_text,
    rows_text,
)
from pathaudit.io.mapping import ColumnMap
from pathaudit.io.privacy import pseudonymise
from pathaudit.quality import Action, DataQualityReport


def data_cols(df: pd.DataFrame) -> list[str]:
    """Canonical data columns (not ``row`` nor internal ``_`` columns)."""
    return [c for c in df.columns if c != "row" and not str(c).startswith("_")]


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
"""The only text form of a date an as-of date may take (YYYY-MM-DD)."""


class LoadContext:
    """One load: the column map, the dates, the report being filled and the file labels.

    Parameters
    ----------
    cmap
        The checked column map.
    as_of
        Analysis date; ``None``: the map's extract date.

    Raises
    ------
    InputError
        ``as_of`` is not a date, is after the extract date, or (histories) is before
        ``history_start``.
    """

    def __init__(self, cmap: ColumnMap, as_of: object | None) -> None:
        self.cmap = cmap
        self.q = DataQualityReport()
        self.inputs: dict[str, str] = {}
        self.kind = cmap.kind
        self.extract = cmap.extract_date
        self.start = cmap.history_start
        if isinstance(as_of, str) and not _ISO_DATE.fullmatch(as_of.strip()):
            raise InputError(BAD_AS_OF.format(as_of=as_of))  # 01/06/2025: 1 June or 6 January?
        try:
            self.as_of = self.extract if as_of is None else pd.Timestamp(as_of).normalize()
        except (ValueError, TypeError, AttributeError) as err:  # NaT has no normalize()
            raise InputError(BAD_AS_OF.format(as_of=as_of)) from err
        if pd.isna(self.as_of):
            raise InputError(BAD_AS_OF.format(as_of=as_of))
        if self.as_of > self.extract:
            raise InputError(
                AS_OF_AFTER_EXTRACT.format(as_of=self.as_of.date(), extract=self.extract.date())
            )
        if self.kind == "history" and self.as_of < self.start:
            raise InputError(
                AS_OF_BEFORE_START.format(as_of=self.as_of.date(), start=self.start.date())
            )
        self.labels: dict[str, str] = {}
        """Table -> the name shown in messages ("people.csv", "export.xlsx, sheet 'People'")."""
        self.leavers: pd.DataFrame | None = None
        """Snapshot rows marked as left without a termination date (for the leaver share)."""
        self.salt: str | None = None
        """The pseudonymisation salt, when the map asks for pseudonyms: messages then name
        people by their pseudonym, as the loaded tables do."""

    def ids(self, values: Any) -> str:
        """The people ``values`` name, as text for a message (``"IDs 007, 012"``).

        At most :data:`~pathaudit.io._messages.MAX_IDS_SHOWN` distinct IDs are named and
        the rest counted; with ``[privacy] pseudonymise`` they are the pseudonyms.
        """
        s = pd.Series(np.asarray(values, dtype=object).ravel(), dtype=object).dropna()
        s = s.drop_duplicates()
        if self.salt is not None and len(s):
            s = pseudonymise(s.astype(str), self.salt)
        return ids_text(s)

    @property
    def grade_column(self) -> bool:
        """Whether grades come from a column of the export rather than a ladder file."""
        return self.cmap.grade_column is not None

    # ----------------------------------------------------------------- recording
    def record(
        self,
        df: pd.DataFrame,
        mask: Any,
        table: str,
        rule: str,
        action: Action,
        message: str,
        *,
        column: str = "",
        ids: bool = False,
    ) -> bool:
        """Count the rows of ``df`` under ``mask`` in the report; True when there were any.

        ``ids``: name the people of these rows (column ``employee_id``) at the end of
        the message, e.g. ``"...; IDs 007, 012 and 3 more"``.
        """
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n:
            if ids and "employee_id" in df:
                who = self.ids(df["employee_id"].to_numpy(dtype=object)[mask])
                if who:
                    message = f"{message}; {who}"
            self.q.add(
                table,
                rule,
                action,
                n,
                message,
                file=self.labels.get(table, ""),
                column=column,
                rows=df["row"].to_numpy()[mask],
            )
        return n > 0

    def exclude(
        self,
        df: pd.DataFrame,
        mask: Any,
        table: str,
        rule: str,
        message: str,
        *,
        column: str = "",
        ids: bool = False,
    ) -> pd.DataFrame:
        """Leave out the rows under ``mask``, counted as excluded under ``rule``.

        ``ids``: as for :meth:`record`.
        """
        mask = np.asarray(mask, dtype=bool)
        if self.record(df, mask, table, rule, "excluded", message, column=column, ids=ids):
            return df.loc[~mask]
        return df

    def fatal(
        self, table: str, rule: str, n: int, message: str, rows: Any = (), column: str = ""
    ) -> None:
        """Record one fatal problem (raised later with all the others)."""
        self.q.add(
            table,
            rule,
            "fatal",
            n,
            message,
            file=self.labels.get(table, ""),
            column=column,
            rows=rows,
        )

    def fatal_rows(
        self,
        table: str,
        rule: str,
        template: str,
        rows: Any,
        *,
        n: int | None = None,
        column: str = "",
        **fields: Any,
    ) -> None:
        """Record a fatal problem about ``rows``, its message filled from ``template``.

        The template may use ``{n}`` (``len(rows)`` unless given), ``{file}``, ``{rows}``
        (as text), ``{column}`` and any of ``fields``.
        """
        n = len(rows) if n is None else n
        message = template.format(
            n=n, file=self.labels[table], rows=rows_text(rows), column=column, **fields
        )
        self.fatal(table, rule, n, message, rows=rows, column=column)

    def fatal_values(
        self,
        table: str,
        label: str,
        column: str,
        values: pd.Series,
        mask: Any,
        rule: str,
        template: str,
        /,
        *,
        strip: bool = True,
        **fields: Any,
    ) -> None:
        """Record a fatal problem about the raw ``values`` of one export column under ``mask``.

        Rows are numbered from 1 in file order. The template may use ``{column}``,
        ``{file}``, ``{n}``, ``{example}`` (the first such value, stripped of spaces
        unless ``strip`` is false), ``{row}`` (its row), ``{rows}`` and ``fields`` (which
        may include ``table``).
        """
        rows = np.flatnonzero(mask) + 1
        example = values.iloc[rows[0] - 1]
        if strip:
            example = str(example).strip()
        self.q.add(
            table,
            rule,
            "fatal",
            len(rows),
            template.format(
                column=column,
                file=label,
                n=len(rows),
                example=example,
                row=rows[0],
                rows=rows_text(rows),
                **fields,
            ),
            file=label,
            column=column,
            rows=rows,
        )

    def fatal_duplicates(
        self, df: pd.DataFrame, table: str, key: str, rule: str, template: str
    ) -> None:
        """Fatal when a value of ``key`` stands in more than one row; ``{n}``: how many values."""
        dup = df[key].duplicated(keep=False)
        if dup.any():
            rows = df.loc[dup, "row"].to_numpy()
            self.fatal_rows(table, rule, template, rows, n=int(df.loc[dup, key].nunique()))

    def raise_fatal(self) -> None:
        """Raise every fatal problem found so far as one :class:`InputError`."""
        fatal = self.q.fatal
        if not fatal:
            return
        lines = [
            FATAL_HEADER.format(n=len(fatal), problems="problem" if len(fatal) == 1 else "problems")
        ]
        lines += [f"  {i}. [{f.table}/{f.rule}] {f.message}" for i, f in enumerate(fatal, 1)]
        err = InputError("\n".join(lines))
        err.report = self.q  # type: ignore[attr-defined]
        raise err

    # ----------------------------------------------------------------- rules every table shares
    def drop_missing(self, df: pd.DataFrame, table: str, columns: list[str]) -> pd.DataFrame:
        """Leave out rows missing any of ``columns`` (one rule per column, in order)."""
        for c in columns:
            df = self.exclude(
                df,
                df[c].isna(),
                table,
                "missing_value",
                f"rows without {c} cannot be used and are left out",
                column=c,
            )
        return df

    def drop_blank(self, df: pd.DataFrame, table: str) -> pd.DataFrame:
        """Leave out rows whose every data column is empty."""
        return self.exclude(
            df,
            df[data_cols(df)].isna().all(axis=1),
            table,
            "blank_rows",
            "empty rows are left out",
        )

    def drop_duplicates(
        self, df: pd.DataFrame, table: str, key: list[str] | None = None
    ) -> pd.DataFrame:
        """Exact duplicate rows (all canonical columns) are excluded, the first kept.

        ``key``: columns that every duplicate pair shares (e.g. person and date), checked
        first so that the full comparison runs only on the few candidate rows.
        """
        cols = data_cols(df)
        if key is None:
            dup = df.duplicated(subset=cols, keep="first").to_numpy()
        else:
            cand = df.duplicated(subset=key, keep=False).to_numpy()
            dup = np.zeros(len(df), bool)
            if cand.any():
                dup[cand] = df.loc[cand].duplicated(subset=cols, keep="first").to_numpy()
        return self.exclude(
            df,
            dup,
            table,
            "duplicate_rows",
            "rows identical to an earlier row are left out (the first is kept)",
        )
