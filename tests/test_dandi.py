"""DANDI access: manifests, pinned versions, digests, the unreachable archive, and one real download."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from vtc_imagery.dandi import (
    MANIFEST_COLUMNS,
    check_version,
    download_asset,
    read_manifest,
    resolve_manifest,
    session_name,
    verify_digest,
)
from vtc_imagery.errors import ConfigError, InputDataError

UNREACHABLE = "http://127.0.0.1:9/api"  # the discard port: connection refused at once
REAL_API = "https://api.dandiarchive.org/api"


@pytest.mark.parametrize("path, name", [
    ("sub-1/sub-1_ses-1_ecephys+image.nwb", "sub-1_ses-1"),
    ("sub-P42CS/sub-P42CS_ses-2_ecephys.nwb", "sub-P42CS_ses-2"),
    ("sub-7/sub-7_ecephys.nwb", "sub-7"),
    ("recordings/my session.nwb", "my-session"),
])
def test_session_names_come_from_the_dandi_path(path, name):
    assert session_name(path) == name


@pytest.mark.parametrize("version", ["draft", "DRAFT", ""])
def test_draft_or_missing_versions_are_refused(version):
    with pytest.raises(ConfigError, match=r"dandi\.version"):
        check_version(version)


def test_a_manifest_round_trips(tmp_path):
    table = pd.DataFrame([dict(session="sub-1_ses-1", path="sub-1/sub-1_ses-1_ecephys.nwb", asset_id="abc",
                               size="10", sha256="00", dandi_etag="")])
    table.to_csv(tmp_path / "m.tsv", sep="\t", index=False)
    pd.testing.assert_frame_equal(read_manifest(tmp_path / "m.tsv"), table)


def test_a_manifest_missing_a_column_is_named(tmp_path):
    pd.DataFrame(dict(session=["a"], path=["a.nwb"])).to_csv(tmp_path / "m.tsv", sep="\t", index=False)
    with pytest.raises(InputDataError, match="asset_id"):
        read_manifest(tmp_path / "m.tsv")


def test_a_missing_manifest_says_how_to_make_it(tmp_path):
    with pytest.raises(InputDataError, match="dandi_manifest"):
        read_manifest(tmp_path / "absent.tsv")


def test_duplicate_session_names_in_a_manifest_are_refused(tmp_path):
    row = dict(zip(MANIFEST_COLUMNS, ["sub-1", "sub-1/a.nwb", "x", "1", "", ""], strict=True))
    pd.DataFrame([row, {**row, "path": "sub-1/b.nwb"}]).to_csv(tmp_path / "m.tsv", sep="\t", index=False)
    with pytest.raises(InputDataError, match="more than one asset"):
        read_manifest(tmp_path / "m.tsv")


def test_a_file_matching_the_manifest_digest_passes(tmp_path):
    f = tmp_path / "x.nwb"
    f.write_bytes(b"spikes" * 1000)
    verify_digest(f, str(f.stat().st_size), hashlib.sha256(f.read_bytes()).hexdigest(), "")


def test_a_digest_mismatch_is_named(tmp_path):
    f = tmp_path / "x.nwb"
    f.write_bytes(b"spikes" * 1000)
    with pytest.raises(InputDataError, match="sha256") as err:
        verify_digest(f, str(f.stat().st_size), "0" * 64, "")
    assert str(f) in str(err.value)


def test_a_size_mismatch_is_named(tmp_path):
    f = tmp_path / "x.nwb"
    f.write_bytes(b"abc")
    with pytest.raises(InputDataError, match="size 3 differs"):
        verify_digest(f, "4", "", "")


def test_an_unreachable_archive_gives_one_clear_message_when_resolving():
    with pytest.raises(InputDataError, match="cannot be reached") as err:
        resolve_manifest("000207", "0.230530.1822", "sub-*/*.nwb", UNREACHABLE)
    assert UNREACHABLE in str(err.value)


def test_an_unreachable_archive_gives_one_clear_message_when_downloading(tmp_path):
    asset = pd.Series(dict(session="sub-1_ses-1", path="sub-1/sub-1_ses-1_ecephys+image.nwb", asset_id="",
                           size="", sha256="", dandi_etag=""))
    with pytest.raises(InputDataError, match="cannot be reached"):
        download_asset("000207", "0.230530.1822", asset, tmp_path / "out.nwb", UNREACHABLE, tmp_path / "staging")
    assert not (tmp_path / "out.nwb").exists()


def _archive_reachable() -> bool:
    import requests

    try:
        return requests.get(f"{REAL_API}/info/", timeout=5).ok
    except requests.RequestException:
        return False


@pytest.mark.network
@pytest.mark.skipif(not _archive_reachable(), reason="the DANDI archive cannot be reached from here")
def test_one_real_asset_of_the_labs_dandiset_downloads_and_verifies(tmp_path):
    manifest = resolve_manifest("000207", "0.230530.1822", "sub-1/*.nwb", REAL_API)
    asset = manifest.iloc[0]
    target = tmp_path / f"{asset.session}.nwb"
    download_asset("000207", "0.230530.1822", asset, target, REAL_API, tmp_path / "staging")
    assert target.stat().st_size == int(asset["size"])
    from vtc_imagery.nwb.read import read_session

    try:
        content = read_session(target)
        assert len(content.spike_times) > 0
    except InputDataError as exc:  # 000207 has no per-trial stimulus ids; the message must say so
        assert "stim_id" in str(exc) and str(target) in str(exc)


def test_sessions_are_listed_in_natural_order():
    from vtc_imagery.sessions import natural_order

    names = ["sub-10_ses-2", "sub-2_ses-1", "sub-10_ses-10", "sub-10_ses-3", "sub-1_ses-1"]
    assert natural_order(names) == ["sub-1_ses-1", "sub-2_ses-1", "sub-10_ses-2", "sub-10_ses-3", "sub-10_ses-10"]
