"""Command line: each command calls one public function.

Run ``pathaudit --help`` for the commands, ``pathaudit COMMAND --help`` for one.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pathaudit._version import __version__
from pathaudit.errors import PathauditError

DESCRIPTION = """\
pathaudit checks whether a dual career ladder (an individual-contributor track beside
the management track) is real: pay parity at equal grade, time to promotion, people
pushed into management, attrition by track.

Your HR export (CSV, Excel or Parquet) is read through a column map: a small TOML file
that says which of your columns is which (see docs/column-map.md and the example in
data/sample/map.toml). Nothing is sent over a network.

typical use:
  pathaudit validate data/sample --map data/sample/map.toml
  pathaudit audit data/sample --map data/sample/map.toml --out audit-out
"""

EPILOG = """\
exit codes:
  0    done
  1    the export or the column map cannot be used (the message says what to fix)
  2    the command line is not valid
  3    internal error: one line is printed, and the full traceback is written to
       pathaudit-error.log in the output folder (or the current folder); it may hold
       values from your data, so read it before you share it
  130  interrupted (Ctrl-C)
"""

ERROR_LOG = "pathaudit-error.log"
"""File name of the traceback written on an internal error."""


def _add_data_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", type=Path, help="folder with the export files (or one .xlsx workbook)")
    p.add_argument("--map", required=True, type=Path, help="column map (TOML) for this export")
    p.add_argument(
        "--as-of",
        default=None,
        help="analysis date YYYY-MM-DD (default: the map's extract_date, never today)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pathaudit",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"pathaudit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    v = sub.add_parser(
        "validate",
        help="load an export and print its data-quality report (exit 1 on fatal problems)",
        description="Load an export through its column map and print the data-quality report: "
        "rows read, repaired and excluded, by rule. Exits 1 when the export cannot be used.",
    )
    _add_data_args(v)

    a = sub.add_parser(
        "audit",
        help="run every analysis and write tables, summary.json and the run manifest",
        description="Run every analysis on an export and write one CSV per result table, "
        "summary.json (headline figures with their intervals and status), data_quality.csv "
        "and manifest.json into --out. Groups smaller than the minimum cell size are "
        "suppressed.",
    )
    _add_data_args(a)
    a.add_argument("--out", type=Path, default=Path("audit-out"), help="output folder")
    a.add_argument("--seed", type=int, default=0, help="seed for bootstrap and matching")

    s = sub.add_parser(
        "simulate",
        help="write a simulated organisation (with its known truth) as an export",
        description="Simulate an organisation whose truth is known and write it in the export "
        "formats users have (CSV + map, Excel, Parquet, snapshot) with truth.json.",
    )
    s.add_argument("--out", type=Path, required=True, help="output folder")
    s.add_argument("--seed", type=int, default=2024)
    s.add_argument(
        "--preset",
        choices=["sample", "small", "healthy", "broken"],
        default="sample",
        help="which configuration (default: the one data/sample/ uses)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``pathaudit`` command; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "validate":
            from pathaudit.io import validate

            report = validate(args.data, args.map, as_of=args.as_of)
            print(report)
            return 0
        if args.command == "audit":
            from pathaudit.audit import run_audit
            from pathaudit.io import load

            data = load(args.data, args.map, as_of=args.as_of)
            print(data.quality)
            summary = run_audit(data, args.out, seed=args.seed)
            _print_headlines(summary)
            print(f"\nWrote the audit to {args.out}/ (summary.json, one CSV per table).")
            return 0
        if args.command == "simulate":
            from pathaudit.simulate import write_preset

            write_preset(args.out, preset=args.preset, seed=args.seed)
            print(f"Wrote a simulated organisation to {args.out}/")
            return 0
    except PathauditError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; outputs may be incomplete", file=sys.stderr)
        return 130
    except Exception as err:  # noqa: BLE001 - an internal error: one line, traceback to a file
        where = _write_traceback(err, getattr(args, "out", None))
        print(
            f"internal error ({type(err).__name__}): pathaudit stopped on a problem it does "
            f"not handle; please report it. The full traceback is in {where}; it may hold "
            "values from your data, so read it before you share it.",
            file=sys.stderr,
        )
        return 3
    return 2


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


def _print_headlines(summary: dict) -> None:
    """Print each analysis's headline figures, one line each, with status and reason."""
    for name, part in summary.get("analyses", {}).items():
        print(f"\n{part.get('title', name)}:")
        if part.get("status") != "computed":
            print(f"  not computed: {part.get('reason')}")
            continue
        for h in part.get("headline", []):
            est, lo, hi, n = h.get("estimate"), h.get("ci_lower"), h.get("ci_upper"), h.get("n")
            value = "–" if est is None else f"{est:.3g}"
            if est is not None and lo is not None and hi is not None:
                value += f" ({lo:.3g} to {hi:.3g})"
            if n is not None:
                value += f", n={int(n):,}"
            mark = "*" if h.get("primary") else "-"
            why = f": {h['reason']}" if h.get("reason") else ""
            print(f"  {mark} {h['label']}: {value} [{h['status']}{why}]")
        for note in part.get("notes", []):
            if note.get("kind") == "caveat":
                print(f"  ! {note['text']}")


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
