"""Rule simulate_cohort: write the virtual cohort (SIMULATED data) under params.out_dir."""

import sys

from vtc_imagery.runner import run_rule
from vtc_imagery.simulate import get_profile, simulate_cohort
from vtc_imagery.simulate.realism import realism_from_config


def main(smk):
    sim = smk.params.simulation
    profile = get_profile(sim["profile"], axis_tuned_fraction=sim["axis_tuned_fraction"],
                          other_responsive_fraction=sim["other_responsive_fraction"],
                          reactivated_fraction=sim["reactivated_fraction"], null_tuning=sim["null_tuning"] or None,
                          realism=realism_from_config(sim))
    paths = simulate_cohort(profile, sim["seed"], smk.params.out_dir, jobs=smk.threads)
    print(f"SIMULATED cohort '{profile.name}' (seed {sim['seed']}): {len(paths)} sessions", file=sys.stderr)


run_rule(snakemake, main)
