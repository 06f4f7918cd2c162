"""Rule validate_imagery_null: SIMULATED cohorts with no reactivation, over several seeds: the
reactivation call rate and M1's type-I error against their nominal levels."""

from vtc_imagery.imagery import ReactivationParams
from vtc_imagery.perception import AxisParams
from vtc_imagery.runner import run_rule
from vtc_imagery.screening import ScreeningParams
from vtc_imagery.validation import imagery_null_check


def main(smk):
    p = smk.params
    windows = {phase: (w["pre"], w["post"]) for phase, w in p.alignment.items()}
    table = imagery_null_check(p.profile, p.seeds, ScreeningParams.from_config(p.screening), AxisParams(**p.axis),
                               ReactivationParams.from_config(p.reactivation), windows, p.n_shuffles, p.m1,
                               tuple(p.optimizers))
    summary = dict(seed="all", n_axis_tuned=table.n_axis_tuned.sum(), n_reactivated=table.n_reactivated.sum(),
                   call_rate=table.n_reactivated.sum() / max(table.n_axis_tuned.sum(), 1),
                   m1_p=float("nan"), m1_significant=table.m1_significant.mean())
    out = table.astype({"seed": str})
    out.loc[len(out)] = summary
    out.to_csv(smk.output[0], sep="\t", index=False, float_format="%.4g")
    print(out.to_string(index=False))


run_rule(snakemake, main)  # noqa: F821
