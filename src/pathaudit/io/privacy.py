"""Privacy at the boundary: refuse direct identifiers, re-pseudonymise IDs, formula-safe export.

The data is about people. An export that holds names, e-mail addresses, phone
numbers, national IDs, dates of birth or home addresses is refused when it is
loaded, with a message naming the columns and how to drop them. ``employee_id``
and ``manager_id`` can be replaced by a salted hash (one salt for every table,
so the same person has the same pseudonym everywhere). Every CSV/Excel file the
package writes goes through :func:`safe_for_spreadsheet`, so no cell can start a
spreadsheet formula.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from pathaudit.errors import PrivacyError

# --- error texts (tests compare these exactly) -------------------------------------------------

IDENTIFIERS_FOUND = (
    "{file} holds direct identifiers: {columns}. pathaudit does not load names, e-mail "
    "addresses, phone numbers, national IDs, dates of birth or home addresses. Drop these "
    "columns from the export before loading (for example in pandas: "
    "df.drop(columns={names})), or, if a column holds no personal data, allow it in the "
    "column map: [privacy] allow_columns = {names}."
)
"""Refusal of a file with identifier columns; format with file, columns, names."""

SALT_MISSING = (
    "[privacy] pseudonymise = true needs a secret salt in the environment variable "
    "{env}, and it is not set. Set it to a random text of at least {min_len} characters "
    '(for example the output of: python -c "import secrets; print(secrets.token_hex(16))") '
    "and keep it secret; the same salt gives the same pseudonyms in every run."
)
"""Missing salt; format with env, min_len."""

SALT_TOO_SHORT = (
    "The salt in the environment variable {env} has {n} characters; use at least {min_len} "
    "so that pseudonyms cannot be reversed by trying every ID."
)

MIN_SALT_LENGTH = 16

FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
"""Cell starts that a spreadsheet may read as a formula."""

# --- what looks like an identifier -------------------------------------------------------------

_NAME_WORDS = frozenset(
    {
        "firstname",
        "lastname",
        "surname",
        "surnames",
        "fullname",
        "givenname",
        "forename",
        "forenames",
        "middlename",
        "displayname",
        "familyname",
        "preferredname",
        "maidenname",
        "nickname",
    }
)
_NOT_A_PERSON = frozenset(
    {
        "job",
        "unit",
        "org",
        "organisation",
        "organization",
        "department",
        "dept",
        "location",
        "site",
        "team",
        "family",
        "level",
        "grade",
        "track",
        "position",
        "title",
        "company",
        "cost",
        "center",
        "centre",
        "currency",
        "band",
        "business",
        "division",
        "function",
        "role",
        "cycle",
        "plan",
        "country",
        "city",
        "office",
        "entity",
        "file",
        "sheet",
        "project",
        "product",
        "program",
        "programme",
        "group",
        "region",
        "event",
        "reason",
        "course",
        "school",
        "branch",
        "area",
        "store",
        "code",
        "ladder",
        "step",
        "field",
        "column",
    }
)
_PHONE_WORDS = frozenset(
    {"phone", "telephone", "tel", "mobile", "cellphone", "fax", "phonenumber", "mobilenumber"}
)
_ID_TOKENS = frozenset({"ssn", "nino", "sin", "nin", "bsn", "tfn", "passport", "personnummer"})
_ID_JOINED = (
    "nationalid",
    "nationalinsurance",
    "socialsecurity",
    "socialinsurance",
    "passport",
    "taxid",
    "taxnumber",
    "taxpayerid",
    "ninumber",
    "nationalnumber",
    "nationalidentification",
    "idcard",
)
_BIRTH_JOINED = ("dateofbirth", "birthdate", "birthday")
_ADDRESS_WORDS = frozenset({"address", "street", "homeaddress", "streetaddress"})

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(
    r"^(?:\+\d[\d\s().\-]{6,}\d"  # +44 20 7946 0958, +1-202-555-0143
    r"|00\d{1,3}[\s.\-]\d[\d\s().\-]{5,}\d"  # 0044 20 7946 0958
    r"|\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}"  # (202) 555-0143, 202-555-0143
    r"|0\d{2,4}[\s\-]\d{3,4}[\s\-]?\d{3,4})$"  # 020 7946 0958
)
_VALUE_SAMPLE = 2000
_VALUE_SHARE = 0.5


def _tokens(header: str) -> list[str]:
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header))
    return [t for t in re.split(r"[^0-9a-z]+", text.lower()) if t]


def identifier_reason(header: str) -> str | None:
    """Why a column header looks like a direct identifier, or None.

    Parameters
    ----------
    header
        Column name as exported.

    Returns
    -------
    str or None
        ``"a name"``, ``"an e-mail address"``, ``"a phone number"``, ``"a national ID"``,
        ``"a date of birth"`` or ``"a home address"``; None when the header looks harmless.

    Notes
    -----
    The header is split into lower-case words (``"firstName"`` -> ``first name``).
    ``name`` alone counts as a person's name unless another word says what is named
    (``"Job Name"``, ``"Org Unit Name"`` are harmless; ``"Employee Name"`` is not).
    """
    tokens = _tokens(header)
    joined = "".join(tokens)
    words = set(tokens)
    if words & _NAME_WORDS or any(w in joined for w in ("firstname", "lastname", "fullname")):
        return "a name"
    if ("name" in words or "names" in words) and not (words & _NOT_A_PERSON):
        return "a name"
    if "email" in joined or "mail" in words:
        return "an e-mail address"
    if words & _PHONE_WORDS or ("cell" in words and "phone" in joined):
        return "a phone number"
    if words & _ID_TOKENS or any(j in joined for j in _ID_JOINED):
        return "a national ID"
    if ("ni" in words and ("number" in words or "no" in words)) or (
        "national" in words and ({"id", "number", "no"} & words)
    ):
        return "a national ID"
    if "dob" in words or any(j in joined for j in _BIRTH_JOINED):
        return "a date of birth"
    if words & _ADDRESS_WORDS and not ({"ip", "mac"} & words):
        return "a home address"
    return None


def _value_reason(values: pd.Series) -> str | None:
    if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
        return None
    sample = values.head(_VALUE_SAMPLE * 5).dropna()
    sample = sample[sample.map(lambda v: isinstance(v, str))] if values.dtype == object else sample
    sample = pd.Series(pd.unique(sample.astype(str).str.strip()), dtype=str)
    sample = sample[sample != ""].head(_VALUE_SAMPLE)
    if sample.empty:
        return None
    if sample.str.match(_EMAIL).mean() >= _VALUE_SHARE:
        return "values that look like e-mail addresses"
    if sample.str.match(_PHONE).mean() >= _VALUE_SHARE:
        return "values that look like phone numbers"
    return None


def find_identifiers(frame: pd.DataFrame, *, allow: Iterable[str] = ()) -> dict[str, str]:
    """Columns of an export that look like direct identifiers.

    Parameters
    ----------
    frame
        The export as read (original column names).
    allow
        Column names to accept anyway (``[privacy] allow_columns``); compared
        case- and whitespace-insensitively.

    Returns
    -------
    dict
        Column name -> reason, e.g. ``{"Full Name": "looks like a name"}``; empty when
        nothing was found. A column is flagged by its header (see
        :func:`identifier_reason`) or when at least half of a sample of its values
        look like e-mail addresses or phone numbers.
    """
    allowed = {_norm(a) for a in allow}
    found: dict[str, str] = {}
    for col in frame.columns:
        if _norm(col) in allowed:
            continue
        reason = identifier_reason(str(col))
        if reason is not None:
            found[str(col)] = f"looks like {reason}"
            continue
        by_value = _value_reason(frame[col])
        if by_value is not None:
            found[str(col)] = f"has {by_value}"
    return found


def _norm(name: object) -> str:
    return " ".join(str(name).split()).casefold()


def check_identifiers(frame: pd.DataFrame, file: str, *, allow: Iterable[str] = ()) -> None:
    """Refuse an export holding direct identifiers.

    Parameters
    ----------
    frame
        The export as read.
    file
        File name for the message.
    allow
        Columns to accept anyway (``[privacy] allow_columns``).

    Raises
    ------
    PrivacyError
        Naming every flagged column, why, and how to drop or allow it
        (:data:`IDENTIFIERS_FOUND`).
    """
    found = find_identifiers(frame, allow=allow)
    if found:
        raise PrivacyError(identifiers_message(file, found))


def identifiers_message(file: str, found: dict[str, str]) -> str:
    """Format :data:`IDENTIFIERS_FOUND` for ``found`` (column -> reason)."""
    columns = ", ".join(f"'{c}' ({why})" for c, why in found.items())
    return IDENTIFIERS_FOUND.format(file=file, columns=columns, names=list(found))


def salt_from_env(env: str) -> str:
    """Read the pseudonymisation salt from an environment variable.

    Parameters
    ----------
    env
        Variable name (``[privacy] salt_env``, default ``PATHAUDIT_SALT``).

    Returns
    -------
    str
        The salt.

    Raises
    ------
    PrivacyError
        When the variable is unset, empty or shorter than 16 characters.
    """
    salt = os.environ.get(env, "")
    if not salt:
        raise PrivacyError(SALT_MISSING.format(env=env, min_len=MIN_SALT_LENGTH))
    if len(salt) < MIN_SALT_LENGTH:
        raise PrivacyError(SALT_TOO_SHORT.format(env=env, n=len(salt), min_len=MIN_SALT_LENGTH))
    return salt


def pseudonymise(values: pd.Series, salt: str) -> pd.Series:
    r"""Replace IDs by salted SHA-256 pseudonyms.

    Parameters
    ----------
    values
        IDs (strings); missing values stay missing.
    salt
        Secret salt; the same salt maps the same ID to the same pseudonym in every
        table and every run.

    Returns
    -------
    pandas.Series
        ``"p"`` followed by the first 16 hex digits of ``sha256(salt + "\x1f" + id)``,
        same index, ``str`` dtype.

    Notes
    -----
    Each distinct ID is hashed once (``pandas.factorize``); 64 bits of the hash make
    a collision among a million people improbable (about 3e-8).
    """
    codes, uniques = pd.factorize(values.astype(str).where(values.notna()))
    prefix = salt + "\x1f"
    hashed = np.array(
        ["p" + hashlib.sha256((prefix + u).encode()).hexdigest()[:16] for u in uniques],
        dtype=object,
    )
    out = np.full(len(values), np.nan, dtype=object)
    ok = codes >= 0
    out[ok] = hashed[codes[ok]]
    return pd.Series(out, index=values.index, dtype=str)


def safe_for_spreadsheet(df: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose text cells cannot start a spreadsheet formula.

    Parameters
    ----------
    df
        Table to be written as CSV or Excel.

    Returns
    -------
    pandas.DataFrame
        A copy where every text cell (and column name) starting with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return is prefixed with a single quote.
        Numeric columns are unchanged (a negative number is not a formula).
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            s = s.astype(object)
        if not (pd.api.types.is_string_dtype(s) or s.dtype == object):
            continue
        try:
            risky = s.str.startswith(FORMULA_PREFIXES, na=False).astype(bool)
        except AttributeError:  # an object column without text
            continue
        if risky.any():
            s = s.copy()
            s.loc[risky] = "'" + s.loc[risky].astype(str)
            out[col] = s
    out.columns = [
        "'" + c if isinstance(c, str) and c.startswith(FORMULA_PREFIXES) else c for c in out.columns
    ]
    return out
