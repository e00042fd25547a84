"""Where each table of an export is, and reading it as text.

An export is a folder of files (CSV, Excel or Parquet; one per table, named in the
column map's ``[files]`` or found as ``<table>.csv`` ...), or one workbook with a
sheet per table, or (snapshots) the one snapshot file. :class:`Reader` finds every
table's source, reports missing or unreadable files as fatal problems, and reads each
source into a frame of raw values, recording its SHA-256 for the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from pathaudit.errors import MapError
from pathaudit.io._context import LoadContext
from pathaudit.io._messages import (
    CLOSEST_FILE,
    DATA_FOLDER_MISSING,
    DATA_NOT_FOLDER,
    FILES_THERE,
    FOLDER_LISTING,
    GRADE_AND_LADDER,
    MISSING_FILE,
    MISSING_SHEET,
    NO_FILES_THERE,
    UNREADABLE_FILE,
    UNSUPPORTED_FORMAT,
    closest_name,
    names_text,
    norm_name,
    rows_text,
)
from pathaudit.io._parse import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    file_sha256,
    read_csv,
    read_parquet,
    repeated_headers,
)
from pathaudit.io.mapping import ColumnMap


@dataclass
class Source:
    """Where one table is read from."""

    table: str
    label: str  # name shown in messages: "people.csv" or "export.xlsx, sheet 'People'"
    path: Path
    sheet: str | None = None


def table_names(cmap: ColumnMap) -> tuple[list[str], list[str]]:
    """The required and the optional tables of an export described by ``cmap``."""
    grade_col = cmap.grade_column is not None
    if cmap.kind == "history":
        required = ["history", "people"]
    else:
        required = ["snapshot"]
    if not grade_col:
        required.append("ladder")
    optional = [t for t in ("ladder", "bands", "ratings", "adoption") if t not in required]
    if cmap.kind == "history" and "pay_history" in cmap.files:
        optional.append("pay_history")  # pay changes in a file of their own (merged)
    if grade_col:
        optional.remove("ladder")
    return required, optional


_EXPORT_SUFFIXES = (*CSV_SUFFIXES, *EXCEL_SUFFIXES, *PARQUET_SUFFIXES)
_TABLES = ("history", "people", "snapshot", "ladder", "bands", "ratings", "adoption")


def _missing_file(table: str, detail: str, base: Path, wanted: str, files: dict[str, str]) -> str:
    """The missing-file message: what is in the folder and the closest unclaimed file."""
    claimed = {Path(v).name.casefold() for t, v in files.items() if t != table}
    claimed |= {f"{t}{sfx}" for t in _TABLES if t != table and t not in files
                for sfx in (".csv", ".parquet", ".xlsx")}
    there = sorted(p.name for p in base.iterdir()
                   if p.is_file() and p.suffix.lower() in _EXPORT_SUFFIXES) if base.is_dir() else []
    free = [n for n in there if n.casefold() not in claimed]
    closest = closest_name(wanted, free, hint=table)
    listing = FILES_THERE.format(files=names_text(there)) if there else NO_FILES_THERE
    if closest is not None:
        listing += CLOSEST_FILE.format(name=closest)
    return MISSING_FILE.format(table=table, detail=detail, listing=listing,
                               suggestion=closest or "<file name>")


def _folder_missing(path: Path) -> str:
    """The message for a data path that does not exist: its parent's content, the closest."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return DATA_FOLDER_MISSING.format(path=path, listing="", closest="")
    names = sorted(p.name for p in parent.iterdir() if not p.name.startswith("."))
    closest = closest_name(path.name, names)
    listing = FOLDER_LISTING.format(parent=parent, names=names_text(names)) if names else ""
    hint = CLOSEST_FILE.format(name=parent / closest) if closest else ""
    return DATA_FOLDER_MISSING.format(path=path, listing=listing, closest=hint)


EXCEL_ENGINES: tuple[str, ...] = ("calamine", "openpyxl")
"""Readers of xlsx workbooks, in the order tried: calamine (python-calamine, about ten times
faster) reads the same cells as openpyxl; openpyxl reads what calamine cannot open."""


class Reader:
    """Finds and reads the tables of one export; holds its open workbooks until ``close``."""

    def __init__(self, ld: LoadContext, data: str | Path | None) -> None:
        self.ld = ld
        self.cmap = ld.cmap
        self.data_path = None if data is None else Path(data)
        self._books: dict[Path, pd.ExcelFile] = {}

    def close(self) -> None:
        """Close the workbooks opened so far."""
        for book in self._books.values():
            book.close()

    def _book(self, path: Path, engines: tuple[str, ...] | None = None) -> pd.ExcelFile:
        """The open workbook: the first of ``EXCEL_ENGINES`` that opens it."""
        if path not in self._books:
            error: Exception | None = None
            for engine in engines or EXCEL_ENGINES:
                try:
                    self._books[path] = pd.ExcelFile(path, engine=engine)
                    break
                except Exception as err:  # noqa: BLE001 - the next reader, else the last error
                    error = err
            else:
                assert error is not None
                raise error
        return self._books[path]

    def _sheet(self, path: Path, sheet: str | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """A sheet (default: the first) as read, and its first row (the headers as typed).

        Read with the workbook's engine; a sheet the fast reader (calamine) cannot read is
        read again with the last of ``EXCEL_ENGINES`` (openpyxl), whose error is reported.
        """
        book = self._book(path)
        try:
            name = sheet if sheet is not None else book.sheet_names[0]
            frame = pd.read_excel(book, sheet_name=name, dtype=object)
            top = pd.read_excel(book, sheet_name=name, header=None, nrows=1, dtype=object)
        except Exception:
            if book.engine == EXCEL_ENGINES[-1]:
                raise
            book.close()
            del self._books[path]
            book = self._book(path, engines=EXCEL_ENGINES[-1:])
            name = sheet if sheet is not None else book.sheet_names[0]
            frame = pd.read_excel(book, sheet_name=name, dtype=object)
            top = pd.read_excel(book, sheet_name=name, header=None, nrows=1, dtype=object)
        return frame, top

    def _base_and_workbook(self) -> tuple[Path, Path | None, dict[str, str]]:
        files = self.cmap.files
        workbook = self.cmap.workbook
        if self.data_path is None:
            base = self.cmap.base_dir or Path.cwd()
            book = base / workbook if workbook else None
            return base, book, files
        if not self.data_path.exists():
            raise MapError(_folder_missing(self.data_path))
        if self.data_path.is_file():
            base = self.data_path.parent
            if self.data_path.suffix.lower() in EXCEL_SUFFIXES:
                return base, self.data_path, files
            if self.cmap.kind == "snapshot" and "snapshot" not in files:
                return base, None, {**files, "snapshot": self.data_path.name}
            raise MapError(DATA_NOT_FOLDER.format(path=self.data_path.name))
        base = self.data_path
        return base, (base / workbook if workbook else None), files

    def _sheets(self, book: Path | None, base: Path) -> list[str] | None:
        """Sheet names of the workbook; ``None`` (reported) when it is missing or unreadable."""
        if book is None:
            return None
        q = self.ld.q
        if not book.is_file():
            q.add(
                "export",
                "missing_file",
                "fatal",
                0,
                f"Workbook '{book.name}' not found in '{base.name or base}'. "
                'Name it in the column map: [files] workbook = "export.xlsx".',
                file=book.name,
            )
            return None
        try:
            return [str(s) for s in self._book(book).sheet_names]
        except Exception as err:  # noqa: BLE001 - any reader error is reported
            q.add(
                "export",
                "unreadable_file",
                "fatal",
                0,
                UNREADABLE_FILE.format(file=book.name, error=str(err).rstrip("."), kind="Excel"),
                file=book.name,
            )
            return None

    def sources(self) -> dict[str, Source]:
        """Every table found, by name; missing required tables are reported as fatal."""
        base, book, files = self._base_and_workbook()
        if self.cmap.grade_column is not None and "ladder" in files:
            raise MapError(GRADE_AND_LADDER)
        required, optional = table_names(self.cmap)
        q = self.ld.q
        found: dict[str, Source] = {}
        sheets = self._sheets(book, base)
        if sheets is None:
            book = None
        explicit_sheets = self.cmap.config.get("sheets", {})
        for table in required + optional:
            if table in files:
                path = base / files[table]
                if not path.is_file():
                    q.add(
                        table,
                        "missing_file",
                        "fatal",
                        0,
                        _missing_file(
                            table,
                            f"file '{files[table]}' not found in '{base.name or base}'",
                            base,
                            files[table],
                            files,
                        ),
                        file=files[table],
                    )
                    continue
                found[table] = Source(table, Path(files[table]).as_posix(), path)
                continue
            if book is not None and sheets is not None:
                want = self.cmap.sheet(table)
                match = [s for s in sheets if s == want] or [
                    s for s in sheets if norm_name(s) == norm_name(want)
                ]
                if match:
                    found[table] = Source(table, f"{book.name}, sheet '{match[0]}'", book, match[0])
                    continue
                if table in explicit_sheets:
                    q.add(
                        table,
                        "missing_sheet",
                        "fatal",
                        0,
                        MISSING_SHEET.format(sheet=want, file=book.name, found=sheets, table=table),
                        file=book.name,
                    )
                    continue
            for suffix in (".csv", ".parquet", ".xlsx"):
                path = base / f"{table}{suffix}"
                if path.is_file():
                    found[table] = Source(table, path.name, path)
                    break
            else:
                if table in required:
                    where = f"sheet '{self.cmap.sheet(table)}' not in {book.name}" if book else ""
                    detail = where or (
                        f"not named in [files] and no {table}.csv, {table}.parquet or "
                        f"{table}.xlsx in '{base.name or base}'"
                    )
                    q.add(
                        table,
                        "missing_file",
                        "fatal",
                        0,
                        _missing_file(table, detail, base, f"{table}.csv", files)
                        if not book
                        else MISSING_FILE.format(
                            table=table, detail=detail, listing="", suggestion=f"{table}.csv"
                        ),
                    )
        return found

    def read(self, src: Source) -> pd.DataFrame | None:
        """The raw table (all values as read, text headers); ``None`` (reported) if unreadable."""
        q = self.ld.q
        suffix = src.path.suffix.lower()
        rel = src.path.name if src.sheet is not None else src.label
        if rel not in self.ld.inputs:
            self.ld.inputs[rel] = file_sha256(src.path)
        headers: list[str] = []
        try:
            if src.sheet is not None or suffix in EXCEL_SUFFIXES:
                frame, top = self._sheet(src.path, src.sheet)
                first = top.iloc[0].tolist() if len(top) else []
                headers = ["" if pd.isna(h) else str(h) for h in first]
            elif suffix in CSV_SUFFIXES:
                res = read_csv(src.path)
                frame, headers = res.frame, res.headers
                self._note_encoding(src, res.notes, res.recoded, len(frame))
            elif suffix in PARQUET_SUFFIXES:
                res = read_parquet(src.path)
                frame, headers = res.frame, res.headers
            else:
                q.add(
                    src.table,
                    "unsupported_format",
                    "fatal",
                    0,
                    UNSUPPORTED_FORMAT.format(file=src.label, suffix=suffix),
                    file=src.label,
                )
                return None
        except Exception as err:  # noqa: BLE001 - any reader error is reported as fatal
            kind = (
                "CSV"
                if suffix in CSV_SUFFIXES
                else "Parquet"
                if suffix in PARQUET_SUFFIXES
                else "Excel"
            )
            q.add(
                src.table,
                "unreadable_file",
                "fatal",
                0,
                UNREADABLE_FILE.format(file=src.label, error=str(err).rstrip("."), kind=kind),
                file=src.label,
            )
            return None
        frame = frame.reset_index(drop=True)
        frame.columns = [str(c) for c in frame.columns]
        frame.attrs["duplicate_headers"] = repeated_headers(headers)
        return frame

    def _note_encoding(
        self, src: Source, notes: list[str], recoded: dict[str, Any], n_rows: int
    ) -> None:
        """The encoding fallback noted per column it touched, with the rows."""
        q = self.ld.q
        for note in notes:
            if not recoded:
                q.add(src.table, "encoding", "note", max(n_rows, 1), note, file=src.label)
            for column, rows in recoded.items():
                where = (
                    f"{len(rows)} cells with characters outside ASCII (rows {rows_text(rows + 1)})"
                    if len(rows)
                    else "its header only"
                )
                q.add(
                    src.table,
                    "encoding",
                    "note",
                    max(len(rows), 1),
                    f"{note}: column '{column}' has {where}; check that these read as meant",
                    file=src.label,
                    column=column,
                    rows=rows + 1,
                )
