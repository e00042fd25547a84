"""Command line: each command calls one public function.

Run ``pathaudit --help`` for the commands, ``pathaudit COMMAND --help`` for one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import textwrap
import time
import warnings
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from pathaudit._version import __version__
from pathaudit.audit import DEFAULT_SEED, ERROR_LOG, OutputFolderError
from pathaudit.errors import ArgumentError, PathauditError, StatisticalWarning

DESCRIPTION = """\
pathaudit checks whether a dual career ladder (an individual-contributor track beside
the management track) is real: pay parity at equal grade, time to promotion, people
pushed into management, attrition by track.

Your HR export (CSV, Excel or Parquet) is read through a column map: a small TOML file
that says which of your columns is which (see docs/column-map.md and the example in
data/sample/map.toml); map.toml in the export folder is used when --map is not given.
Nothing is sent over a network.

typical use:
  pathaudit report data/sample --out report.html
  pathaudit validate data/sample
  pathaudit audit data/sample --out audit-out
"""

EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

EPILOG = f"""\
exit codes:
  {EXIT_OK}    done
  {EXIT_DATA}    the export or the column map cannot be used (the message says what to fix)
  {EXIT_USAGE}    the command line is not valid (an unknown option, a date that is not
       YYYY-MM-DD, a quarter that has not ended, an output folder that is not empty
       and not a pathaudit output)
  {EXIT_INTERNAL}    internal error: one line is printed, and the full traceback is written to
       {ERROR_LOG} in the output folder (or the current folder); it may hold
       values from your data, so read it before you share it
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C): one line is printed; no output is left half-written
"""

MAP_NAME = "map.toml"
"""The column map looked for in the export folder when ``--map`` is not given."""

NO_MAP = (
    "No column map: --map is not given and {folder} holds no {name}. Pass --map MAP.toml, or "
    "put the map in the export folder as {name} (data/sample/map.toml is a worked example)."
)

INTERRUPTED = "interrupted (Ctrl-C); {what}"

OUT_HOLDS_INPUT = (
    "--out {out} holds the export or the column map: the audit replaces its output folder as "
    "a whole, so it must be a folder of its own. Name another folder, e.g. --out audit-out."
)


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Help with each default shown (unless the help says it) and the description as written."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if (action.default not in (None, False, argparse.SUPPRESS) and "default" not in text
                and action.option_strings):
            text += " (default: %(default)s)"
        return text


def iso_date(text: str) -> str:
    """An ``--as-of`` value: an ISO date (YYYY-MM-DD) only; anything else is a usage error.

    Examples
    --------
    >>> iso_date("2025-06-30")
    '2025-06-30'
    """
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date in the form YYYY-MM-DD. Write it as an ISO date, e.g. "
            "2025-06-01 for 1 June 2025 (a date such as 01/06/2025 reads as 1 June or as "
            "6 January, and pathaudit does not guess)"
        )
    try:
        date.fromisoformat(text.strip())
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid date ({err})") from err
    return text.strip()


def _add_output_args(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true",
                   help="print nothing but errors and where the output went")
    g.add_argument("-v", "--verbose", action="store_true",
                   help="print every figure, every caveat and the progress even when not on "
                   "a terminal")
    p.add_argument("--json", action="store_true",
                   help="print one machine-readable JSON result on stdout (progress and "
                   "messages go to stderr)")


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", type=Path, help="folder with the export files (or one .xlsx workbook)")
    p.add_argument("--map", default=None, type=Path,
                   help=f"column map (TOML) for this export (default: {MAP_NAME} in the "
                   "export folder)")
    p.add_argument("--as-of", default=None, type=iso_date, metavar="YYYY-MM-DD",
                   help="analysis date (default: the map's extract_date, never today)")
    _add_output_args(p)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pathaudit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pathaudit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=description, epilog=EPILOG,
                              formatter_class=_Formatter)

    v = command(
        "validate",
        "load an export and print its data-quality report (exit 1 on fatal problems)",
        "Load an export through its column map and print the data-quality report: rows "
        "read, repaired and excluded, by rule, and the as-of date and history start used. "
        "Exits 1 when the export cannot be used.",
    )
    _add_data_args(v)

    ld = command(
        "load",
        "load and validate an export and write its canonical tables as Parquet",
        "Load an export through its column map, validate it (as 'validate' does) and write "
        "the canonical tables, spells and exposure as Parquet into --to-parquet: the input "
        "of the DuckDB and Dask engines (docs/engines.md). The files hold person-level rows "
        "(pseudonymised IDs, as loaded): keep them where the export is kept.",
    )
    _add_data_args(ld)
    ld.add_argument("--to-parquet", type=Path, required=True, metavar="DIR",
                    help="folder for <table>.parquet (created if missing)")

    a = command(
        "audit",
        "run every analysis and write the report, tables, charts and an index",
        "Run every analysis on an export and write into --out: report.html (the leader's "
        "report), README.txt (an index of every file), summary.json, manifest.json, one CSV "
        "per table (tables/, rounded for display) with its full-precision Parquet copy "
        "(data/), charts (charts/) and data_quality.csv. Groups smaller than the minimum "
        "cell size are suppressed. The folder is replaced as a whole when the run succeeds; "
        "docs/audit-output.md lists every file.",
    )
    _add_data_args(a)
    a.add_argument("--out", type=Path, default=Path("audit-out"), help="output folder")
    a.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help="seed for bootstrap and matching (the same as the library's)")
    a.add_argument("--overwrite", action="store_true",
                   help="replace --out even when it is not empty and not a pathaudit output")
    a.add_argument("--filing", action="store_true",
                   help="also write the pay-gap reports' unsuppressed figures, as the law "
                   "requires them filed, into --out/restricted (marked restricted; never "
                   "written by default)")
    a.add_argument("--processes", choices=("auto", "1", "2"), default="auto",
                   help="2: draw the charts and recompute the report's past quarters in a "
                   "second process while the analyses run (the same files); 1: everything "
                   "in one process; auto (default): 2 when a second core is idle (load "
                   "average below the number of cores minus one), else 1")
    a.add_argument("--engine", choices=("pandas", "duckdb", "dask"), default="pandas",
                   help="pandas (default): every analysis in memory from the export; duckdb "
                   "or dask: DATA is canonical Parquet ('pathaudit load --to-parquet') and "
                   "the rate-based analyses run on aggregated cells (docs/engines.md)")

    r = command(
        "report",
        "write the leader's quarterly report (one self-contained HTML page)",
        "Write the leader's quarterly equity report: one self-contained HTML page (no file, "
        "font or script fetched from anywhere) that prints to A4, with the verdict per "
        "question, trends over the last 8 fiscal quarters, the forced-into-management "
        "profile by unit and an appendix; --pdf also prints it with headless Chromium.",
    )
    _add_data_args(r)
    r.add_argument("--quarter", default=None, metavar="YYYYQn",
                   help="fiscal quarter of the report, e.g. 2024Q4 (default: the last "
                   "complete quarter ending on or before the as-of date)")
    r.add_argument("--previous", type=Path, default=None, metavar="DIR",
                   help="output folder of an earlier 'pathaudit audit', shown beside today's "
                   "figures")
    r.add_argument("--out", type=Path, default=Path("report.html"), help="the HTML file")
    r.add_argument("--pdf", action="store_true",
                   help="also write the PDF beside it (needs Chromium)")
    r.add_argument("--seed", type=int, default=DEFAULT_SEED,
                   help="seed for bootstrap and matching (the same as the library's)")

    s = command(
        "simulate",
        "write a simulated organisation (with its known truth) as an export",
        "Simulate an organisation whose truth is known and write it in the export formats "
        "users have (CSV + map, Excel, Parquet, snapshot) with truth.json.",
    )
    s.add_argument("--out", type=Path, required=True, help="output folder")
    s.add_argument("--seed", type=int, default=2024, help="seed of the simulation")
    s.add_argument(
        "--preset",
        choices=["sample", "small", "healthy", "broken"],
        default="sample",
        help="which configuration ('sample': the one data/sample/ uses)",
    )
    _add_output_args(s)

    m = command("map", "check a column map: what each export value becomes, by which rule",
                "Check a column map before trusting an audit: 'pathaudit map explain EXPORT "
                "--map MAP' lists each distinct value of each mapped column, its rows, what it "
                "becomes and which rule of the map decided it (docs/column-map.md).")
    m_sub = m.add_subparsers(dest="map_command", required=True, metavar="SUBCOMMAND")
    e = m_sub.add_parser("explain", help="each export value, what it becomes and by which rule",
                         description=m.description, epilog=EPILOG, formatter_class=_Formatter)
    _add_data_args(e)
    return parser


# --------------------------------------------------------------------------- printing


class Progress:
    """Prints one line per step with the elapsed time, on a terminal (or when verbose).

    Examples
    --------
    >>> tell = Progress(enabled=False)
    >>> tell("load")
    """

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.start = time.monotonic()

    def __call__(self, step: str) -> None:
        """Print ``step`` with the time elapsed since the command started."""
        if self.enabled:
            print(f"[{time.monotonic() - self.start:6.1f}s] {step}", file=sys.stderr, flush=True)


class _Out:
    """Where the command's words go: stdout normally, stderr under --json, nowhere quiet."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.quiet = bool(getattr(args, "quiet", False))
        self.verbose = bool(getattr(args, "verbose", False))
        self.json = bool(getattr(args, "json", False))
        tty = sys.stderr.isatty()
        self.progress = Progress(not self.quiet and (self.verbose or tty))

    def say(self, text: str = "") -> None:
        """Words for the reader (not under --quiet)."""
        if not self.quiet:
            print(text, file=sys.stderr if self.json else sys.stdout)

    def done(self, text: str) -> None:
        """Where the output went: printed even under --quiet."""
        print(text, file=sys.stderr if self.json else sys.stdout)


def _find_map(data: Path, given: Path | None) -> Path:
    if given is not None:
        return given
    folder = data if data.is_dir() else data.parent
    found = folder / MAP_NAME
    if not found.is_file():
        from pathaudit.errors import MapError

        raise MapError(NO_MAP.format(folder=folder, name=MAP_NAME))
    return found


def _period(dataset: dict[str, Any]) -> str:
    """The as-of date and the period the figures cover, in words."""
    if dataset.get("kind") == "snapshot":
        return (f"as of {dataset['as_of']}, from a snapshot export (one row per person on "
                f"{dataset['extract_date']}; leavers since {dataset['history_start']})")
    return (f"as of {dataset['as_of']}, covering {dataset['history_start']} to "
            f"{dataset['as_of']} (history export)")


def _formatter(currency: str = "") -> Any:
    from pathaudit.report import Formatter

    return Formatter("en", currency)


def _figure(h: dict[str, Any], fmt: Any) -> str:
    """One headline figure in plain words: value (interval), n, [status: reason]."""
    from pathaudit.result import SUPPRESSED_MARK

    est, lo, hi, n = h.get("estimate"), h.get("ci_lower"), h.get("ci_upper"), h.get("n")
    unit = str(h.get("unit") or "")
    value = SUPPRESSED_MARK if est is None else fmt.figure(est, unit)
    if est is not None and lo is not None and hi is not None:
        value += f" ({fmt.interval(lo, hi, unit)})"
    if est is not None and n is not None:
        value += f", n={int(n):,}"
    why = f": {h['reason']}" if h.get("reason") else ""
    return f"{h['label']}: {value} [{h['status']}{why}]"


def _quality_line(quality: dict[str, Any]) -> str:
    """Rows read, excluded and repaired by the load, in one line."""
    read = sum(int(v) for v in quality.get("rows_in", {}).values())
    excluded = sum(int(v) for v in quality.get("rows_excluded", {}).values())
    repaired = sum(int(v) for v in quality.get("rows_repaired", {}).values())
    return (f"Data: {read:,} rows read, {excluded:,} excluded and {repaired:,} repaired by the "
            "load's rules (data_quality.csv lists each rule; pathaudit validate prints them).")


def _caveats_of(key: str, notes: list[dict[str, Any]]) -> list[str]:
    """Caveats about the part a headline figure comes from (its key names the part)."""
    return [n["text"] for n in notes
            if n.get("kind") == "caveat" and n.get("part") and n["part"] in key]


def headline_lines(summary: dict[str, Any], *, verbose: bool = False) -> list[str]:
    """The printed headline: the period, then per question its primary figure and warnings.

    Parameters
    ----------
    summary
        The content of ``summary.json`` (:func:`pathaudit.audit.run_audit`).
    verbose
        Every figure and every caveat, not only the primary figures.

    Returns
    -------
    list of str
        Lines to print. A caveat that changes the reading of a figure (its part's caveats,
        and the statistical warnings of its analysis) is printed right under it.

    Examples
    --------
    >>> headline_lines({"dataset": {"kind": "history", "people": 10, "as_of": "2025-12-31",
    ...     "history_start": "2018-01-01", "extract_date": "2025-12-31"}, "analyses": {}})[0]
    'Audit of 10 people, as of 2025-12-31, covering 2018-01-01 to 2025-12-31 (history export).'
    """
    from pathaudit.headline import QUESTIONS

    dataset = summary.get("dataset", {})
    lines = [f"Audit of {int(dataset.get('people', 0)):,} people, {_period(dataset)}."]
    currency = next((str(h.get("unit")) for part in summary.get("analyses", {}).values()
                     for h in part.get("headline", [])
                     if re.fullmatch(r"[A-Z]{3}", str(h.get("unit") or ""))), "")
    fmt = _formatter(currency)
    width = 100
    for name, part in summary.get("analyses", {}).items():
        lines.append("")
        if part.get("status") != "computed":
            lines.append(f"{name.replace('_', ' ').capitalize()}: not computed: "
                         f"{part.get('reason')}")
            continue
        heads = part.get("headline", [])
        primary = [h for h in heads if h.get("primary")]
        key = (primary or heads or [{}])[0].get("question") or ""
        lines.append(QUESTIONS.get(key) or part.get("title") or name)
        notes = part.get("notes", [])
        shown_notes: set[str] = set()
        for h in heads:
            if not (h.get("primary") or verbose):
                continue
            lines.append(f"  {'*' if h.get('primary') else '-'} {_figure(h, fmt)}")
            warns = _caveats_of(str(h["key"]), notes)
            if h.get("primary"):
                warns += list(part.get("warnings", []))
            for text in dict.fromkeys(warns):
                if text in shown_notes:
                    continue
                shown_notes.add(text)
                lines += textwrap.wrap(text, width, initial_indent="      ! ",
                                       subsequent_indent="        ")
        if verbose:
            for n in notes:
                if n.get("kind") == "caveat" and n["text"] not in shown_notes:
                    lines += textwrap.wrap(n["text"], width, initial_indent="  ! ",
                                           subsequent_indent="    ")
    return lines


# --------------------------------------------------------------------------- commands


def _load(args: argparse.Namespace, out: _Out) -> Any:
    from pathaudit.io import load

    out.progress("load and validate the export")
    data = load(args.data, _find_map(args.data, args.map), as_of=args.as_of)
    return data


def _cmd_validate(args: argparse.Namespace, out: _Out) -> dict[str, Any]:
    data = _load(args, out)
    _ = data.exposure  # spells and exposure: their rules are reported too, as in an audit
    dataset = data.summary()
    out.say(str(data.quality))
    out.say("")
    out.say(f"As of {dataset['as_of']} (extract date {dataset['extract_date']}); history "
            f"complete from {dataset['history_start']}; {dataset['kind']} export of "
            f"{dataset['people']:,} people.")
    return {"dataset": dataset, "quality": data.quality.summary()}


def _cmd_load(args: argparse.Namespace, out: _Out) -> dict[str, Any]:
    from pathaudit.engines import write_canonical_parquet

    data = _load(args, out)
    out.say(str(data.quality))
    out.progress("spells, exposure and Parquet")
    written = write_canonical_parquet(data, args.to_parquet)
    out.done(f"Wrote {len(written)} canonical tables to {args.to_parquet}/")
    return {"dataset": data.summary(), "quality": data.quality.summary(),
            "parquet": [str(p) for p in written]}


def _cmd_audit(args: argparse.Namespace, out: _Out) -> dict[str, Any]:
    from pathaudit.audit import REPORT, check_output_folder, run_audit

    if getattr(args, "engine", "pandas") != "pandas":
        return _cmd_engine_audit(args, out)
    check_output_folder(args.out, overwrite=args.overwrite)  # before the long part
    inside = [args.data, args.map] if args.map is not None else [args.data]
    if any(p.resolve() == args.out.resolve() or args.out.resolve() in p.resolve().parents
           for p in inside):
        raise OutputFolderError(OUT_HOLDS_INPUT.format(out=args.out))
    processes = audit_processes(args.processes)
    if processes > 1:
        from pathaudit.audit._worker import start_early

        start_early()  # its imports beside the load
    data = _load(args, out)
    if out.verbose:
        out.say(str(data.quality))
        out.say("")
    out.progress("spells and exposure")
    _ = data.exposure
    summary = run_audit(data, args.out, seed=args.seed, overwrite=args.overwrite,
                        progress=out.progress, filing=args.filing, processes=processes)
    out.progress("done")
    lines = headline_lines(summary, verbose=out.verbose)
    lines.insert(1, _quality_line(data.quality.summary()))
    for line in lines:
        out.say(line)
    out.say("")
    report = args.out / REPORT
    first = f"{report} (start here), " if report.exists() else ""
    out.done(f"Wrote the audit to {args.out}/: {first}README.txt (what every file holds), "
             "summary.json, tables/, charts/.")
    return {"out": str(args.out), "report": str(report) if report.exists() else None,
            "summary": summary}


def audit_processes(asked: str) -> int:
    """The processes of ``pathaudit audit --processes``: 1, 2, or ``auto``.

    ``auto`` is 2 when the machine has a second core and, on average over the last minute,
    one is idle (load average below the number of cores minus one), else 1: a second
    process only speeds the audit up on a core nobody else uses, and costs about a second of
    CPU time to start. The files are the same either way.

    Examples
    --------
    >>> audit_processes("1"), audit_processes("2")
    (1, 2)
    """
    if asked != "auto":
        return int(asked)
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform: take the cores as idle
        load = 0.0
    return 2 if cores >= 2 and load < cores - 1 else 1


def _cmd_engine_audit(args: argparse.Namespace, out: _Out) -> dict[str, Any]:
    from pathaudit.audit import run_engine_audit

    if args.map is not None or args.as_of is not None or args.filing:
        raise ArgumentError(
            f"--engine {args.engine} reads canonical Parquet, whose dataset.json holds the "
            "map's settings and the as-of date: drop --map, --as-of and --filing, or write "
            "the Parquet again with 'pathaudit load EXPORT --map MAP [--as-of DATE] "
            "--to-parquet DIR'."
        )
    if args.out.resolve() == args.data.resolve() or args.out.resolve() in args.data.resolve(
    ).parents:
        raise OutputFolderError(OUT_HOLDS_INPUT.format(out=args.out))
    summary = run_engine_audit(args.data, args.out, args.engine, overwrite=args.overwrite,
                               progress=out.progress)
    out.progress("done")
    for line in headline_lines(summary, verbose=out.verbose):
        out.say(line)
    out.say("")
    out.done(f"Wrote the rate-based audit ({args.engine}) to {args.out}/: README.txt (what "
             "every file holds), summary.json, tables/.")
    return {"out": str(args.out), "report": None, "summary": summary}


def _cmd_report(args: argparse.Namespace, out: _Out) -> dict[str, Any]:
    import shutil
    import tempfile

    from pathaudit.report import build_report

    target = Path(args.out)
    if target.is_dir():
        raise OutputFolderError(f"--out {target} is a folder; name the HTML file to write, "
                                f"e.g. --out {target / 'report.html'}.")
    data = _load(args, out)
    out.progress("spells and exposure")
    _ = data.exposure
    out.progress("analyses and trends")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", StatisticalWarning)
        rep = build_report(data, quarter=args.quarter, previous=args.previous, seed=args.seed)
    for text in dict.fromkeys(str(w.message) for w in caught
                              if issubclass(w.category, StatisticalWarning)):
        for line in textwrap.wrap(text, 100, initial_indent="! ", subsequent_indent="  "):
            out.say(line)
    out.progress("write")
    target.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:  # written beside, then moved in: an interrupted run leaves no half-written file
        made = rep.write(build / target.name, pdf=args.pdf)
        written = []
        for path in made:
            final = target.with_suffix(path.suffix)
            path.replace(final)
            written.append(final)
    finally:
        shutil.rmtree(build, ignore_errors=True)
    out.progress("done")
    out.say(f"{rep.quarter} report, as of {rep.as_of.date()}.")
    out.done("Wrote the report to " + " and ".join(str(p) for p in written))
    return {"report": [str(p) for p in written], "quarter": rep.quarter,
            "as_of": str(rep.as_of.date()),
            "verdicts": json.loads(rep.verdicts.to_json(orient="records"))}


def _cmd_simulate(args: argparse.Namespace, out: _Out) -> dict[str, Any]:
    from pathaudit.simulate import write_preset

    out.progress("simulate")
    write_preset(args.out, preset=args.preset, seed=args.seed)
    out.done(f"Wrote a simulated organisation to {args.out}/")
    return {"out": str(args.out)}


def _cmd_map(args: argparse.Namespace, out: _Out) -> dict[str, Any]:
    from pathaudit.io import explain_map

    table = explain_map(args.data, _find_map(args.data, args.map))
    out.say(table.to_string(index=False) if len(table) else "The map maps no values.")
    return {"explain": json.loads(table.to_json(orient="records"))}


COMMANDS = {"validate": _cmd_validate, "load": _cmd_load, "audit": _cmd_audit,
            "report": _cmd_report, "simulate": _cmd_simulate, "map": _cmd_map}
"""Command name -> the function that runs it (returns the --json result)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pathaudit`` command; returns the exit code.

    Examples
    --------
    >>> main(["validate", "data/sample"])  # doctest: +SKIP
    0
    """
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(words)
    except SystemExit as stop:  # --help, --version (0) or a usage error (2), said on stderr
        if stop.code not in (0, None) and "--json" in words:
            print(json.dumps({"version": __version__, "exit_code": stop.code,
                              "error": "the command line is not valid (the message is on "
                              "stderr)"}, indent=2))
        raise
    out = _Out(args)
    result: dict[str, Any] = {"command": args.command, "version": __version__}
    code = EXIT_OK
    try:
        result.update(COMMANDS[args.command](args, out))
    except (OutputFolderError, ArgumentError) as err:  # --out, --quarter, --seed ...
        code, result["error"] = EXIT_USAGE, str(err)
        print(f"error: {err}", file=sys.stderr)
    except PathauditError as err:
        code, result["error"] = EXIT_DATA, str(err)
        print(f"error: {err}", file=sys.stderr)
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
        what = {"audit": f"{getattr(args, 'out', '')} is as it was",
                "report": "no report was written",
                "simulate": "the simulated export may be incomplete"}.get(args.command, "")
        result["error"] = "interrupted"
        print(INTERRUPTED.format(what=what or "nothing was written").rstrip(), file=sys.stderr)
    except Exception as err:  # noqa: BLE001 - an internal error: one line, traceback to a file
        where = _write_traceback(err, getattr(args, "out", None))
        code, result["error"] = EXIT_INTERNAL, f"internal error ({type(err).__name__})"
        print(
            f"internal error ({type(err).__name__}): pathaudit stopped on a problem it does "
            f"not handle; please report it. The full traceback is in {where}; it may hold "
            "values from your data, so read it before you share it.",
            file=sys.stderr,
        )
    if out.json:
        from pathaudit.output import json_safe

        result["exit_code"] = code
        print(json.dumps(json_safe(result), indent=2))
    return code


def _write_traceback(err: BaseException, out: Path | None) -> str:
    """Write the traceback of ``err`` to :data:`ERROR_LOG`; return where it went.

    The file goes into the output folder when the command has one and it exists, else
    the current folder; when neither can be written, the message says so.
    """
    import traceback

    text = "".join(traceback.format_exception(err))
    folders = [f for f in (out, Path.cwd()) if f is not None and Path(f).is_dir()]
    for folder in folders:
        path = Path(folder) / ERROR_LOG
        try:
            path.write_text(text, encoding="utf-8")
        except OSError:
            continue
        return str(path)
    return "no file (no folder could be written)"


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
