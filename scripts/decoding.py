"""Rule decoding: leave-one-out feature decoding from the axis-tuned pseudo-population, identification."""

import pandas as pd

from vtc_imagery.io import write_parquet_atomic
from vtc_imagery.objects import read_object_space
from vtc_imagery.perception import decode_objects, tuned_population
from vtc_imagery.runner import run_rule


def main(smk):
    objects = read_object_space(smk.input.object_space)
    population = tuned_population(pd.read_parquet(smk.input.units), pd.read_parquet(smk.input.responses),
                                  objects.stim_id)
    p = smk.params.decoding
    identification, decoded = decode_objects(population, objects, p["max_distractors"], p["draws"], p["seed"])
    write_parquet_atomic(decoded, smk.output.decoded)
    identification.to_csv(smk.output.identification, sep="\t", index=False, float_format="%.6g")
    print(f"{population.shape[1]} axis-tuned units; accuracy with 1 distractor "
          f"{identification.accuracy.iloc[0]:.3f}, with {p['max_distractors']} {identification.accuracy.iloc[-1]:.3f}")


run_rule(snakemake, main)  # noqa: F821
