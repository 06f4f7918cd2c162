"""Rule mixed_model: fit one mixed-effects population model, as its config spec says, and its test term in
each patient alone (an explicit "not available" result when the input has too few units for it)."""

import json
from pathlib import Path

from vtc_imagery.io import NOT_AVAILABLE, atomic_path, write_tsv_atomic
from vtc_imagery.models import MODEL_INPUTS, model_data, model_outputs
from vtc_imagery.provenance import provenance
from vtc_imagery.runner import run_rule


def main(smk):
    model, spec = smk.wildcards.model, smk.params.spec
    data = model_data(spec["data"], getattr(smk.input, MODEL_INPUTS[spec["data"]]), smk.params.population)
    coefficients, patients, fit_record = model_outputs(data, spec, tuple(smk.params.optimizers))
    write_tsv_atomic(coefficients, smk.output.table, simulated=smk.params.simulated)
    write_tsv_atomic(patients, smk.output.patients, simulated=smk.params.simulated)
    record = {"model": model, "simulated": smk.params.simulated, **fit_record, **provenance(Path(smk.scriptdir).parent)}
    with atomic_path(smk.output.record) as tmp:
        tmp.write_text(json.dumps(record, indent=2))
    if NOT_AVAILABLE in fit_record:
        print(f"{model}: not available on this input: {fit_record[NOT_AVAILABLE]}")
        return
    print(coefficients.to_string(index=False))
    print(patients.to_string(index=False))
    print(f"test of {spec['test_term']}: p = {fit_record['p_value']:.3g}")


run_rule(snakemake, main)
