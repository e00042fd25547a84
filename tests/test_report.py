"""The quarterly report: sections, page-1 figures equal to the headlines, self-contained HTML,
suppression marked, charts embedded, narration that follows the numbers, trends, Chromium."""

from __future__ import annotations

import base64
import dataclasses
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from system import require_program

import pathaudit
from pathaudit.errors import ArgumentError, InputError
from pathaudit.report import (
    Formatter,
    analysis_options,
    build_report,
    change_between,
    last_complete_quarter,
    narrate,
)
from pathaudit.report._pdf import CHROMIUM_FLAGS
from pathaudit.report._trends import report_quarter, trend_quarters

SECTIONS = ("header", "verdict", "trends", "management", "details", "appendix",
            "data-quality", "definitions", "methods", "manifest", "footnotes")

ARTIFACTS_ENV = "PATHAUDIT_REPORT_ARTIFACTS"
"""Folder where the Chromium test also copies its screenshot and PDF (when set)."""


@pytest.fixture(scope="module")
def report(sample_data):
    return build_report(sample_data)


@pytest.fixture(scope="module")
def html(report):
    return report.html


# --------------------------------------------------------------------------- structure


def test_every_section_present(html):
    for section in SECTIONS:
        assert f'id="{section}"' in html, section
    assert "Confidential" in html
    assert "2025Q4" in html and "2025-10-01 to 2025-12-31" in html


def test_page_one_equals_the_library_headline(report, sample_data):
    """Each verdict is the primary headline row of the library's own analysis."""
    runs = {
        "adjusted_gap_base": pathaudit.pay_parity(sample_data, parts=["adjusted"]),
        "promotion_probability_difference": pathaudit.time_to_promotion(
            sample_data, parts=["difference"]),
        "flagged_indicators": pathaudit.forced_management(sample_data, parts=["profile"]),
        "voluntary_exit_rate_ratio": pathaudit.attrition(sample_data, parts=["rate_ratio"]),
    }
    verdicts = report.verdicts.set_index("key")
    assert list(report.verdicts["question"]) == ["pay", "promotion", "management", "attrition"]
    fmt = Formatter("en", "EUR")
    for key, res in runs.items():
        head = res.headline().set_index("key").loc[key]
        v = verdicts.loc[key]
        for col in ("estimate", "ci_lower", "ci_upper"):
            assert (math.isnan(head[col]) and math.isnan(v[col])) or v[col] == pytest.approx(
                head[col], rel=1e-12), (key, col)
        assert v["status"] == head["status"]
        # and the page shows it formatted, in that verdict's card
        card = report.html.split(f'id="verdict-{head["question"]}"')[1].split("</article>")[0]
        assert fmt.figure(head["estimate"], head["unit"]) in card
        assert head["status"] in card


def test_no_external_resource(html):
    assert "http:" not in html and "https:" not in html and "//" not in html.replace(
        "<!DOCTYPE html>", "")
    assert "<script" not in html.lower()
    assert "@import" not in html and "@font-face" not in html
    for src in re.findall(r'src="([^"]*)"', html):
        assert src.startswith("data:"), src
    for url in re.findall(r"url\(([^)]*)\)", html):
        assert url.strip("'\"").startswith("data:"), url
    assert "<link" not in html.lower()


def test_charts_embedded_with_alt_text(html):
    images = re.findall(r'<img src="(data:image/svg\+xml;base64,[^"]+)" alt="([^"]*)"', html)
    # one trend chart per recomputed figure (pay, promotion, attrition, management by year),
    # the profile by unit, and one chart per analysis besides management
    assert len(images) >= 8
    assert len(images) == html.count("<img")
    for uri, alt in images:
        assert len(alt) > 40
        svg = base64.b64decode(uri.split(",", 1)[1]).decode()
        assert svg.lstrip().startswith("<?xml") or "<svg" in svg[:400]
        assert "http://www.w3.org" in svg  # namespaces only; nothing fetched:
        assert not re.search(r'(href|src)="(?!#|data:)', svg)


def test_tables_are_marked_up_for_screen_readers(html):
    tables = html.count("<table")
    assert tables >= 6
    assert html.count("<caption>") == tables
    assert 'scope="col"' in html and 'scope="row"' in html
    assert "break-inside: avoid" in html and "@page" in html and "size: A4" in html


def test_every_suppressed_cell_is_marked(html):
    cells = re.findall(r"<td[^>]*>([^<]*)(<sup[^>]*>[^<]*</sup>)?</td>", html)
    dashes = [(text, sup) for text, sup in cells if text.strip() == "–"]
    assert all(sup for _, sup in dashes), "a dash without its footnote mark"
    for mark, note in (("*</sup>", "* – suppressed"), ("†</sup>", "† no value")):
        if mark in html:
            assert note in html


def test_suppression_with_a_large_k(sample_data):
    """With k = 400 most cells are hidden: shown as marked dashes, never as zeros."""
    config = dict(sample_data.config)
    config["privacy"] = {**config.get("privacy", {}), "min_cell_size": 400}
    data = dataclasses.replace(sample_data, config=config)
    res = {"forced_management": pathaudit.forced_management(data, parts=["profile", "scores"])}
    rep = build_report(data, trends=False, results=res)
    assert "fewer than 400 people" in rep.html
    units = rep.html.split('id="units"')[1].split("</table>")[0]
    # every unit's figures rest on fewer than 400 people: a marked dash in each cell
    for row in re.findall(r"<tr>(.*?)</tr>", units, flags=re.S)[1:-2]:
        cells = re.findall(r"<td([^>]*)>(.*?)</td>", row, flags=re.S)
        for attrs, text in cells[1:]:
            assert text.startswith("–") and 'data-suppressed="privacy"' in attrs, text
    assert "0</td>" not in units.split("Flagged figures")[0]


# --------------------------------------------------------------------------- narration


def _row(**over):
    base = {"key": "voluntary_exit_rate_ratio", "label": "IC / M voluntary exit rate ratio",
            "question": "attrition", "estimate": 1.6, "ci_lower": 1.3, "ci_upper": 1.9,
            "n": 900.0, "unit": "ratio", "threshold": "flagged outside 0.8 to 1.25",
            "status": "flagged", "reason": "the whole interval lies outside 0.8 to 1.25"}
    return base | over


def test_narration_follows_the_numbers():
    more = narrate.describe(_row())
    less = narrate.describe(_row(estimate=0.6, ci_lower=0.5, ci_upper=0.7))
    same = narrate.describe(_row(estimate=1.0, ci_lower=0.9, ci_upper=1.1, status="clear",
                                 reason="the whole interval lies within 0.8 to 1.25"))
    wide = narrate.describe(_row(estimate=1.1, ci_lower=0.7, ci_upper=1.6,
                                 status="inconclusive",
                                 reason="the interval reaches beyond 0.8 to 1.25"))
    small = narrate.describe(_row(estimate=1.1, ci_lower=1.02, ci_upper=1.2, status="clear",
                                  reason="the whole interval lies within 0.8 to 1.25"))
    assert len({more, less, same, wide, small}) == 5
    assert "a difference is detectable, but it is smaller than the margin" in small
    assert "60.0% more often" in more and "40.0% less often" in less
    assert "same rate" in same and "equivalence margin" in same
    assert "cannot tell" in wide
    for text in (more, less, same, wide):
        assert "not evidence that the track causes it" in text
    # a comparison of other groups (a gender pay gap) gets its own caveat, not the track's
    gender = narrate.describe(_row(question="pay_gap", key="eu_mean_gap_hourly",
                                   unit="proportional gap", estimate=0.02, ci_lower=-0.01,
                                   ci_upper=0.05, status="inconclusive"))
    assert "track" not in gender and "not evidence of its cause" in gender
    # a gap and a difference in probability, both directions
    gap = _row(key="adjusted_gap_base", unit="proportional gap", estimate=-0.08,
               ci_lower=-0.11, ci_upper=-0.05, threshold="flagged outside -0.05 to 0.05")
    assert "paid 8.0% less" in narrate.describe(gap)
    assert "paid 8.0% more" in narrate.describe(gap | {"estimate": 0.08, "ci_lower": 0.05,
                                                      "ci_upper": 0.11})
    diff = _row(key="promotion_probability_difference", unit="difference in probability",
                estimate=0.04, ci_lower=0.01, ci_upper=0.07, status="inconclusive",
                threshold="flagged outside -0.05 to 0.05",
                reason="the interval reaches beyond -0.05 to 0.05")
    assert "4.0 percentage points higher" in narrate.describe(diff)
    assert "excludes no difference" in narrate.describe(diff)


def test_narration_of_missing_figures():
    text = narrate.describe(_row(estimate=np.nan, ci_lower=np.nan, ci_upper=np.nan,
                                 status="not estimable", reason="only one track (IC) in the data"))
    assert text == "Not estimable: only one track (IC) in the data."
    assert narrate.next_step(_row()).startswith("IC / M voluntary exit rate ratio: look at")
    with pytest.raises(ArgumentError, match="headline column"):
        narrate.describe({"key": "x"})


def test_change_rule():
    a = {"estimate": 1.0, "ci_lower": 0.8, "ci_upper": 1.25, "unit": "ratio"}
    assert not change_between(a, a)["clear"]
    far = {"estimate": 2.0, "ci_lower": 1.6, "ci_upper": 2.5, "unit": "ratio"}
    ch = change_between(a, far)
    assert ch["clear"] and ch["ci_lower"] > 1 and ch["estimate"] == pytest.approx(2.0)
    assert "Up from 1.00 last quarter to 2.00 now" in narrate.describe_change(ch, unit="ratio")
    # on a difference scale, symmetric: swapping the dates flips the sign
    p = {"estimate": 0.1, "ci_lower": 0.05, "ci_upper": 0.15, "unit": "difference in probability"}
    q = p | {"estimate": -0.1, "ci_lower": -0.15, "ci_upper": -0.05}
    assert change_between(p, q)["estimate"] == pytest.approx(-change_between(q, p)["estimate"])
    assert "No clear change" in narrate.describe_change(change_between(p, p | {
        "estimate": 0.12, "ci_lower": 0.07, "ci_upper": 0.17}), unit="difference in probability")


def test_change_interval_is_conservative_for_overlapping_samples():
    """Two windows sharing most people: the change's interval covers the true change of 0
    at least as often as its level says (simulated: rates from overlapping samples)."""
    rng = np.random.default_rng(7)
    z = 1.959963984540054
    covered = 0
    draws = 400
    for _ in range(draws):
        shared = rng.normal(10, 3, 800)
        a = np.concatenate([shared, rng.normal(10, 3, 200)])
        b = np.concatenate([shared, rng.normal(10, 3, 200)])
        rows = []
        for x in (a, b):
            se = x.std(ddof=1) / math.sqrt(len(x))
            rows.append({"estimate": x.mean(), "ci_lower": x.mean() - z * se,
                         "ci_upper": x.mean() + z * se, "unit": "people"})
        covered += not change_between(*rows)["clear"]
    assert covered / draws >= 0.95


# --------------------------------------------------------------------------- formatting


def test_formatting_by_locale_and_unit():
    en, de, fr = Formatter("en", "EUR"), Formatter("de", "EUR"), Formatter("fr", "EUR")
    assert en.figure(-0.0612, "proportional gap") == "−6.1%"
    assert de.figure(-0.0612, "proportional gap") == "−6,1%"
    assert en.figure(1533690.0, "EUR") == "1,533,690 EUR"
    assert de.figure(1533690.0, "EUR") == "1.533.690 EUR"
    assert fr.figure(1533690.0, "EUR") == "1\u202f533\u202f690 EUR"
    assert en.figure(-0.0004, "proportional gap") == "0.0%"  # never "-0.0%"
    assert en.figure(np.nan, "ratio") == "–"
    for text in (en.figure(1.53e6, "EUR"), en.figure(-0.0612, "proportional gap")):
        assert "e+" not in text and "-0.06" not in text


def test_report_numbers_are_formatted(html):
    page1 = html.split('id="verdict"')[1].split("</section>")[0]
    assert not re.search(r"-0\.\d{3}", page1)
    assert not re.search(r"\de[+-]\d", page1)


# --------------------------------------------------------------------------- quarters, trends


def test_quarters(sample_data):
    assert last_complete_quarter(pd.Timestamp("2025-12-31")) == "2025Q4"
    assert last_complete_quarter(pd.Timestamp("2025-11-15")) == "2025Q3"
    assert last_complete_quarter(pd.Timestamp("2025-11-15"), 4) == "2026Q2"
    assert report_quarter(sample_data, None) == ("2025Q4", pd.Timestamp("2025-12-31"))
    with pytest.raises(ArgumentError, match="after the as-of date"):
        report_quarter(sample_data, "2026Q1")
    with pytest.raises(ArgumentError, match="fiscal quarter label"):
        report_quarter(sample_data, "Q4-2025")
    qs = trend_quarters(sample_data, "2025Q4")
    assert [q for q, _ in qs] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2",
                                  "2025Q3", "2025Q4"]
    # as many as the history allows: the trailing 12 months must lie after history_start
    assert [q for q, _ in trend_quarters(sample_data, "2019Q2")] == [
        "2018Q4", "2019Q1", "2019Q2"]


def test_trend_points_are_as_of_each_quarter_end(report, sample_data):
    t = report.trends
    pay = t.loc[t["key"] == "adjusted_gap_base"].set_index("period")
    at = sample_data.with_as_of("2025-06-30")
    direct = pathaudit.pay_parity(at, parts=["adjusted"]).headline().set_index("key")
    assert pay.loc["2025Q2", "estimate"] == pytest.approx(
        direct.loc["adjusted_gap_base", "estimate"])
    rr = t.loc[t["key"] == "voluntary_exit_rate_ratio"].set_index("period")
    windowed = pathaudit.attrition(at, parts=["rate_ratio"], window_months=12)
    assert rr.loc["2025Q2", "estimate"] == pytest.approx(
        windowed.headline().set_index("key").loc["voluntary_exit_rate_ratio", "estimate"])
    assert len(pay) == 8
    # privacy: no published trend point rests on fewer than k people
    k = sample_data.min_cell_size
    small = t["n"].notna() & (t["n"] < k)
    assert t.loc[small, "estimate"].isna().all()


def test_attrition_window_matches_the_exposure_table(sample_data):
    """Trailing 12 months to 2025-12-31: events and person-years straight from exposure."""
    res = pathaudit.attrition(sample_data, parts=["rates"], window_months=12)
    ex = sample_data.exposure
    first = pd.Timestamp("2025-01-01")
    start = ex["start"].where(ex["start"] > first, first)
    py = ((ex["stop"] - start).dt.days / 365.25).where(ex["stop"] > first, 0.0)
    t = res.rates.table.set_index(["track", "kind"])
    for track in ("IC", "M"):
        mine = ex["track"] == track
        assert t.loc[(track, "voluntary"), "person_years"] == pytest.approx(py[mine].sum())
        vol = mine & (ex["event"] == "exit_voluntary") & (ex["stop"] > first)
        assert t.loc[(track, "voluntary"), "events"] == vol.sum()
    assert "trailing 12 months" in res.rates.meta["definition"]
    assert set(res.not_computed()) == set()
    other = pathaudit.attrition(sample_data, parts=["rates", "cox"], window_months=12)
    assert "cox" in other.not_computed()
    with pytest.raises(ArgumentError, match="window_months"):
        pathaudit.attrition(sample_data, parts=["rates"], window_months=0)


def test_previous_output_read_back(sample_data, sample_audit):
    out, _ = sample_audit
    res = {"attrition": pathaudit.attrition(sample_data, parts=["rate_ratio"])}
    rep = build_report(sample_data, previous=out, trends=False, results=res)
    prev = rep.html.split('id="previous"')[1].split("</table>")[0]
    assert "Published" in prev and "Recomputed now" in prev
    # same extract, same date: today's recomputation equals what was published
    assert prev.count("moved") == 0 and prev.count(">same<") == 4
    with pytest.raises(InputError):
        build_report(sample_data, previous=out / "nowhere", trends=False)


def test_without_previous_the_page_says_past_quarters_are_recomputed(html):
    assert "Past quarters are recomputed from this extract" in html


def test_thresholds_from_the_map(sample_data):
    config = dict(sample_data.config)
    config["thresholds"] = {"pay_margin": 0.1, "attrition_margin": [0.9, 1.1]}
    config["report"] = {"organisation": "Example Org", "locale": "de"}
    data = dataclasses.replace(sample_data, config=config)
    opts = analysis_options(data)
    assert opts["pay_parity"] == {"margin": 0.1}
    assert opts["attrition"] == {"margin": (0.9, 1.1)}
    rep = build_report(data, trends=False)
    v = rep.verdicts.set_index("key")
    assert v.loc["adjusted_gap_base", "threshold"] == "flagged outside −10,0% to 10,0%"
    assert v.loc["adjusted_gap_base", "status"] == "clear"
    assert "Example Org" in rep.html and "−6,1%" in rep.html


def test_results_passed_in_are_not_recomputed(sample_data):
    res = {"attrition": pathaudit.attrition(sample_data, parts=["rate_ratio"])}
    rep = build_report(sample_data, results=res, trends=False)
    assert list(rep.verdicts["key"]) == ["voluntary_exit_rate_ratio"]
    early = {"attrition": pathaudit.attrition(sample_data.with_as_of("2025-06-30"),
                                              parts=["rate_ratio"])}
    with pytest.raises(ArgumentError, match="must be as of the quarter end"):
        build_report(sample_data, results=early, trends=False)


def test_write(report, tmp_path):
    paths = report.write(tmp_path / "out" / "report.html")
    assert paths == [tmp_path / "out" / "report.html"]
    assert paths[0].read_text(encoding="utf-8") == report.html


# --------------------------------------------------------------------------- in a browser


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_renders_and_prints_in_chromium(report, tmp_path):
    """Headless Chromium: a non-blank screenshot of the asked size, no error logged, an A4
    PDF with one page or more per section and no chart taller than a page."""
    browser = require_program("chromium", "chromium-browser", purpose="the report test",
                              debian="chromium")
    page = report.write(tmp_path / "report.html")[0]
    shot, pdf = tmp_path / "report.png", tmp_path / "report.pdf"
    base = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr", "--v=0"]
    run = subprocess.run([*base, f"--screenshot={shot}", "--window-size=1280,2000",
                          "--hide-scrollbars", page.as_uri()],
                         capture_output=True, text=True, timeout=180, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    errors = [line for line in run.stderr.splitlines()
              if "CONSOLE" in line or ":ERROR:" in line and "page" in line.lower()]
    assert not [e for e in errors if "console" in e.lower()], errors
    # nothing was fetched: no failed load and no network error in the log
    assert "Failed to load" not in run.stderr and "net::ERR" not in run.stderr
    png = shot.read_bytes()
    assert _png_size(png) == (1280, 2000)
    from PIL import Image

    with Image.open(shot) as im:
        lo, hi = im.convert("L").getextrema()
    assert hi - lo > 100, "blank screenshot"

    run = subprocess.run([*base, "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                          page.as_uri()], capture_output=True, text=True, timeout=180,
                         check=False)
    assert run.returncode == 0 and pdf.is_file(), run.stderr[-2000:]
    raw = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page(?!s)", raw))
    # five sections, each starting a page; the trends, details and appendix run longer
    assert 5 <= pages <= 40, pages
    # no chart split: every chart is kept whole (break-inside: avoid) and fits on a page
    assert re.search(r"figure\.chart \{[^}]*break-inside: avoid", report.html)
    a4_printable_in = (297 - 2 * 14) / 25.4
    for uri in re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', report.html):
        svg = base64.b64decode(uri).decode()
        height = re.search(r'<svg[^>]*height="([\d.]+)pt"', svg)
        width = re.search(r'<svg[^>]*width="([\d.]+)pt"', svg)
        assert height and width
        # drawn at the page width (A4 less margins), the chart is shorter than a page
        printable_w = (210 - 2 * 12) / 25.4
        shown_h = float(height.group(1)) * min(1.0, printable_w * 72 / float(width.group(1)))
        assert shown_h / 72 < a4_printable_in
    # the library's own PDF writer (Report.write(pdf=True)) prints the same page
    both = report.write(tmp_path / "lib" / "report.html", pdf=True)
    assert [p.suffix for p in both] == [".html", ".pdf"]
    assert both[1].read_bytes()[:5] == b"%PDF-"
    target = os.environ.get(ARTIFACTS_ENV)
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(target) / "report.png")
        shutil.copy(pdf, Path(target) / "report.pdf")


def test_report_and_threshold_sections_of_the_map():
    import tomllib

    from pathaudit.errors import MapError
    from pathaudit.io.mapping import parse_map
    from pathaudit.sample import sample_dir

    raw = tomllib.loads((sample_dir() / "map.toml").read_text(encoding="utf-8"))
    plain = parse_map(raw).config
    assert "report" not in plain and "thresholds" not in plain  # absent: config as before
    raw["report"] = {"organisation": " Example Ltd ", "locale": "fr"}
    raw["thresholds"] = {"pay_margin": 0.03, "attrition_margin": [0.9, 1.1],
                         "management": {"switch_premium.estimate": 0.05}}
    config = parse_map(raw).config
    assert config["report"] == {"organisation": "Example Ltd", "locale": "fr"}
    assert config["thresholds"]["attrition_margin"] == [0.9, 1.1]
    raw["report"] = {"organisation": 3, "locale": "xx", "organization": "x"}
    raw["thresholds"] = {"pay_margin": 5, "attrition_margin": [1.2, 0.8]}
    with pytest.raises(MapError) as err:
        parse_map(raw)
    text = str(err.value)
    for part in ("Unknown key 'organization' in [report]", "did you mean 'organisation'",
                 "[report] locale must be one of 'en', 'de', 'fr', 'ch'",
                 "[thresholds] pay_margin must be a number above 0 and at most 1",
                 "[thresholds] attrition_margin must be two ratios"):
        assert part.lower() in text.lower(), part


def test_a_trend_point_that_would_describe_a_few_joiners_or_leavers_is_hidden(sample_data):
    """Two consecutive points whose populations differ by 1 to k - 1 people: the later one
    is suppressed (its difference with the earlier would describe them); no difference, or
    k or more, is fine."""
    from pathaudit.report._trend_section import _publish_trend
    from pathaudit.report._trends import TREND_COLUMNS, population_changes

    base = {"analysis": "pay_parity", "key": "adjusted_gap_base", "label": "gap",
            "unit": "proportional gap", "status": "inconclusive", "reason": "",
            "window": "w", "ci_lower": -0.1, "ci_upper": 0.0, "n": 500.0}
    rows = [base | {"period": p, "period_end": pd.Timestamp(e), "estimate": -0.05,
                    "n_changed": c}
            for p, e, c in (("2025Q1", "2025-03-31", math.inf), ("2025Q2", "2025-06-30", 3.0),
                            ("2025Q3", "2025-09-30", math.inf), ("2025Q4", "2025-12-31", 40.0))]
    trend = pd.DataFrame(rows, columns=list(TREND_COLUMNS))
    shown = _publish_trend(trend, sample_data).set_index("period")
    assert np.isnan(shown.loc["2025Q2", "estimate"]) and shown.loc["2025Q2", "suppressed"]
    assert shown.loc[["2025Q1", "2025Q3", "2025Q4"], "estimate"].notna().all()
    assert "n_changed" not in shown.columns
    # on the sample, every quarter's populations change by many people
    qs = trend_quarters(sample_data, "2025Q4")
    for population in ("employed", "window", "observed"):
        counts = population_changes(sample_data, qs, population)
        assert counts[0] == math.inf and all(c >= 5 for c in counts[1:])


def test_a_snapshot_export_gets_no_trends():
    """Past quarters cannot be recomputed from current states: said, not drawn."""
    from pathaudit.errors import StatisticalWarning
    from pathaudit.sample import sample_dir

    data = pathaudit.load(sample_dir(), sample_dir() / "map_snapshot.toml")
    with pytest.warns(StatisticalWarning, match="Snapshot-only export"):
        res = {"attrition": pathaudit.attrition(data, parts=["rate_ratio"])}
    rep = build_report(data, results=res)
    assert rep.trends.empty
    assert "snapshot export holds each person" in rep.verdicts.loc[0, "change_quarter"]
    assert "Not computed: a snapshot export holds each person" in rep.html


def test_a_new_analysis_appears_by_declaring_its_headline(sample_data):
    """The report is generic over the contract: no template edit for a new analysis."""
    from dataclasses import dataclass
    from typing import Any, ClassVar

    from pathaudit.headline import Threshold, headline_row
    from pathaudit.result import AnalysisResult, Note

    @dataclass(frozen=True)
    class Toy(AnalysisResult):
        ANALYSIS: ClassVar[str] = "toy"
        TITLE: ClassVar[str] = "A toy analysis"
        notes: tuple[Note, ...] = (Note("caveat", "A toy caveat."),)

        def _headline_rows(self) -> list[dict[str, Any]]:
            th = Threshold("toy", "gap", "Toy gap", "outside", (-0.05, 0.05),
                           "proportional gap", "a toy margin")
            return [headline_row("toy_gap", "Toy IC vs M gap", "pay", estimate=-0.2,
                                 ci_lower=-0.3, ci_upper=-0.1, n=100.0,
                                 unit="proportional gap", threshold=th, primary=True)]

    rep = build_report(sample_data, results={"toy": Toy()}, trends=False)
    v = rep.verdicts.set_index("key").loc["toy_gap"]
    assert v["status"] == "flagged" and v["figure"] == "−20.0%"
    assert "ICs are paid" not in v["sentence"]  # not the pay analysis's own phrasing
    assert "Toy IC vs M gap: −20.0%" in v["sentence"]
    assert "A toy analysis" in rep.html and "A toy caveat." in rep.html


# --------------------------------------------------------------------------- past quarter ends


def _assert_cut_equals_derivation(data, end):
    """A quarter end's spells and exposure cut from the whole extract's are exactly those
    derived again from the history cut at that date."""
    from pathaudit.derived._cut import at_quarter_end

    at = at_quarter_end(data, end)
    cut_spells, cut_exposure = at.spells, at.exposure
    fresh = data.with_as_of(end)
    pd.testing.assert_frame_equal(cut_spells, fresh.spells, check_exact=True)
    pd.testing.assert_frame_equal(cut_exposure, fresh.exposure, check_exact=True)
    return cut_spells, cut_exposure


def test_a_past_quarter_end_is_cut_from_the_whole_extract(sample_data):
    from pathaudit.simulate import cached_organisations

    for data in (sample_data, cached_organisations(1)[0].data):
        label, _ = report_quarter(data, None)
        censored = 0
        for _, end in trend_quarters(data, label):
            if end < data.as_of:
                sp, _ = _assert_cut_equals_derivation(data, end)
                censored += int((data.spells["stop"] > end + pd.Timedelta(days=1)).sum())
        assert censored > 0  # spells running past a quarter end were cut


def test_cut_spells_at_a_quarter_end_by_hand():
    """Each rule of the cut at 2023-12-31, against a derivation of the cut history."""
    from builders import audit, history, people

    h = history(
        ("a", "2022-01-01", "IC3", 100.0), ("a", "2023-10-01", "IC3", 110.0),  # raise, no cut
        ("a", "2024-01-01", "IC4", 130.0),  # promoted the day after the quarter end
        ("b", "2022-01-01", "IC3", 100.0), ("b", "2024-03-01", "IC3", 120.0),  # raise after
        ("c", "2022-01-01", "M1", 100.0),  # terminated on the quarter end: the exit stays
        ("d", "2022-01-01", "IC4", 100.0),  # terminated after it: censored there
        ("e", "2024-01-15", "IC3", 100.0),  # hired 2023-12-20, first record after the end
        ("f", "2022-01-01", "IC3", 100.0), ("f", "2023-06-01", "M1", 105.0),  # switched before
        ("g", "2024-02-01", "IC3", 100.0),  # hired after the quarter end
    )
    p = people(("a", "2022-01-01"), ("b", "2022-01-01"), ("c", "2022-01-01", "2023-12-31",
               "voluntary"), ("d", "2022-01-01", "2024-05-31", "involuntary"),
               ("e", "2023-12-20"), ("f", "2022-01-01"), ("g", "2024-02-01"))
    data = audit(h, p, extract="2024-06-30", start="2022-01-01")
    end = pd.Timestamp("2023-12-31")
    sp, ex = _assert_cut_equals_derivation(data, end)
    by = sp.set_index(sp["employee_id"].astype(str) + sp["level"].astype(str))
    cut = pd.Timestamp("2024-01-01")
    assert by.loc["aIC3", "end_reason"] == "censored" and by.loc["aIC3", "stop"] == cut
    assert pd.isna(by.loc["aIC3", "next_level"]) and by.loc["aIC3", "end_pay"] == 110.0
    assert by.loc["bIC3", "end_pay"] == 100.0  # the raise after the quarter end is not seen
    assert by.loc["cM1", "end_reason"] == "exit_voluntary"
    assert by.loc["dIC4", "end_reason"] == "censored" and by.loc["dIC4", "stop"] == cut
    assert by.loc["fIC3", "end_reason"] == "switch_to_M"
    assert "eIC3" not in by.index and "gIC3" not in by.index
    assert data.spells["employee_id"].astype(str).isin(["e", "g"]).sum() == 2  # both later
    last = ex.loc[ex["stop"] == cut]
    assert sorted(last["event"].astype(str)) == ["censored"] * 4 + ["exit_voluntary"]
    assert sp["spell_id"].tolist() == list(range(len(sp)))


def test_the_report_embeds_the_charts_the_audit_wrote(sample_audit):
    """Each part's chart is drawn once: the report's chart of an analysis is the audit's
    charts/<analysis>__<part>.svg, byte for byte; charts/ holds SVG only."""
    out = sample_audit[0]
    charts = out / "charts"
    svgs = sorted(charts.glob("*.svg"))
    assert svgs and sorted(p.suffix for p in charts.iterdir()) == [".svg"] * len(svgs)
    html = (out / "report.html").read_text(encoding="utf-8")
    embedded = set(re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html))
    reused = {p.stem.split("__")[0] for p in svgs
              if base64.b64encode(p.read_bytes()).decode("ascii") in embedded}
    assert {"pay_parity", "time_to_promotion", "attrition"} <= reused
