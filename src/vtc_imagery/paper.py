"""The paper's numbers (Wadia et al., Science 2026), named once: every table, check and figure
that sets a result beside the paper takes them from here."""

from __future__ import annotations

from .selection import VTC

N_VTC = 714  # single units recorded in VTC
N_RESPONSIVE = 456  # visually responsive VTC units
N_AXIS_TUNED = 367  # axis-tuned responsive VTC units
N_AXIS_TUNED_IN_IMAGERY = 107  # axis-tuned VTC units recorded in an imagery session
N_REACTIVATED = 43  # of those, reactivated during imagery

# The selection funnel, stage -> the paper's count (None: not reported).
FUNNEL = {"recorded": None, VTC: N_VTC, "responsive": N_RESPONSIVE, "axis-tuned": N_AXIS_TUNED,
          "axis-tuned beyond category": None,
          "axis-tuned in imagery sessions": N_AXIS_TUNED_IN_IMAGERY, "reactivated": N_REACTIVATED}
# The stage each stage selects from, where it is not the one before it.
FUNNEL_PARENT = {"axis-tuned in imagery sessions": "axis-tuned"}
