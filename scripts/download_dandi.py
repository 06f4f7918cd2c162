"""Rule download_dandi: fetch one asset of the pinned dandiset, verified against the manifest."""
import sys

from vtc_imagery.dandi import download_asset, read_manifest
from vtc_imagery.runner import run_rule


def main(smk):
    p = smk.params
    manifest = read_manifest(smk.input.manifest).set_index("session", drop=False)
    asset = manifest.loc[smk.wildcards.session]
    download_asset(p.dandiset_id, p.version, asset, smk.output[0], p.api_url, p.staging)
    print(f"DANDI:{p.dandiset_id}/{p.version}/{asset.path} -> {smk.output[0]} (digest verified)", file=sys.stderr)


run_rule(snakemake, main)
