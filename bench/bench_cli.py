"""CLI start-up, ``sageflow validate`` on a 200-step flow, and expression evaluation.

Run: python bench/bench_cli.py [--tries 5] [--samples 5000] [--json bench/results/cli.json]

``bench_runner.py`` already measures ``sageflow validate`` on a 200-step flow,
``sageflow --help`` and ``${{ item.name }}`` with a 10,000-item step output in
the context (bar: median <= 50 us); this script calls those same functions rather than keeping a
second copy, and adds what that script leaves out: ``sageflow components list`` (imports every
pack to describe it) and a bare ``python -c pass`` for the interpreter's own share. Every
command is a fresh process; the best of ``--tries`` is kept (start-up noise only adds).

Bars (issue 11): ``--help`` < 0.15 s, ``validate`` of 200 steps < 0.5 s, on a quiet machine.
On a loaded one the figures rise with the interpreter's own start-up, so the table also
gives each as a multiple of ``python -c pass`` measured in the same minute.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _common import RESULTS, Row, print_table, write_json
from bench_runner import cli as validate_and_help
from bench_runner import expression

HELP_BAR = 0.15
VALIDATE_BAR = 0.5


def best_wall(args: list[str], tries: int) -> float:
    """Fastest wall time of ``tries`` fresh processes (each must exit 0)."""
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, check=False)
        best = min(best, time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"{args} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return best


def startup(tries: int) -> dict[str, Any]:
    """Start-up of the commands bench_runner.py does not time."""
    exe = str(Path(sys.executable).with_name("sageflow"))
    return {
        "python_bare_seconds": best_wall([sys.executable, "-c", "pass"], tries),
        "components_list_seconds": best_wall([exe, "components", "list"], tries),
    }


def measure(tries: int, samples: int) -> dict[str, Any]:
    return {
        "startup": startup(tries),
        "runner_cli": validate_and_help(tries),
        "expression": expression(samples),
    }


def rows(result: dict[str, Any]) -> list[Row]:
    start, cli, expr = result["startup"], result["runner_cli"], result["expression"]
    bare = start["python_bare_seconds"]
    help_s, validate_s = cli["help_seconds"], cli["validate_200_steps_seconds"]
    return [
        (
            "sageflow --help",
            f"{help_s:.3f}s ({help_s / bare:.1f}x python)",
            "< 0.15 s",
            help_s < HELP_BAR,
        ),
        (
            "sageflow validate, 200 steps",
            f"{validate_s:.3f}s ({validate_s / bare:.1f}x python)",
            "< 0.5 s",
            validate_s < VALIDATE_BAR,
        ),
        (
            f"${{{{ item.name }}}}, {expr['context_items']:,}-item context",
            f"median {expr['median_microseconds']:.1f} us (p95 {expr['p95_microseconds']:.1f})",
            "<= 50 us",
            expr["ok"],
        ),
        ("  sageflow components list", f"{start['components_list_seconds']:.3f}s", "", None),
        ("  python -c pass (interpreter alone)", f"{start['python_bare_seconds']:.3f}s", "", None),
        (
            "  expression reading the whole output",
            f"{expr['touching_whole_output_microseconds']:.0f} us",
            "",
            None,
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--json", type=Path, default=RESULTS / "cli.json")
    args = parser.parse_args(argv)
    result = measure(args.tries, args.samples)
    table = rows(result)
    print_table(f"CLI and expressions, best of {args.tries} processes", table)
    write_json(args.json, {"cli": result})
    return 0 if all(ok for _, _, _, ok in table if ok is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
