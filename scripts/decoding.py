"""Rule decoding: leave-one-out feature decoding from the axis-tuned pseudo-population (units called
axis-tuned inside the folds by default), identification."""

import pandas as pd

from vtc_imagery.availability import decoding_unavailable
from vtc_imagery.io import not_available, write_parquet_atomic, write_tsv_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import AxisTestParams, DecodingParams, candidate_population, decode_objects
from vtc_imagery.runner import run_rule


def main(smk):
    objects = read_object_space(smk.input.object_space)
    population, axis_tuned = candidate_population(pd.read_parquet(smk.input.units),
                                                  pd.read_parquet(smk.input.responses), objects.stim_id)
    p = DecodingParams.from_config(smk.params.decoding)
    reason = decoding_unavailable(population, axis_tuned, p.selection, p.max_distractors)
    if reason:
        write_parquet_atomic(not_available(reason), smk.output.decoded)
        write_tsv_atomic(not_available(reason), smk.output.identification, simulated=smk.params.simulated)
        print(f"not available on this input: {reason}")
        return
    identification, decoded = decode_objects(population, axis_tuned, objects, p,
                                             AxisTestParams.from_config(smk.params.axis_test))
    write_parquet_atomic(decoded, smk.output.decoded)
    write_tsv_atomic(identification, smk.output.identification, simulated=smk.params.simulated)
    first, last = identification.iloc[0], identification.iloc[-1]
    print(f"{population.shape[1]} responsive VTC units, {int(axis_tuned.sum())} axis-tuned from all images; "
          f"decoding with {first.n_units_min}-{first.n_units_max} units ({p.selection}); accuracy with 1 distractor "
          f"{first.accuracy:.3f}, with {p.max_distractors} {last.accuracy:.3f}")


run_rule(snakemake, main)
