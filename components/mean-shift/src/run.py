"""Mean shift clustering: replaces AVES2's ml/cluster/meanshift (same args)."""

import sys

from aves2_runtime.tabular import Arg, cluster_main

ARGS = [
    Arg("quantile", "float", 0.2, "the bandwidth is this quantile of the pairwise distances", minimum=1e-12, maximum=1.0),
    Arg("n_samples", "int", 500, "rows sampled to estimate the bandwidth", minimum=1),
    Arg("bin_seeding", "bool", False, "start from a grid of binned points (faster on many rows)"),
]


def build(a, x):
    from sklearn.cluster import MeanShift, estimate_bandwidth

    bandwidth = estimate_bandwidth(x, quantile=a.quantile, n_samples=min(a.n_samples, len(x)), random_state=a.seed)
    return MeanShift(bandwidth=bandwidth if bandwidth > 0 else None, bin_seeding=a.bin_seeding)


if __name__ == "__main__":
    sys.exit(cluster_main("mean-shift", build, ARGS))
