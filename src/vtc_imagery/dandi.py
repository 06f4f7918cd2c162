"""DANDI access: a frozen asset manifest, pinned versions, and verified, resumable downloads.

The manifest (path, asset_id, size, sha256, dandi_etag) is resolved once from the archive and
committed; the workflow's DAG is then known without the network. Downloads use the dandi client's
`download()`, which resumes partial files; each finished file is checked against the manifest.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from pathlib import Path

import pandas as pd

from .errors import ConfigError, InputDataError

MANIFEST_COLUMNS = ("session", "path", "asset_id", "size", "sha256", "dandi_etag")


def check_version(version: str) -> str:
    """The version if it is a published one; `draft` (or nothing) is refused."""
    if not version or version.strip().lower() == "draft":
        raise ConfigError(f"config key 'dandi.version': {version!r} is not a published version; a draft can "
                          "change under a pinned analysis")
    return version


def session_name(asset_path: str) -> str:
    """`sub-<N>_ses-<K>` from a DANDI asset path, else the file stem made filename-safe."""
    stem = Path(asset_path).name.split(".")[0]
    m = re.match(r"(sub-[^_/]+)(?:_(ses-[^_/]+))?", stem)
    if m:
        return "_".join(g for g in m.groups() if g)
    return re.sub(r"[^A-Za-z0-9-]+", "-", stem).strip("-")


def read_manifest(path: str | Path) -> pd.DataFrame:
    """The frozen asset list; a missing file or column gives an error naming it."""
    path = Path(path)
    if not path.exists():
        raise InputDataError(f"{path}: DANDI manifest not found; build it once with "
                             "`snakemake dandi_manifest --config source=dandi ...` and commit it")
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False)
    missing = [c for c in MANIFEST_COLUMNS if c not in table.columns]
    if missing:
        raise InputDataError(f"{path}: manifest lacks the column(s) {missing}")
    if table.session.duplicated().any():
        dup = table.session[table.session.duplicated()].iloc[0]
        raise InputDataError(f"{path}: session name {dup!r} is given to more than one asset")
    return table


def _client(api_url: str):
    from dandi.dandiapi import DandiAPIClient

    return DandiAPIClient(api_url=api_url)


# Seconds to connect to the archive and to get its first answer: the reachability check fails fast
# instead of waiting out the client's own retries (minutes) when the host is down or unroutable.
REACHABILITY_TIMEOUT_S = 10.0


def _unreachable(api_url: str, exc: Exception) -> InputDataError:
    import requests

    if isinstance(exc, requests.Timeout):
        reason = f"no answer within {REACHABILITY_TIMEOUT_S:g} s"
    elif isinstance(exc, requests.ConnectionError):
        reason = "the connection failed"
    else:
        reason = type(exc).__name__
    return InputDataError(f"the DANDI archive at {api_url} cannot be reached ({reason}); "
                          "check the network (downloads run on the login node) or use source: local")


def check_reachable(api_url: str) -> None:
    """Send one request to the archive's /info/ endpoint, with a short timeout; raise the one-line
    InputDataError if no answer comes. Any HTTP answer counts as reachable (later calls name their
    own errors). The dandi client's objects are lazy and send nothing until used, so this is the
    only early check."""
    import requests

    try:
        requests.get(f"{api_url.rstrip('/')}/info/", timeout=REACHABILITY_TIMEOUT_S)
    except requests.RequestException as exc:
        raise _unreachable(api_url, exc) from None


def resolve_manifest(dandiset_id: str, version: str, glob: str, api_url: str) -> pd.DataFrame:
    """Ask the archive for the assets of a pinned dandiset version that match `glob`."""
    check_version(version)
    check_reachable(api_url)
    try:
        with _client(api_url) as client:
            dandiset = client.get_dandiset(dandiset_id, version)
            rows = []
            for asset in dandiset.get_assets_by_glob(glob, order="path"):
                digests = asset.get_raw_metadata().get("digest", {})
                rows.append(dict(session=session_name(asset.path), path=asset.path, asset_id=asset.identifier,
                                 size=str(asset.size), sha256=digests.get("dandi:sha2-256", ""),
                                 dandi_etag=digests.get("dandi:dandi-etag", "")))
    except (ConfigError, InputDataError):
        raise
    except Exception as exc:
        if _is_connection_error(exc):
            raise _unreachable(api_url, exc) from None
        raise InputDataError(f"DANDI:{dandiset_id}/{version}: {type(exc).__name__}: {exc}") from exc
    if not rows:
        raise InputDataError(f"DANDI:{dandiset_id}/{version} has no assets matching {glob!r}")
    return pd.DataFrame(rows, columns=list(MANIFEST_COLUMNS))


def _is_connection_error(exc: Exception) -> bool:
    import requests

    seen = exc
    while seen is not None:
        if isinstance(seen, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError)):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def verify_digest(path: str | Path, size: str, sha256: str, dandi_etag: str) -> None:
    """Check a downloaded file's size and digest against the manifest; raise naming the file if off."""
    path = Path(path)
    actual = path.stat().st_size
    if size and int(size) != actual:
        raise InputDataError(f"{path}: size {actual} differs from the manifest's {size}")
    if sha256:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        if h.hexdigest() != sha256.lower():
            raise InputDataError(f"{path}: sha256 {h.hexdigest()} differs from the manifest's {sha256}")
    elif dandi_etag:
        from dandi.support.digests import get_dandietag

        got = get_dandietag(path).as_str()
        if got != dandi_etag:
            raise InputDataError(f"{path}: dandi-etag {got} differs from the manifest's {dandi_etag}")


def download_asset(dandiset_id: str, version: str, asset: pd.Series, target: str | Path, api_url: str,
                   staging: str | Path) -> None:
    """Download one manifest asset to `target`, resuming a partial download left in `staging`.

    The file appears at `target` only once its digest matches the manifest; a mismatching file is
    deleted so that a rerun downloads it again.
    """
    from dandi.download import DownloadExisting, DownloadFormat, download

    check_version(version)
    target, staging = Path(target), Path(staging)
    check_reachable(api_url)
    staging.mkdir(parents=True, exist_ok=True)
    try:
        url = f"{api_url.rstrip('/')}/dandisets/{dandiset_id}/versions/{version}/assets/?path={asset.path}"
        try:
            download([url], str(staging), existing=DownloadExisting.REFRESH, format=DownloadFormat.DEBUG, jobs=1)
        except Exception as exc:
            if _is_connection_error(exc):
                raise _unreachable(api_url, exc) from None
            raise InputDataError(f"DANDI:{dandiset_id}/{version}: download of {asset.path} failed "
                                 f"({type(exc).__name__}: {exc})") from exc
        got = next((p for p in staging.rglob(Path(asset.path).name) if p.is_file()), None)
        if got is None:
            raise InputDataError(f"DANDI:{dandiset_id}/{version}: download of {asset.path} produced no file")
        try:
            verify_digest(got, asset["size"], asset.sha256, asset.dandi_etag)
        except InputDataError:
            got.unlink()
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(got), target)
        os.utime(target)
    finally:
        _remove_empty_folders(staging, stop=target.parent)


def _remove_empty_folders(folder: Path, stop: Path) -> None:
    """Remove `folder` and its parents up to (not including) `stop` while they are empty: a partial
    download stays for the next attempt to resume, an empty staging folder does not."""
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
    while folder.exists() and folder != stop and folder.is_relative_to(stop) and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
