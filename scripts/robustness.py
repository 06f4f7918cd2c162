"""Rule robustness_sweep: the headline statistics under every specification, table and curve."""

import pandas as pd

from vtc_imagery.io import atomic_path, write_tsv_atomic
from vtc_imagery.robustness import Grid, Specification, sweep
from vtc_imagery.robustness_figure import specification_curve
from vtc_imagery.runner import run_rule


def main(smk):
    p = smk.params
    default = Specification(**p.default)
    grid = Grid.around(default, p.grid["significant_fractions"], p.n_repeats, p.grid["min_explainable"])
    other_axis, bursts = (pd.concat([pd.read_parquet(f) for f in smk.input[k]], ignore_index=True)
                          for k in ("other_axis", "bursts"))
    table = sweep(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.imagery_units),
                  pd.read_parquet(smk.input.imagery_objects), grid, default, p.alpha, p.models, tuple(p.optimizers),
                  other_axis, bursts, tuple(p.configured_bursts))
    write_tsv_atomic(table, smk.output.table, simulated=p.simulated)
    with atomic_path(smk.output.figure) as tmp:
        specification_curve(table, p.simulated).savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    print(f"{len(table)} specifications of {table.claim.nunique()} claims")
    print(table[table.default].to_string(index=False))


run_rule(snakemake, main)
