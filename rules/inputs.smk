# Inputs: the virtual cohort, a pinned dandiset, or a local folder -> NWB files under data/.


localrules:
    download_dandi,
    dandi_manifest,
    link_local,


rule simulate_cohort:
    """Simulate the virtual cohort: one DANDI-layout NWB file per session, the object space, and the
    truth tables (SIMULATED; read only by tests and the summary report)."""
    output:
        nwb=list(SESSIONS.values()) if SYNTHETIC_SOURCE else [],
        object_space=f"{SYNTH_DIR}/object_space.h5",
        truth_units=f"{SYNTH_DIR}/truth/units.parquet",
        truth_sessions=f"{SYNTH_DIR}/truth/sessions.parquet",
        dandiset=f"{SYNTH_DIR}/dandiset.yaml",
    log:
        "logs/simulate_cohort.log",
    benchmark:
        "benchmarks/simulate_cohort.tsv"
    conda:
        "../envs/nwb.yaml"
    threads: 2
    resources:
        mem_mb=mem_mb(3000),
        runtime=runtime(30),
    params:
        simulation=config["simulation"],
        out_dir=lambda wc, output: str(Path(output.object_space).parent),
    script:
        "../scripts/simulate_cohort.py"


rule dandi_manifest:
    """Resolve the pinned dandiset's asset list once (path, asset id, size, digests) for committing."""
    output:
        config["dandi"]["manifest"],
    log:
        "logs/dandi_manifest.log",
    conda:
        "../envs/nwb.yaml"
    params:
        dandiset_id=config["dandi"]["dandiset_id"],
        version=config["dandi"]["version"],
        glob=config["dandi"]["glob"],
        api_url=config["dandi"]["api_url"],
    script:
        "../scripts/dandi_manifest.py"


rule download_dandi:
    """Download one asset of the pinned dandiset with the dandi client (resumable; digest-checked)."""
    input:
        manifest=config["dandi"]["manifest"],
    output:
        protected(f"{DANDI_DIR}/{{session}}.nwb"),
    log:
        "logs/download_dandi/{session}.log",
    # No retries: the dandi client retries transient failures itself, and an unreachable archive or a
    # digest mismatch would only fail again.
    conda:
        "../envs/nwb.yaml"
    params:
        dandiset_id=config["dandi"]["dandiset_id"],
        version=config["dandi"]["version"],
        api_url=config["dandi"]["api_url"],
        staging=lambda wc, output: str(Path(output[0]).parent / ".staging" / wc.session),
    script:
        "../scripts/download_dandi.py"


rule link_local:
    """Link a local NWB file into data/local/ (a symlink: the file is referenced, never copied)."""
    output:
        "data/local/{session}.nwb",
    log:
        "logs/link_local/{session}.log",
    conda:
        "../envs/nwb.yaml"
    params:
        source=lambda wc: LOCAL_SOURCES[wc.session],
    shell:
        "ln -sfn {params.source:q} {output:q} 2> {log}"
