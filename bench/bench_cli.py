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

Commands run with their bytecode cached, as an installed package has it (see
``bench_runner.bytecode_env``); the same validate in the caller's own environment (a shell with
PYTHONDONTWRITEBYTECODE compiles sageflow from source every time) is a context row.
``--baseline REF`` exports REF's ``runner/`` and ``components/`` (``git archive``) and times its
validate in the same run, alternated with this tree's: a before/after from one sitting.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import RESULTS, Row, print_table, write_json
from bench_runner import bytecode_env, expression
from bench_runner import cli as validate_and_help

ROOT = Path(__file__).resolve().parent.parent
HELP_BAR = 0.15
VALIDATE_BAR = 0.5


def best_wall(args: list[str], tries: int, env: dict[str, str] | None = None) -> float:
    """Fastest wall time of ``tries`` fresh processes (each must exit 0)."""
    best = float("inf")
    for _ in range(tries):
        start = time.perf_counter()
        done = subprocess.run(args, capture_output=True, check=False, env=env)
        best = min(best, time.perf_counter() - start)
        if done.returncode != 0:
            raise RuntimeError(f"{args} exited {done.returncode}: {done.stderr.decode()[-500:]}")
    return best


def startup(tries: int) -> dict[str, Any]:
    """Start-up of the commands bench_runner.py does not time."""
    exe = str(Path(sys.executable).with_name("sageflow"))
    listing: float | None = None
    with tempfile.TemporaryDirectory() as tmp:
        env = bytecode_env(Path(tmp))
        try:
            best_wall([exe, "components", "list"], 1, env)  # writes the bytecode
            listing = best_wall([exe, "components", "list"], tries, env)
        except RuntimeError as error:  # a context row: report it, keep the bars' figures
            print(f"components list failed: {str(error)[-300:]}", file=sys.stderr)
    return {
        "python_bare_seconds": best_wall([sys.executable, "-c", "pass"], tries),
        "components_list_seconds": listing,
    }


def measure(tries: int, samples: int, baseline: str | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        tree = export(baseline, Path(tmp)) if baseline else None
        cli = validate_and_help(tries, tree)
    if baseline:
        cli["baseline_ref"] = baseline
    return {
        "startup": startup(tries),
        "runner_cli": cli,
        "expression": expression(samples),
    }


def export(ref: str, into: Path) -> Path:
    """``ref``'s runner/ and components/ under ``into`` (its packs import from there)."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", ref, "runner", "components"],
        capture_output=True,
        check=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


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
        (
            "  validate, caller's environment as is",
            f"{cli['validate_without_bytecode_env_seconds']:.3f}s",
            "",
            None,
        ),
        *(
            [
                (
                    f"  validate at {cli['baseline_ref']} (same run)",
                    f"{cli['validate_baseline_seconds']:.3f}s"
                    f" ({cli['validate_baseline_as_called_seconds']:.3f}s as is)",
                    "",
                    None,
                )
            ]
            if "validate_baseline_seconds" in cli
            else []
        ),
        ("  sageflow components list", _seconds(start["components_list_seconds"]), "", None),
        ("  python -c pass (interpreter alone)", f"{start['python_bare_seconds']:.3f}s", "", None),
        (
            "  expression reading the whole output",
            f"{expr['touching_whole_output_microseconds']:.0f} us",
            "",
            None,
        ),
    ]


def _seconds(value: float | None) -> str:
    return "failed" if value is None else f"{value:.3f}s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--tries", type=int, default=5)
    parser.add_argument("--samples", type=int, default=5000)
    parser.add_argument("--json", type=Path, default=RESULTS / "cli.json")
    parser.add_argument("--baseline", metavar="REF", help="also time validate at this commit")
    args = parser.parse_args(argv)
    result = measure(args.tries, args.samples, args.baseline)
    table = rows(result)
    print_table(f"CLI and expressions, best of {args.tries} processes", table)
    write_json(args.json, {"cli": result})
    return 0 if all(ok for _, _, _, ok in table if ok is not None) else 1


if __name__ == "__main__":
    sys.exit(main())
