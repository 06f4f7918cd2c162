"""Rule dandi_manifest: resolve the pinned dandiset's asset list once, for committing."""
import sys

from vtc_imagery.dandi import resolve_manifest
from vtc_imagery.io import write_tsv_atomic
from vtc_imagery.runner import run_rule


def main(smk):
    p = smk.params
    manifest = resolve_manifest(p.dandiset_id, p.version, p.glob, p.api_url)
    write_tsv_atomic(manifest, smk.output[0])
    print(f"DANDI:{p.dandiset_id}/{p.version}: {len(manifest)} assets -> {smk.output[0]}; commit it",
          file=sys.stderr)


run_rule(snakemake, main)
