"""Rule imagery_correlations: per-neuron Spearman correlations of imagery with viewing and with encoding
rate over the imagined objects, their summary (positive neurons, pooled correlation) and figure."""

from vtc_imagery.correlation_figure import imagery_correlation_figure
from vtc_imagery.io import atomic_path, not_available, write_tsv_atomic
from vtc_imagery.models import imagery_objects_data, read_imagery_table
from vtc_imagery.qc import imagery_correlations
from vtc_imagery.runner import run_rule


def main(smk):
    objects = imagery_objects_data(read_imagery_table(smk.input.table), smk.params.population)
    per_neuron, summary = imagery_correlations(objects)
    if per_neuron.empty:
        reason = "no neuron of the imagery population (imagery.population) has imagery responses"
        per_neuron, summary = not_available(reason), summary.assign(not_available=reason)
    write_tsv_atomic(per_neuron, smk.output.neurons, simulated=smk.params.simulated)
    write_tsv_atomic(summary, smk.output.summary, simulated=smk.params.simulated)
    with atomic_path(smk.output.figure) as tmp:
        imagery_correlation_figure(per_neuron, summary, smk.params.simulated).savefig(tmp, format="png", dpi=110,
                                                                                       bbox_inches="tight")
    print(summary.to_string(index=False))


run_rule(snakemake, main)
