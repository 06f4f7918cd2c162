"""Benchmark of the heavy statistics, side by side in one run (not a rule; run it by hand):

    .venv/bin/python scripts/benchmark.py [--units 30] [--repeats 100] [--shuffles 500] [--run-dir DIR]

1. The axis-tuning shuffle test of one session's units (random responses to 500 images of 50 scaled
   features), per unit: the workflow's test in mixed and double precision, against the fp64 and fp32
   GEMM floor for the test's product (the time of a plain matrix product with the same flops), and
   against the authors' per-unit loop (permute, recompute the STA, correlate), timed on a few hundred
   shuffles and scaled to the session's.
2. With --run-dir, the stages of a finished run from its benchmarks/ folder: jobs, total and largest
   wall time per rule.
All times are on one BLAS thread, as the workflow's jobs run them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from vtc_imagery import axis as ax


def _best_of(run, times: int = 3) -> float:
    best = np.inf
    for _ in range(times):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _authors_loop(r: np.ndarray, scaled: np.ndarray, perms: np.ndarray) -> float:
    """The authors' loop for one unit: permute the feature rows, recompute STA and projection, correlate."""
    f = r - r.mean()
    a = f @ scaled
    observed = np.corrcoef(scaled @ a, f)[0, 1]
    exceed = 0
    for perm in perms:
        shuffled = scaled[np.argsort(perm)]
        a = f @ shuffled
        exceed += np.corrcoef(shuffled @ a, f)[0, 1] > observed
    return exceed / len(perms)


def shuffle_test_table(n_units: int, n_repeats: int, n_shuffles: int, n_images: int = 500, n_dims: int = 50,
                       loop_shuffles: int = 500, seed: int = 1) -> pd.DataFrame:
    """Seconds per unit of each implementation of the shuffle test (n_repeats x n_shuffles per unit)."""
    rng = np.random.default_rng(seed)
    scaled = rng.normal(size=(n_images, n_dims))
    responses = rng.gamma(2.0, 2.0, size=(n_images, n_units))
    basis = ax.shuffle_basis(scaled)
    perms = [ax.draw_permutations(rng, n_shuffles, n_images) for _ in range(n_repeats)]
    rows = []
    for precision in ("mixed", "double"):
        seconds = _best_of(lambda p=precision: ax.shuffle_test(responses, basis, iter(perms), precision=p), 1)
        rows.append(dict(implementation=f"workflow shuffle test ({precision})", seconds_per_unit=seconds / n_units))
    # The test's product: Z^T (images x dims) against the gathered responses (images x shuffles*units).
    columns = n_shuffles * n_units
    for dtype in (np.float64, np.float32):
        z = basis.rotated.T.astype(dtype).copy()
        g = rng.normal(size=(n_images, min(columns, 65_536))).astype(dtype)
        seconds = _best_of(lambda z=z, g=g: z @ g) * columns / g.shape[1] * n_repeats
        name = "fp64" if dtype == np.float64 else "fp32"
        rows.append(dict(implementation=f"GEMM floor, {name} (same flops)", seconds_per_unit=seconds / n_units))
    few = ax.draw_permutations(rng, loop_shuffles, n_images)
    seconds = _best_of(lambda: _authors_loop(responses[:, 0], scaled, few), 1)
    rows.append(dict(implementation=f"authors' per-unit loop (timed on {loop_shuffles} shuffles, scaled)",
                     seconds_per_unit=seconds * n_repeats * n_shuffles / loop_shuffles))
    table = pd.DataFrame(rows)
    floor = table.set_index("implementation").seconds_per_unit["GEMM floor, fp64 (same flops)"]
    table["times_fp64_floor"] = table.seconds_per_unit / floor
    return table


def stage_table(run_dir: Path) -> pd.DataFrame:
    """Jobs, total and largest wall time (s) per rule, from a run's benchmarks/<rule>[/...].tsv files."""
    rows = []
    for path in sorted((run_dir / "benchmarks").rglob("*.tsv")):
        rule = path.relative_to(run_dir / "benchmarks").parts[0].removesuffix(".tsv")
        rows.append(dict(rule=rule, seconds=float(pd.read_csv(path, sep="\t").s.iloc[-1])))
    if not rows:
        raise SystemExit(f"{run_dir}: no benchmarks/*.tsv (is it a finished run's directory?)")
    table = pd.DataFrame(rows).groupby("rule").seconds.agg(jobs="size", total="sum", largest="max")
    return table.sort_values("total", ascending=False).reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=30, help="units of the simulated session (default 30)")
    parser.add_argument("--repeats", type=int, default=100, help="repeats of the shuffle test (config axis.n_repeats)")
    parser.add_argument("--shuffles", type=int, default=500, help="shuffles per repeat (config axis.n_shuffles)")
    parser.add_argument("--run-dir", type=Path, help="a finished run's directory, for its stages' times")
    args = parser.parse_args()
    with threadpool_limits(1):
        table = shuffle_test_table(args.units, args.repeats, args.shuffles)
    print(f"Shuffle test, {args.units} units x {args.repeats} repeats x {args.shuffles} shuffles, one BLAS thread:")
    print(table.to_markdown(index=False, floatfmt=".4g"))
    if args.run_dir:
        print(f"\nStages of the run in {args.run_dir} (wall seconds from benchmarks/):")
        print(stage_table(args.run_dir).to_markdown(index=False, floatfmt=".1f"))


if __name__ == "__main__":
    main()
