"""Rule mixed_model: fit one mixed-effects population model, as its config spec says, and its test term in
each patient alone."""

import json
from pathlib import Path

from vtc_imagery.io import atomic_path, write_tsv_atomic
from vtc_imagery.models import MODEL_INPUTS, fit_model, model_data, patient_estimates
from vtc_imagery.provenance import provenance
from vtc_imagery.runner import run_rule


def main(smk):
    model, spec = smk.wildcards.model, smk.params.spec
    data = model_data(spec["data"], getattr(smk.input, MODEL_INPUTS[spec["data"]]), smk.params.population)
    fit = fit_model(data, spec, tuple(smk.params.optimizers))
    write_tsv_atomic(fit.coefficients, smk.output.table, simulated=smk.params.simulated)
    patients = patient_estimates(data, spec)
    write_tsv_atomic(patients, smk.output.patients, simulated=smk.params.simulated)
    record = {"model": model, "simulated": smk.params.simulated, **fit.record, **provenance(Path(smk.scriptdir).parent)}
    with atomic_path(smk.output.record) as tmp:
        tmp.write_text(json.dumps(record, indent=2))
    print(fit.coefficients.to_string(index=False))
    print(patients.to_string(index=False))
    print(f"test of {spec['test_term']}: p = {fit.record['p_value']:.3g}")


run_rule(snakemake, main)
