"""Rule decoding: leave-one-out feature decoding from the axis-tuned pseudo-population, identification."""

import pandas as pd

from vtc_imagery.availability import decoding_unavailable
from vtc_imagery.io import not_available, write_parquet_atomic, write_tsv_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import DecodingParams, decode_objects, tuned_population
from vtc_imagery.runner import run_rule


def main(smk):
    objects = read_object_space(smk.input.object_space)
    population = tuned_population(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.responses),
                                  objects.stim_id)
    p = DecodingParams.from_config(smk.params.decoding)
    reason = decoding_unavailable(population, p.max_distractors)
    if reason:
        write_parquet_atomic(not_available(reason), smk.output.decoded)
        write_tsv_atomic(not_available(reason), smk.output.identification, simulated=smk.params.simulated)
        print(f"not available on this input: {reason}")
        return
    identification, decoded = decode_objects(population, objects, p)
    write_parquet_atomic(decoded, smk.output.decoded)
    write_tsv_atomic(identification, smk.output.identification, simulated=smk.params.simulated)
    print(f"{population.shape[1]} axis-tuned units; accuracy with 1 distractor "
          f"{identification.accuracy.iloc[0]:.3f}, with {p.max_distractors} {identification.accuracy.iloc[-1]:.3f}")


run_rule(snakemake, main)
