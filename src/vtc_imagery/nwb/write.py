"""Write one session as a DANDI-ready NWB file (pynwb), in either of the lab's two layouts.

`pynwb` is the layout of the lab's Python exporters (000623): a ragged `units.electrodes` and
stimulus identity in trial columns. `matnwb` mimics its MATLAB exporters (000469): one electrode
row per unit with no index, a float64 `clusterID_orig`, and stimulus identity only in
`/stimulus/presentation/StimulusPresentation`. Tests use the second to check the reader on both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import h5py
import numpy as np
import pandas as pd

from ..io import atomic_path

# pynwb and hdmf are imported where a file is built: the simulator's plan (and so the Snakefile, through
# the calibration's cohort kinds) imports this module for SessionRecord, and pynwb costs half a second.
if TYPE_CHECKING:
    from hdmf.common import DynamicTable
    from pynwb import NWBFile
    from pynwb.epoch import TimeIntervals
    from pynwb.misc import Units

SYNTHETIC_NOTE = ("SYNTHETIC DATA from the vtc_imagery virtual cohort; not recordings from patients. "
                  "session_start_time is set to Jan 1 of the year, as in the lab's releases.")

TRIAL_COLUMNS = {
    "stim_id": "1-based object number (1-500 screening set, 1001+ synthetic stimuli, 0 none)",
    "stim_category": "category of the object: faces, text, plants, animals, objects, synthetic or none",
    "stim_phase": "task phase: screening, encoding, distractor, imagery or synthetic",
    "block": "repetition block (screening) or recall-trial index (imagery session phases)",
    "cue": "imagery cue tone (1 or 2; 0 for rows that are not imagery cues)",
    "pairing": "index of the recall trial whose pair of objects this row belongs to (-1 if none)",
}
UNIT_COLUMNS = {
    "clusterID_orig": "spike-sorter (OSort) cluster id",
    "waveforms_isolation_distance": "isolation distance of the cluster (NaN where undefined)",
    "waveforms_mean_snr": "mean signal-to-noise ratio of the waveform",
    "waveforms_peak_snr": "peak signal-to-noise ratio of the waveform",
    "waveforms_mean_proj_dist": "mean pairwise projection distance to other clusters on the wire",
}


@dataclass(frozen=True)
class SessionRecord:
    """Everything one NWB file holds, in plain tables and arrays."""

    subject_id: str
    session_id: str
    task: str  # screening | imagery | closed_loop
    age_years: int
    sex: str
    electrodes: pd.DataFrame  # location, x, y, z, group_name, filtering, origChannel
    units: pd.DataFrame  # electrode, clusterID_orig, waveform_mean (256 floats, µV) and UNIT_COLUMNS
    spike_times: list[np.ndarray]  # per unit, strictly ascending, s
    trials: pd.DataFrame  # start_time, stop_time and TRIAL_COLUMNS, sorted by start_time
    year: int = 2022


def write_session_nwb(record: SessionRecord, path: str | Path, layout: str = "pynwb") -> None:
    """Write `record` to `path` atomically (a temporary file renamed into place)."""
    from pynwb import NWBHDF5IO

    if layout not in ("pynwb", "matnwb"):
        raise ValueError(f"unknown NWB layout {layout!r}")
    nwb = _build_nwbfile(record, layout)
    with atomic_path(path) as tmp:
        with NWBHDF5IO(str(tmp), "w") as io:
            io.write(nwb)
        if layout == "matnwb":
            _flatten_unit_electrodes(tmp)


def _build_nwbfile(r: SessionRecord, layout: str) -> NWBFile:
    from pynwb import NWBFile
    from pynwb.file import Subject

    start = datetime(r.year, 1, 1, tzinfo=ZoneInfo("America/Los_Angeles"))
    prefix = "imagery" if r.task == "imagery" else "screening"
    nwb = NWBFile(
        session_description=f"{prefix}: {r.task.replace('_', '-')} session of the virtual cohort (SYNTHETIC)",
        identifier=f"sub-{r.subject_id}_ses-{r.session_id}_{r.task}_{layout}_SYNTHETIC",
        session_start_time=start,
        session_id=r.session_id,
        experiment_description=("SYNTHETIC. Simulated single units in human ventral temporal cortex viewing 500 "
                                "objects and imagining some of them, after Wadia et al., Science 2026."),
        experimenter=["Synthetic, Generator"],
        institution="Cedars-Sinai Medical Center",
        lab="Rutishauser",
        keywords=["synthetic", "single neurons", "ventral temporal cortex", "mental imagery", "object space"],
        notes=SYNTHETIC_NOTE,
        related_publications=["doi:10.1126/science.adt8343"],
        subject=Subject(subject_id=r.subject_id, age=f"P{r.age_years}Y", sex=r.sex, species="Homo sapiens",
                        description="epilepsy patient (synthetic)"),
    )
    device = nwb.create_device(name="NLX-microwires",
                               description="Behnke-Fried hybrid depth electrode microwires (Neuralynx)")
    groups = {}
    for name, loc in r.electrodes.groupby("group_name", sort=False).location.first().items():
        groups[name] = nwb.create_electrode_group(name=name, description=f"8-microwire bundle in {loc}",
                                                  location=loc, device=device)
    nwb.add_electrode_column(name="origChannel", description="1-based channel number on the recording system")
    for e in r.electrodes.itertuples():
        nwb.add_electrode(location=e.location, group=groups[e.group_name], x=e.x, y=e.y, z=e.z,
                          filtering=e.filtering, origChannel=float(e.origChannel))
    nwb.units = _units_table(r.units, r.spike_times, nwb.electrodes)
    columns = TRIAL_COLUMNS if layout == "pynwb" else {}
    nwb.trials = _trials_table(r.trials, columns)
    if layout == "matnwb":
        _add_stimulus_presentation(nwb, r.trials)
    return nwb


def _index(ends: np.ndarray) -> np.ndarray:
    """A ragged column's end offsets in the smallest unsigned type that holds them (as hdmf stores them)."""
    return ends.astype(next(t for t in (np.uint8, np.uint16, np.uint32, np.uint64) if ends.max(initial=0)
                            <= np.iinfo(t).max))


def _widest(values: np.ndarray) -> np.ndarray:
    return values.astype(np.int64 if values.dtype.kind in "iu" else np.float64)


def _units_table(units: pd.DataFrame, spike_times: list[np.ndarray], electrodes: DynamicTable) -> Units:
    """The units table built from whole columns: the same table as one `add_unit` per unit, without
    hdmf's per-spike dtype checks (which made up most of a session's write time)."""
    from hdmf.common import DynamicTableRegion, ElementIdentifiers, VectorData, VectorIndex
    from pynwb.misc import Units

    n = len(units)
    spikes = VectorData(name="spike_times", description="the spike times for each unit in seconds",
                        data=np.concatenate([np.asarray(s, dtype=np.float64) for s in spike_times]) if n
                        else np.empty(0))
    region = DynamicTableRegion(name="electrodes", description="the electrodes that each spike unit came from",
                                data=units.electrode.to_numpy(dtype=np.int64), table=electrodes)
    waveforms = VectorData(name="waveform_mean", description="the spike waveform mean for each spike unit",
                           data=np.stack([np.asarray(w, dtype=np.float64) for w in units.waveform_mean]) if n
                           else np.empty((0, 256)))
    # integers as int64 and floats as float64, as add_unit stores the Python numbers it is given
    columns = [VectorData(name=c, description=d, data=_widest(units[c].to_numpy())) for c, d in UNIT_COLUMNS.items()]
    columns += [spikes, VectorIndex(name="spike_times_index", target=spikes,
                                    data=_index(np.cumsum([len(s) for s in spike_times]))),
                region, VectorIndex(name="electrodes_index", target=region, data=_index(np.arange(1, n + 1))),
                waveforms]
    return Units(name="units", description="sorted single units (simulated spike trains)",
                 id=ElementIdentifiers(name="id", data=np.arange(n)), columns=columns,
                 resolution=1 / 32000, waveform_rate=1e5, waveform_unit="microvolts", electrode_table=electrodes)


def _trials_table(trials: pd.DataFrame, columns: dict[str, str]) -> TimeIntervals:
    """The trials table built from whole columns: the same table as one `add_trial` per row, without
    hdmf's per-row argument checks (which made up most of a session's write time)."""
    from hdmf.common import ElementIdentifiers, VectorData
    from pynwb.epoch import TimeIntervals

    data = {name: trials[name].to_numpy() for name in ("start_time", "stop_time", *columns)}
    described = {"start_time": "Start time of epoch, in seconds", "stop_time": "Stop time of epoch, in seconds",
                 **columns}
    return TimeIntervals(name="trials", description="experimental trials",
                         id=ElementIdentifiers(name="id", data=np.arange(len(trials))),
                         columns=[VectorData(name=name, description=described[name],
                                             data=v.astype(str).tolist() if v.dtype == object else v)
                                  for name, v in data.items()])


def _add_stimulus_presentation(nwb: NWBFile, trials: pd.DataFrame) -> None:
    """000469-style stimulus identity: an IndexSeries of 0-based indices into the templates."""
    from pynwb.base import ImageReferences, Images
    from pynwb.image import IndexSeries, RGBImage

    ids = np.unique(trials.stim_id)
    images = [RGBImage(name=f"image_{i}", data=np.full((4, 4, 3), i % 256, dtype=np.uint8),
                       description=f"placeholder for stimulus {i}") for i in ids]
    templates = Images(name="StimulusTemplates", images=images, description="stimulus templates",
                       order_of_images=ImageReferences(name="order_of_images", data=images))
    nwb.add_stimulus_template(templates)
    index = np.searchsorted(ids, trials.stim_id.to_numpy()).astype(np.uint32)
    nwb.add_stimulus(IndexSeries(name="StimulusPresentation", data=index, indexed_images=templates,
                                 unit="N/A", timestamps=trials.start_time.to_numpy(),
                                 description="Presentation order of the stimulus. Indexes 'StimulusTemplates'"))


def _flatten_unit_electrodes(path: Path) -> None:
    """Rewrite units/electrodes as one region row per unit without an index (the matnwb layout),
    and store clusterID_orig as float64, as some of the lab's MATLAB-written files do."""
    with h5py.File(path, "r+") as f:
        units = f["units"]
        ends = units["electrodes_index"][:]
        rows = units["electrodes"][:][np.r_[0, ends[:-1]]]
        attrs = dict(units["electrodes"].attrs)
        del units["electrodes"], units["electrodes_index"]
        ds = units.create_dataset("electrodes", data=rows.astype(np.int32))
        for k, v in attrs.items():
            ds.attrs[k] = v
        cluster = units["clusterID_orig"][:].astype(np.float64)
        cattrs = dict(units["clusterID_orig"].attrs)
        del units["clusterID_orig"]
        ds = units.create_dataset("clusterID_orig", data=cluster)
        for k, v in cattrs.items():
            ds.attrs[k] = v
