"""The rule for tests that need a system program: skip with a reason, or fail under CI."""

import pytest
from system import REQUIRE_ENV, require_program


def test_present_program_is_found():
    assert require_program("no-such-program-x", "python3", "python", purpose="p", debian="d")


def test_missing_program_skips_with_the_reason(monkeypatch):
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install pkg-x"):
        require_program("no-such-program-x", purpose="a check", debian="pkg-x")


def test_missing_program_fails_where_ci_requires_it(monkeypatch):
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match=REQUIRE_ENV):
        require_program("no-such-program-x", purpose="a check", debian="pkg-x")
