"""The virtual cohort: a simulator that writes DANDI-layout NWB files with the paper's design, an
object-space file, and truth tables that only tests and the summary report compare against.

Same profile and seed give the same data (NWB object ids and creation dates aside). The profiles
here are realistic (realism.py: renewal spiking with bursts, trial gain, drift, patient effects,
tuning that is not the analysis's model, noisy imagery; marginals.py measures it against the real
recordings), and the workflow simulates them by default (config simulation.realism: true);
`Realism(enabled=False)` gives back the idealised cohort. The simulator imports nothing from the
analysis: only file writing (..io, ..nwb.write) and the category names (..categories).
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import h5py
import numpy as np

from ..io import atomic_path
from .cohort import CohortPlan, plan_cohort
from .profiles import PROFILES, CohortProfile, SessionPlan, get_profile
from .session import session_record, simulate_session

__all__ = ["PROFILES", "CohortProfile", "SessionPlan", "get_profile", "plan_cohort", "simulate_cohort",
           "write_object_space"]

DANDISET_YAML = """identifier: DANDI:999999
name: SYNTHETIC - virtual cohort after Wadia et al. (Science 2026); not real data
description: Simulated single units in human ventral temporal cortex (profile {profile}, seed {seed}).
"""


def simulate_cohort(profile: CohortProfile, seed: int, out_dir: str | Path, jobs: int = 1,
                    sessions: list[str] | None = None) -> list[Path]:
    """Write every session's NWB file (or only the named `sessions`; the others are still planned,
    so the written ones are the same as in the whole cohort), object_space.h5, truth/*.parquet and
    dandiset.yaml under out_dir."""
    out = Path(out_dir)
    plan = plan_cohort(profile, seed)
    write_object_space(plan, out / "object_space.h5", profile.name, seed)
    write_truth(plan, out / "truth")
    (out / "dandiset.yaml").write_text(DANDISET_YAML.format(profile=profile.name, seed=seed))
    sessions = [s for s in profile.sessions() if sessions is None or s.name in sessions]
    args = [(plan, profile, s, seed, out / s.path) for s in sessions]
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(_write_one, args))
    else:
        for a in args:
            _write_one(a)
    return [out / s.path for s in sessions]


def _write_one(args: tuple[CohortPlan, CohortProfile, SessionPlan, int, Path]) -> None:
    plan, profile, session, seed, path = args
    data = simulate_session(plan, profile, session.name, seed)
    row = plan.sessions.set_index("session_name").loc[session.name]
    from ..nwb.write import write_session_nwb  # pynwb: slow to import, and only the writers need it

    write_session_nwb(session_record(data, row, seed), path)
    print(f"wrote {path} ({len(data.units)} units, {len(data.trials)} trials)", flush=True)


def write_object_space(plan: CohortPlan, path: Path, profile: str, seed: int) -> None:
    """The object-space file: features of the 500 objects, the database, and synthetic stimuli."""
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs["description"] = ("SIMULATED object space: 50-d PCA-like features of the 500 screening objects, "
                                  "a reconstruction database in the same space, and closed-loop synthetic stimuli")
        f.attrs["simulated"] = True
        f.attrs["profile"], f.attrs["seed"] = profile, seed
        f["stim_id"] = np.arange(1, len(plan.objects.features) + 1)
        f["features"] = plan.objects.features
        f["category"] = plan.objects.categories.astype("S")
        f["database/features"] = plan.objects.database
        f["database/category"] = plan.objects.database_categories.astype("S")
        s = plan.synthetic
        f["synthetic/session"] = s.session_name.to_numpy().astype("S")
        f["synthetic/stim_id"] = s.stim_id.to_numpy(np.int64)
        f["synthetic/axis"] = s.axis.to_numpy().astype("S")
        f["synthetic/step"] = s.step.to_numpy(np.float64)
        f["synthetic/features"] = (np.stack(s.features) if len(s)
                                   else np.zeros((0, plan.objects.features.shape[1])))


def write_truth(plan: CohortPlan, folder: Path) -> None:
    """Truth tables (SIMULATED ground truth): units.parquet and sessions.parquet."""
    folder.mkdir(parents=True, exist_ok=True)
    units = plan.units.drop(columns=["bundle_locations"]).copy()
    for column in ("axis", "axis_raw"):
        if column in units:
            units[column] = [list(map(float, a)) for a in units[column]]
    sessions = plan.sessions.copy()
    sessions["pairs"] = [[list(p) for p in pairs] for pairs in sessions.pairs]
    units.to_parquet(folder / "units.parquet", index=False)
    sessions.to_parquet(folder / "sessions.parquet", index=False)
