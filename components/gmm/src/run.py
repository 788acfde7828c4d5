"""Gaussian mixture clustering: replaces AVES2's ml/cluster/gmm (same args)."""

import sys

from aves2_runtime.tabular import Arg, cluster_main

ARGS = [
    Arg("n_components", "int", 2, "mixture components (clusters)", minimum=1),
    Arg("covariance_type", "choice", "full", choices=["full", "tied", "diag", "spherical"]),
    Arg("tol", "float", 0.001, "convergence threshold", minimum=1e-12),
    Arg("max_iter", "int", 100, minimum=1),
]


def build(a, x):
    from sklearn.mixture import GaussianMixture

    return GaussianMixture(n_components=a.n_components, covariance_type=a.covariance_type, tol=a.tol, max_iter=a.max_iter, random_state=a.seed)


if __name__ == "__main__":
    sys.exit(cluster_main("gmm", build, ARGS, clusters_param="n_components"))
