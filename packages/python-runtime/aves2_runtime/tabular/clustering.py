"""Fit and score for the clustering components.

    python3 run.py --data_dir DIR --output_path DIR [component args]

As upstream: every column of data_dir/data.csv (else train.csv) is a
feature; output_path gets the model, result.json (the upstream's
calinski_harabaz_score plus silhouette, calinski_harabasz and
davies_bouldin) and result.csv, the rows with a PREDICT column (the cluster,
-1 for noise).
"""

import os

from ..problems import refusing_bad_input
from ..tables import read_table, pick_file
from . import features, model_store, report
from .args import Arg, parse_args
from .session import Stopwatch, announce, fit_or_refuse, plain_warnings, require_sklearn

CLUSTER_ARGS = [
    Arg("standardize", "bool", False, "scale every numeric column to mean 0, variance 1 before clustering (upstream: never)"),
    Arg("seed", "int", 0, "random seed of the estimator and of the silhouette sample", minimum=0),
]


def cluster_main(component, build, args, clusters_param=None, argv=None):
    """Fit ``build(ns, x)`` (x: the transformed matrix, for estimators that size themselves on it).

    ``clusters_param``: the arg giving the number of clusters (n_clusters,
    n_components), which may not exceed the rows.
    """
    plain_warnings()
    ns = parse_args(f"{component}: cluster the rows of data_dir/data.csv", args + CLUSTER_ARGS, [("data_dir", True), ("output_path", True)], argv)
    require_sklearn()
    with refusing_bad_input():
        k = getattr(ns, clusters_param) if clusters_param else None
        table = read_table(pick_file(ns.data_dir, ["data.csv", "train.csv"]), "clustering", clusters=(clusters_param, k) if k else None)
    print(f"data: {os.path.basename(table.path)} {len(table)} rows, {features.summary(table.features)}", flush=True)

    from sklearn.pipeline import Pipeline

    x = table.feature_matrix()
    transform = features.preprocessor(table.features, standardize=ns.standardize).fit(x)
    xt = transform.transform(x)
    with refusing_bad_input():
        estimator = build(ns, xt)
    clock = Stopwatch()
    labels = fit_or_refuse(lambda: estimator.fit_predict(xt) if hasattr(estimator, "fit_predict") else estimator.fit(xt).predict(xt), estimator)
    fit_seconds = clock.seconds()
    print(f"fit: {type(estimator).__name__} in {fit_seconds:.2f}s", flush=True)

    result = {"component": component, "estimator": type(estimator).__name__, "params": {a.name: getattr(ns, a.name) for a in args + CLUSTER_ARGS}}
    result.update(report.clustering(xt, labels, seed=ns.seed))
    result["fit_seconds"] = fit_seconds
    record = {
        "task": "clustering",
        "component": component,
        "estimator": type(estimator).__name__,
        "params": result["params"],
        "features": features.describe(table.features, transform),
        "trained_on": {"file": os.path.basename(table.path), "rows": len(table)},
    }
    model_store.save(ns.output_path, Pipeline([("features", transform), ("model", estimator)]), record)
    report.write_result(ns.output_path, result)
    report.write_rows(os.path.join(ns.output_path, "result.csv"), table.header, table.rows, ["PREDICT"], [[int(v) for v in labels]])

    announce(result)
    shown = [f"{k} {result[k]:.4f}" for k in ("silhouette", "calinski_harabasz", "davies_bouldin") if result[k] is not None]
    print(f"{result['n_clusters']} clusters" + (f", {result['noise']} noise rows" if result["noise"] else "") + (f"; {', '.join(shown)}" if shown else ""), flush=True)
    return 0
