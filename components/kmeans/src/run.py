"""k-means clustering: replaces AVES2's ml/cluster/kmeans (same args)."""

import sys

from aves2_runtime.tabular import Arg, cluster_main

ARGS = [
    Arg("n_clusters", "int", 3, minimum=1),
    Arg("n_init", "int", 10, "runs from different centroid seeds; the best is kept", minimum=1),
    Arg("max_iter", "int", 300, minimum=1),
]


def build(a, x):
    from sklearn.cluster import KMeans

    return KMeans(n_clusters=a.n_clusters, n_init=a.n_init, max_iter=a.max_iter, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(cluster_main("kmeans", build, ARGS, clusters_param="n_clusters"))
