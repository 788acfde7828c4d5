"""Spectral clustering: replaces AVES2's ml/cluster/spectral (same args)."""

import sys

from aves2_runtime.tabular import Arg, cluster_main

ARGS = [
    Arg("n_clusters", "int", 3, minimum=1),
    Arg("n_init", "int", 10, "k-means runs on the embedding; the best is kept", minimum=1),
    # "precomputed" (upstream's comment lists it) needs an affinity matrix, not a table of features
    Arg("affinity", "choice", "rbf", choices=["rbf", "nearest_neighbors"]),
]


def build(a, x):
    from sklearn.cluster import SpectralClustering

    return SpectralClustering(n_clusters=a.n_clusters, n_init=a.n_init, affinity=a.affinity, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(cluster_main("spectral-clustering", build, ARGS, clusters_param="n_clusters"))
