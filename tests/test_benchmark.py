"""scripts/benchmark.py: the shuffle test beside its GEMM floor and the authors' loop, and a run's stages."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("benchmark", REPO / "scripts/benchmark.py")
benchmark = importlib.util.module_from_spec(spec)
spec.loader.exec_module(benchmark)


def test_the_shuffle_benchmark_sets_each_implementation_against_the_fp64_gemm_floor():
    # 1,000 shuffles a unit: at a few dozen the batched test's fixed cost per session (drawing the shared
    # permutations, the float64 recheck) outweighs the loop's, and the comparison says nothing
    table = benchmark.shuffle_test_table(n_units=2, n_repeats=2, n_shuffles=500, loop_shuffles=50).set_index(
        "implementation")
    assert table.times_fp64_floor["GEMM floor, fp64 (same flops)"] == 1.0
    assert (table.seconds_per_unit > 0).all() and len(table) == 5
    # the authors' loop recomputes the STA per shuffle: far above the batched test
    loop = table.filter(like="authors' per-unit loop", axis=0).seconds_per_unit.iloc[0]
    assert loop > table.seconds_per_unit["workflow shuffle test (mixed)"]


def test_the_stage_table_sums_each_rules_benchmarks(tmp_path):
    for rule, name, seconds in (("axis_model", "a.tsv", 2.0), ("axis_model", "b.tsv", 3.0), ("decoding", "", 5.0)):
        path = tmp_path / "benchmarks" / rule / name if name else tmp_path / "benchmarks" / f"{rule}.tsv"
        path.parent.mkdir(parents=True, exist_ok=True)
        pd.DataFrame(dict(s=[seconds], h_m_s=["0:00:02"])).to_csv(path, sep="\t", index=False)
    table = benchmark.stage_table(tmp_path).set_index("rule")
    assert table.loc["axis_model"].tolist() == [2, 5.0, 3.0] and table.loc["decoding", "total"] == 5.0
