"""Cohort profiles of the virtual cohort: the study design as numbers, and the session list it implies.

The session list is a pure function of the profile (no randomness), so the workflow knows every
session at parse time and the DAG is wide from the start.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .realism import Realism

SCREENING, IMAGERY, CLOSED_LOOP = "screening", "imagery", "closed_loop"


@dataclass(frozen=True)
class SessionPlan:
    """One recording session of the virtual cohort."""

    subject: str  # numeric DANDI subject id, e.g. "3"
    session: str  # session number within the subject, e.g. "2"
    kind: str  # screening | imagery | closed_loop
    n_vtc_units: int
    n_other_units: int
    n_imagined: int = 0  # objects imagined (imagery sessions only)

    @property
    def name(self) -> str:
        return f"sub-{self.subject}_ses-{self.session}"

    @property
    def path(self) -> str:
        """DANDI-layout path of the session's NWB file, relative to the dataset root."""
        return f"sub-{self.subject}/{self.name}_ecephys.nwb"


@dataclass(frozen=True)
class CohortProfile:
    """The design of a virtual cohort. Fractions are of the VTC units of the whole cohort."""

    name: str
    n_patients: int
    n_vtc_units: int
    other_units_per_session: int
    imagery_sessions: tuple[tuple[int, int], ...]  # (patient, number of imagined objects) per session
    closed_loop_patients: tuple[int, ...]
    imagery_unit_share: float  # share of VTC units recorded in imagery sessions
    n_database: int  # objects in the reconstruction database
    axis_tuned_fraction: float = 367 / 714
    other_responsive_fraction: float = (456 - 367) / 714
    reactivated_fraction: float = 43 / 107
    null_tuning: bool = False  # responsive units respond at random, unrelated to the object features
    # Responsive VTC units driven by their object's category alone (no axis or exemplar term): the null
    # of axis tuning beyond category.
    category_only: bool = False
    n_features: int = 50
    n_repetitions: int = 4
    stim_on_s: float = 0.2666
    stim_off_s: float = 0.1335
    realism: Realism = field(default_factory=Realism)  # nuisances of real recordings; Realism(enabled=False): idealised

    def sessions(self) -> list[SessionPlan]:
        """All sessions: one screening session per patient, then imagery and closed-loop re-screens.

        VTC units are split evenly (largest remainder) within each of the two session groups so
        that imagery sessions hold `imagery_unit_share` of them.
        """
        kinds: list[tuple[int, str, int]] = [(p, SCREENING, 0) for p in range(1, self.n_patients + 1)]
        kinds += [(p, IMAGERY, n) for p, n in self.imagery_sessions]
        kinds += [(p, CLOSED_LOOP, 0) for p in self.closed_loop_patients]
        n_img = sum(1 for _, k, _ in kinds if k == IMAGERY)
        n_imagery_units = round(self.n_vtc_units * self.imagery_unit_share) if n_img else 0
        img_counts = _split(n_imagery_units, n_img)
        rest_counts = _split(self.n_vtc_units - n_imagery_units, len(kinds) - n_img)
        next_session: dict[int, int] = {}
        plans = []
        for patient, kind, n_imagined in sorted(kinds, key=lambda k: k[0]):
            next_session[patient] = next_session.get(patient, 0) + 1
            n_vtc = img_counts.pop(0) if kind == IMAGERY else rest_counts.pop(0)
            plans.append(SessionPlan(str(patient), str(next_session[patient]), kind, n_vtc,
                                     self.other_units_per_session, n_imagined))
        return plans


def _split(total: int, parts: int) -> list[int]:
    """Split `total` into `parts` integers that differ by at most one."""
    if parts == 0:
        return []
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


PROFILES: dict[str, CohortProfile] = {
    # The paper's design: 16 patients, 714 VTC units, 6 imagery patients with 11 sessions
    # (6 objects in the first two, 8 in the rest), closed-loop re-screens in three patients.
    "paper": CohortProfile(
        name="paper",
        n_patients=16,
        n_vtc_units=714,
        other_units_per_session=8,
        imagery_sessions=((3, 6), (3, 6), (3, 8), (5, 8), (5, 8), (7, 8), (7, 8), (10, 8), (10, 8),
                          (12, 8), (14, 8)),
        closed_loop_patients=(6, 9, 14),
        imagery_unit_share=0.29,
        n_database=17_856,
    ),
    # The calibration suite's cohort: ci-sized, but four patients with one screening and one imagery
    # session each, so that effects can vary by patient and the imagery models have patients to pool.
    "calibration": CohortProfile(
        name="calibration",
        n_patients=4,
        n_vtc_units=64,
        other_units_per_session=2,
        imagery_sessions=((1, 8), (2, 8), (3, 8), (4, 8)),
        closed_loop_patients=(),
        imagery_unit_share=0.6,
        n_database=600,
    ),
    # A small cohort for tests: every session kind once or twice, a few units each.
    "ci": CohortProfile(
        name="ci",
        n_patients=2,
        n_vtc_units=48,
        other_units_per_session=3,
        imagery_sessions=((2, 6),),
        closed_loop_patients=(1,),
        # Above the paper's 0.29 so that the imagery session has enough axis-tuned and reactivated units
        # for the end-to-end checks to mean something.
        imagery_unit_share=0.6,
        n_database=2_000,
    ),
}


def get_profile(name: str, **overrides: float | bool | Realism | None) -> CohortProfile:
    """The named profile, with any non-None overrides (fractions, null_tuning, category_only, realism)
    applied."""
    profile = PROFILES[name]
    changes = {k: v for k, v in overrides.items() if v is not None}
    return replace(profile, **changes) if changes else profile
