"""BIRCH clustering: replaces AVES2's ml/cluster/birch (same args)."""

import sys

from aves2_runtime.tabular import Arg, cluster_main

ARGS = [
    Arg("n_clusters", "int", 3, minimum=1),
    Arg("branching_factor", "int", 50, "subclusters per node", minimum=2),
    Arg("threshold", "float", 0.5, "largest radius of a subcluster", minimum=1e-12),
]


def build(a, x):
    from sklearn.cluster import Birch

    return Birch(n_clusters=a.n_clusters, branching_factor=a.branching_factor, threshold=a.threshold)


if __name__ == "__main__":
    sys.exit(cluster_main("birch", build, ARGS, clusters_param="n_clusters"))
