# NWB is read once, here; everything downstream reads the tidy tables.


rule nwb_to_tables:
    """Read one session's NWB file into units, trials and trial-aligned spikes (Parquet)."""
    input:
        nwb=lambda wc: SESSIONS[wc.session],
    output:
        units="results/sessions/{session}/units.parquet",
        trials="results/sessions/{session}/trials.parquet",
        spikes="results/sessions/{session}/spikes.parquet",
    params:
        areas=config["areas"],
        isi_threshold_ms=config["qc"]["isi_threshold_ms"],
        alignment=config["alignment"],
    resources:
        mem_mb=mem_mb(1000, 10),
        runtime=runtime(10, 0.2),
    retries: 1
    log:
        "logs/nwb_to_tables/{session}.log",
    benchmark:
        "benchmarks/nwb_to_tables/{session}.tsv"
    conda:
        "../envs/nwb.yaml"
    script:
        "../scripts/nwb_to_tables.py"
