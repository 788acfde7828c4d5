"""Agglomerative (hierarchical) clustering: replaces AVES2's ml/cluster/agglome (same args)."""

import sys

from aves2_runtime.tabular import Arg, cluster_main

ARGS = [
    Arg("n_clusters", "int", 2, minimum=1),
    Arg("linkage", "choice", "ward", choices=["ward", "complete", "average", "single"]),
]


def build(a, x):
    from sklearn.cluster import AgglomerativeClustering

    return AgglomerativeClustering(n_clusters=a.n_clusters, linkage=a.linkage)


if __name__ == "__main__":
    sys.exit(cluster_main("agglomerative-clustering", build, ARGS, clusters_param="n_clusters"))
