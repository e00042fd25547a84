"""Privacy at the boundary: identifier refusal, salted pseudonyms, formula-safe export."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathaudit.errors import PrivacyError
from pathaudit.io.privacy import (
    FORMULA_PREFIXES,
    IDENTIFIERS_FOUND,
    SALT_MISSING,
    check_identifiers,
    find_identifiers,
    identifier_reason,
    pseudonymise,
    safe_for_spreadsheet,
    salt_from_env,
)

SALT = "a-long-enough-secret-salt"


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Name", "a name"),
        ("Full Name", "a name"),
        ("firstName", "a name"),
        ("Last_Name", "a name"),
        ("Surname", "a name"),
        ("Employee Name", "a name"),
        ("Manager Name", "a name"),
        ("E-mail", "an e-mail address"),
        ("Work Email Address", "an e-mail address"),
        ("Mobile Phone", "a phone number"),
        ("Telephone", "a phone number"),
        ("SSN", "a national ID"),
        ("National ID", "a national ID"),
        ("NI Number", "a national ID"),
        ("National Insurance No", "a national ID"),
        ("Passport Number", "a national ID"),
        ("Date of Birth", "a date of birth"),
        ("DOB", "a date of birth"),
        ("Home Address", "a home address"),
    ],
)
def test_identifier_headers(header, reason) -> None:
    assert identifier_reason(header) == reason


@pytest.mark.parametrize(
    "header",
    [
        "Worker ID",
        "Manager ID",
        "Job Name",
        "Org Unit Name",
        "Department Name",
        "Location Name",
        "Hire Date",
        "Annual Base",
        "Career Track",
        "Job Level",
        "Business Unit",
        "Gender",
        "Age Band",
        "Termination Type",
    ],
)
def test_harmless_headers(header) -> None:
    assert identifier_reason(header) is None


def test_values_that_look_like_emails_or_phones_are_flagged() -> None:
    frame = pd.DataFrame(
        {
            "Contact": ["ada@example.org", "alan@example.org", "grace@example.com"],
            "Ext": ["+44 20 7946 0958", "(202) 555-0143", "020 7946 0958"],
            "Worker ID": ["0012345678", "0012345679", "0012345680"],
            "Start": ["2020-01-31", "2021-02-03", "2019-12-01"],
            "Pay": ["85 000", "90 000", "1 234 567"],
        }
    )
    assert find_identifiers(frame) == {
        "Contact": "has values that look like e-mail addresses",
        "Ext": "has values that look like phone numbers",
    }


def test_refusal_names_columns_and_how_to_drop_or_allow_them() -> None:
    frame = pd.DataFrame({"Worker ID": ["1"], "Full Name": ["Ada"], "Personal Email": ["a@b.org"]})
    with pytest.raises(PrivacyError) as err:
        check_identifiers(frame, "people.csv")
    assert str(err.value) == (
        "people.csv holds direct identifiers: 'Full Name' (looks like a name), 'Personal Email' "
        "(looks like an e-mail address). pathaudit does not load names, e-mail addresses, phone "
        "numbers, national IDs, dates of birth or home addresses. Drop these columns from the "
        "export before loading (for example in pandas: df.drop(columns=['Full Name', "
        "'Personal Email'])), or, if a column holds no personal data, allow it in the column "
        "map: [privacy] allow_columns = ['Full Name', 'Personal Email']."
    )
    assert str(err.value) == IDENTIFIERS_FOUND.format(
        file="people.csv",
        columns="'Full Name' (looks like a name), 'Personal Email' (looks like an e-mail address)",
        names=["Full Name", "Personal Email"],
    )
    # allowed columns pass (matched ignoring case and spaces)
    check_identifiers(frame, "people.csv", allow=["full name", "Personal  Email"])


def test_pseudonyms_are_salted_sha256_and_consistent() -> None:
    ids = pd.Series(["007", "010", None, "007"], dtype=str)
    out = pseudonymise(ids, SALT)
    expected = "p" + hashlib.sha256((SALT + "\x1f" + "007").encode()).hexdigest()[:16]
    assert out.iloc[0] == expected
    assert out.iloc[3] == expected
    assert pd.isna(out.iloc[2])
    assert out.iloc[1] != expected
    other_salt = pseudonymise(ids, SALT + "x")
    assert other_salt.iloc[0] != expected
    # the same salt gives the same pseudonym in another table
    managers = pseudonymise(pd.Series(["010"], dtype=str), SALT)
    assert managers.iloc[0] == out.iloc[1]


def test_salt_comes_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv("PATHAUDIT_TEST_SALT", raising=False)
    with pytest.raises(PrivacyError) as err:
        salt_from_env("PATHAUDIT_TEST_SALT")
    assert str(err.value) == SALT_MISSING.format(env="PATHAUDIT_TEST_SALT", min_len=16)
    monkeypatch.setenv("PATHAUDIT_TEST_SALT", "short")
    with pytest.raises(PrivacyError, match="has 5 characters; use at least 16"):
        salt_from_env("PATHAUDIT_TEST_SALT")
    monkeypatch.setenv("PATHAUDIT_TEST_SALT", SALT)
    assert salt_from_env("PATHAUDIT_TEST_SALT") == SALT


def test_safe_for_spreadsheet_prefixes_formula_starts() -> None:
    frame = pd.DataFrame(
        {
            "text": ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx", "plain", None],
            "number": [-1.0, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, 8.0],
            "=col": ["a"] * 8,
        }
    )
    safe = safe_for_spreadsheet(frame)
    assert safe["text"].tolist()[:7] == [
        "'=SUM(A1)",
        "'+1",
        "'-2",
        "'@cmd",
        "'\tx",
        "'\rx",
        "plain",
    ]
    assert pd.isna(safe["text"].iloc[7])
    assert safe["number"].tolist() == frame["number"].tolist()  # numbers are not formulas
    assert list(safe.columns) == ["text", "number", "'=col"]
    assert frame["text"].iloc[0] == "=SUM(A1)"  # the input is not changed


@given(st.lists(st.text(max_size=6), min_size=1, max_size=20))
def test_no_exported_text_cell_starts_a_formula(values) -> None:
    safe = safe_for_spreadsheet(pd.DataFrame({"v": pd.Series(values, dtype=object)}))
    for cell in safe["v"]:
        assert not str(cell).startswith(FORMULA_PREFIXES)
