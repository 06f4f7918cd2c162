"""Summary statistics of the study's released recordings, named once: the simulator is built to
match them and the summary report sets each run's values beside them. Data only (the simulator
may import it; it imports nothing)."""

# Axis-tuned VTC units: (median, lower quartile, upper quartile).
REAL_MARGINALS: dict[str, tuple[float, float, float]] = {
    "latency_ms": (159.0, 147.0, 177.0),
    "mean_rate_hz": (2.4, 1.4, 4.5),  # mean response rate over the 500 objects
    "max_rate_hz": (18.0, 11.0, 28.0),  # largest per-object rate
    "sparseness": (0.54, 0.40, 0.66),  # Vinje-Gallant, over the 500 objects
}
REAL_IMAGERY_SPEARMAN = 0.56  # imagery vs viewing rate, pooled over the imagined objects of reactivated units
REAL_IMAGERY_POSITIVE = 0.75  # share of reactivated units with a positive per-unit correlation
REAL_IMAGERY_RATIO = 0.9  # median imagery / viewing mean rate of reactivated units
