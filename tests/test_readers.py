"""Every reader gives the same tables and the same messages on bad input.

xlsx workbooks are read with calamine (fast) and, where it cannot, openpyxl; CSV with
pyarrow and, where it is too strict, pandas' C parser. Each case runs on each reader alone.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from builders import export_history as history
from builders import export_people as people
from builders import write_export

from pathaudit.errors import InputError
from pathaudit.io import _parse, _sources, load


@pytest.fixture(params=["calamine", "openpyxl"])
def engine(request, monkeypatch) -> str:
    monkeypatch.setattr(_sources, "EXCEL_ENGINES", (request.param,))
    return request.param


def _load(folder: Path, **kwargs):
    path = write_export(folder, **kwargs)
    return load(folder, path)


def test_default_order_is_calamine_then_openpyxl() -> None:
    assert _sources.EXCEL_ENGINES == ("calamine", "openpyxl")


def test_xlsx_gives_the_csv_tables(tmp_path, engine) -> None:
    from_csv = _load(tmp_path / "csv")
    from_xlsx = _load(tmp_path / "xlsx", ext="xlsx")
    for name in ("history", "people", "ladder"):
        pd.testing.assert_frame_equal(getattr(from_csv, name), getattr(from_xlsx, name))


def test_date_cells_mixed_with_serials_and_text(tmp_path, engine) -> None:
    h = history().astype(object)
    dates = pd.to_datetime(h["Effective Date"])
    h["Effective Date"] = pd.Series([d.to_pydatetime() for d in dates], dtype=object)  # dates
    h.loc[0, "Effective Date"] = 43525  # 2019-03-01 as an Excel serial number
    h.loc[3, "Effective Date"] = "2020-01-15"  # text
    folder = tmp_path / "mixed"
    folder.mkdir()
    path = write_export(folder, ext="xlsx")
    h.to_excel(folder / "history.xlsx", index=False)
    data = load(folder, path)
    iso = _load(tmp_path / "iso")
    pd.testing.assert_series_equal(data.history["effective_date"], iso.history["effective_date"])
    serial = [i for i in data.quality.issues if i.rule == "excel_serial_date"]
    assert [(i.n_rows, i.rows) for i in serial] == [(1, (1,))]


@pytest.mark.parametrize("content", [b"not a workbook at all", b"PK\x03\x04truncated"])
def test_corrupt_workbook_is_reported_not_raised(tmp_path, engine, content) -> None:
    path = write_export(tmp_path, ext="xlsx")
    (tmp_path / "history.xlsx").write_bytes(content)
    with pytest.raises(InputError) as err:
        load(tmp_path, path)
    (fatal,) = [i for i in err.value.report.fatal if i.rule == "unreadable_file"]
    assert fatal.message.startswith("history.xlsx could not be read: ")
    assert fatal.message.endswith("Check that it is a valid Excel file.")


def test_row_numbers_in_messages(tmp_path, engine) -> None:
    p = people()
    p.loc[1, "Hire Date"] = "sometime in 2022"
    folder = tmp_path / "bad"
    path = write_export(folder, ext="xlsx")
    p.astype(object).to_excel(folder / "people.xlsx", index=False)
    with pytest.raises(InputError) as err:
        load(folder, path)
    message = err.value.report.fatal[0].message
    assert message.startswith(
        "Column 'Hire Date' of people.xlsx has 1 values that are not dates (e.g. 'sometime in "
        "2022' in row 2); rows 2."
    )


def test_fast_reader_falls_back_to_openpyxl(tmp_path, monkeypatch) -> None:
    """A workbook calamine cannot open is read by openpyxl."""
    real = pd.ExcelFile

    def picky(path, engine=None, **kw):
        if engine == "calamine":
            raise ValueError("calamine cannot read this one")
        return real(path, engine=engine, **kw)

    monkeypatch.setattr(_sources.pd, "ExcelFile", picky)
    data = _load(tmp_path / "xlsx", ext="xlsx")
    assert len(data.history) == 9


@pytest.fixture(params=["pyarrow", "c"])
def csv_engine(request, monkeypatch) -> str:
    if request.param == "c":
        real = pd.read_csv

        def no_pyarrow(*args, engine=None, **kw):
            if engine == "pyarrow":
                raise ValueError("pyarrow is not used in this run")
            return real(*args, engine=engine, **kw)

        monkeypatch.setattr(_parse.pd, "read_csv", no_pyarrow)
    return request.param


def test_bom_crlf_and_latin1_csv_on_each_parser(tmp_path, csv_engine) -> None:
    h = history()
    h.loc[2, "Org Unit"] = "Zürich"
    folder = tmp_path / "enc"
    path = write_export(folder, history_df=h)
    text = h.to_csv(index=False, sep=";", lineterminator="\r\n")
    (folder / "history.csv").write_bytes(text.encode("cp1252"))
    latin = load(folder, path)
    (folder / "history.csv").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    bom = load(folder, path)
    pd.testing.assert_frame_equal(latin.history, bom.history)
    assert bom.history["org_unit"].tolist().count("Zürich") == 1
    assert list(bom.history.columns) == list(_load(tmp_path / "plain").history.columns)
