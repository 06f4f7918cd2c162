"""The session list of a run, known at parse time: session name -> NWB path (workdir-relative)."""

from __future__ import annotations

import re
from pathlib import Path

from .dandi import read_manifest, session_name
from .errors import InputDataError
from .simulate.profiles import get_profile


def session_inputs(config: dict) -> dict[str, str]:
    """Map each session of the configured source to the NWB path its tables are made from."""
    source = config["source"]
    if source == "synthetic":
        profile = get_profile(config["simulation"]["profile"])
        return {s.name: f"data/synthetic/{profile.name}/{s.path}" for s in profile.sessions()}
    if source == "dandi":
        d = config["dandi"]
        if not Path(d["manifest"]).exists():
            return {}  # the run's first job is then to resolve the manifest (rule dandi_manifest)
        manifest = read_manifest(d["manifest"])
        return {s: f"data/dandi/{d['dandiset_id']}/{d['version']}/{s}.nwb" for s in manifest.session}
    return {name: f"data/local/{name}.nwb" for name in local_sources(config)}


def local_sources(config: dict) -> dict[str, str]:
    """For source local: session name -> absolute path of the user's file (found recursively)."""
    folder = Path(config["local"]["folder"])
    files = sorted(p for p in folder.rglob("*.nwb") if not p.name.startswith("."))
    if not files:
        raise InputDataError(f"{folder}: no *.nwb files found (config key 'local.folder')")
    names: dict[str, str] = {}
    for f in files:
        name = session_name(str(f.relative_to(folder)))
        if name in names:
            raise InputDataError(f"{folder}: two files give the session name {name!r}: {names[name]} and {f}")
        names[name] = str(f.resolve())
    return names


def synthetic_sessions(sessions: dict[str, str], local: dict[str, str]) -> list[str]:
    """The sessions whose NWB file marks itself as simulated (nwb.read.marks_itself_synthetic): for
    source local the user's files, for dandi the files already downloaded. Their results are
    labelled SIMULATED whatever the configured source."""
    from .nwb.read import marks_itself_synthetic

    paths = {name: local.get(name, path) for name, path in sessions.items()}
    return sorted(name for name, path in paths.items() if Path(path).exists() and marks_itself_synthetic(path))


def imagery_sessions(config: dict, sessions: dict[str, str], local: dict[str, str]) -> list[str]:
    """The sessions that can hold imagery trials, known at parse time: the imagery stages run for
    these only, since a job per session only to say it has no imagery cost about a second each (19 of
    the paper cohort's 30 sessions). The virtual cohort: its imagery sessions. Source local: the
    files whose trials table has an imagery phase (nwb.read.may_hold_imagery; one that cannot be read
    here counts, and its own job says what is wrong). DANDI: every session, as its files arrive
    during the run."""
    from .nwb.read import may_hold_imagery
    from .simulate.profiles import IMAGERY

    if config["source"] == "synthetic":
        profile = get_profile(config["simulation"]["profile"])
        return [s.name for s in profile.sessions() if s.kind == IMAGERY and s.name in sessions]
    if config["source"] == "local":
        return [name for name, path in local.items() if name in sessions and may_hold_imagery(path)]
    return list(sessions)


def natural_order(names) -> list[str]:
    """Session names in natural order: the numbers in a name compare as numbers (sub-2_ses-1 before
    sub-10_ses-1), so that tables and reports list sessions as people count them."""
    return sorted(names, key=lambda name: [(0, int(part), "") if part.isdigit() else (1, 0, part)
                                           for part in re.split(r"(\d+)", name)])
