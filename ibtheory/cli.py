"""The ``ibtheory`` command line: ``ibtheory verify [PATTERN] [--json]``."""
from __future__ import annotations

import argparse
import sys


def _progress(i: int, n: int, r) -> None:
    status = "ok" if r.passed else "FAIL"
    print(f"[{i:>3}/{n}] {r.id} ... {status} ({r.seconds:.2f} s)", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="ibtheory",
        description="Symbolic-numeric companion to the implicit bias of gradient methods.",
    )
    parser.add_argument("--version", action="version", version=f"ibtheory {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="run the theorem ledger and print a table")
    v.add_argument("pattern", nargs="?", default=None,
                   help="glob or substring of claim ids (default: every claim)")
    v.add_argument("--json", action="store_true", help="print JSON instead of a table")
    v.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    ls = sub.add_parser("list", help="list the claims of the ledger")
    ls.add_argument("pattern", nargs="?", default=None)
    args = parser.parse_args(argv)

    from . import ledger

    if args.command == "list":
        for c in ledger.select(args.pattern):
            print(f"{c.id}: {c.statement} [{c.source}]")
        return 0

    claims = ledger.select(args.pattern)
    if not claims:
        print(f"no claim matches {args.pattern!r}", file=sys.stderr)
        return 2
    report = ledger.run(args.pattern, progress=None if (args.quiet or args.json) else _progress)
    if args.json:
        print(report.to_json())
    else:
        print(report.table())
        for r in report.failures():
            print(f"\nFAILED {r.id}: measured {r.measured:.3e} > tolerance {r.tolerance:.3e}")
            if r.details:
                print(f"  {r.details}")
            if r.error:
                print(r.error)
    return 0 if report.passed else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
