"""DBSCAN density clustering: replaces AVES2's ml/cluster/dbscan (same args)."""

import sys

from aves2_runtime.tabular import Arg, cluster_main

ARGS = [
    Arg("eps", "float", 0.3, "neighbourhood radius", minimum=1e-12),
    Arg("min_samples", "int", 10, "neighbours (itself included) that make a core point", minimum=1),
]


def build(a, x):
    from sklearn.cluster import DBSCAN

    return DBSCAN(eps=a.eps, min_samples=a.min_samples)


if __name__ == "__main__":
    sys.exit(cluster_main("dbscan", build, ARGS))
