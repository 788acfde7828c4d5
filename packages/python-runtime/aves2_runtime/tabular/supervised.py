"""Train, evaluate and predict for the classification and regression components.

    python3 run.py --data_dir DIR --output_path DIR [--target COL] [component args]
    python3 run.py --data_dir DIR --model_dir DIR --output_path DIR [--target COL]   (evaluate, predict)

Inputs and outputs are the upstream AVES2 components': train.csv (val.csv
when present) → model + result.json; val.csv + a model → result.json and the
confusion matrix; test.csv (else val.csv, else train.csv) + a model →
result.csv, the input rows with a PREDICT column.
"""

import os

import numpy as np

from ..problems import refusing_bad_input
from ..tables import is_missing, is_number, label_text, pick_file, read_table, sort_classes
from . import features, model_store, report
from .args import Arg, parse_args
from .session import Stopwatch, announce, fit_or_refuse, plain_warnings, require_sklearn, warn_if_other_sklearn

TRAIN_ARGS = [
    Arg("target", "str", None, "the column to predict (default: the last column)"),
    Arg("val_split", "float", 0.2, "share of train.csv held out to evaluate on when there is no val.csv (0: none)", minimum=0.0, maximum=0.9),
    Arg("seed", "int", 0, "random seed of the split and of the estimator", minimum=0),
]
MODEL_ARGS = [Arg("target", "str", None, "the target column (default: the model's)")]
LABEL = {"classification": "accuracy", "regression": "r2"}


def train_main(task, component, build, args, argv=None):
    """Fit ``build(ns)`` (an unfitted scikit-learn estimator) on train.csv, evaluate it, save it."""
    plain_warnings()
    ns = parse_args(f"{component}: train on data_dir/train.csv", TRAIN_ARGS + args, [("data_dir", True), ("output_path", True)], argv)
    require_sklearn()
    with refusing_bad_input():
        estimator = build(ns)
        table = read_table(pick_file(ns.data_dir, ["train.csv"]), task, target=ns.target)
        val_path = os.path.join(ns.data_dir, "val.csv")
        # val.csv is read with the training file's column kinds, as a model would read it
        val = read_table(val_path, task, target=table.target, model=_columns_record(table)) if os.path.isfile(val_path) else None

    x, y = table.feature_matrix(), _targets(table, task)
    classes = [str(c) for c in sort_classes(y)] if task == "classification" else None
    if val is not None:
        x_fit, y_fit, x_val, y_val = x, y, val.feature_matrix(), _targets(val, task)
        evaluated_on = {"file": "val.csv", "rows": len(val)}
    else:
        x_fit, x_val, y_fit, y_val = _split(x, y, task, ns.val_split, ns.seed)
        evaluated_on = {"holdout": ns.val_split, "rows": len(y_val)} if len(y_val) else {"rows": 0}
    print(f"data: train.csv {len(table)} rows, {features.summary(table.features)}, target {table.target!r}; " + _evaluated(evaluated_on), flush=True)

    from sklearn.pipeline import Pipeline

    pipeline = Pipeline([("features", features.preprocessor(table.features, standardize=getattr(ns, "standardize", False))), ("model", estimator)])
    clock = Stopwatch()
    fit_or_refuse(lambda: pipeline.fit(x_fit, y_fit), estimator)
    fit_seconds = clock.seconds()
    print(f"fit: {type(estimator).__name__} on {len(y_fit)} rows in {fit_seconds:.2f}s", flush=True)

    result = {"component": component, "estimator": type(estimator).__name__, "params": _params(args, ns), "target": table.target}
    train_metrics, _ = _score(pipeline, task, x_fit, y_fit, classes)
    result[f"train_{LABEL[task]}"] = train_metrics[LABEL[task]]
    cm = None
    if len(y_val):
        val_metrics, cm = _score(pipeline, task, x_val, y_val, classes)
        result.update(val_metrics)
    result.update({"evaluated_on": evaluated_on, "fit_seconds": fit_seconds})

    record = {
        "task": task,
        "component": component,
        "estimator": type(estimator).__name__,
        "params": _params(args, ns),
        "target": table.target,
        "features": features.describe(table.features, pipeline.named_steps["features"]),
        **({"classes": classes} if classes else {}),
        "trained_on": {"file": "train.csv", "rows": len(y_fit)},
    }
    model_store.save(ns.output_path, pipeline, record)
    return _write_results(ns.output_path, result, cm, task)


def evaluate_main(task, component, argv=None):
    """Score a trained model on data_dir/val.csv (else test.csv)."""
    ns, record, table, pipeline = _with_model(task, f"{component}: evaluate a model on data_dir/val.csv", ["val.csv", "test.csv"], argv)
    print(f"model: {record.get('component')} ({record.get('estimator')}), target {record.get('target')!r}; data: {os.path.basename(table.path)} {len(table)} rows", flush=True)
    metrics, cm = _score(pipeline, task, table.feature_matrix(), _targets(table, task), record.get("classes"))
    result = {"component": component, "model": _model_facts(record), "target": table.target, "file": os.path.basename(table.path), **metrics}
    return _write_results(ns.output_path, result, cm, task)


def predict_main(task, component, argv=None):
    """Predict the rows of data_dir/test.csv (else val.csv, else train.csv): result.csv = the rows + PREDICT."""
    ns, record, table, pipeline = _with_model(task, f"{component}: predict data_dir/test.csv with a model", ["test.csv", "val.csv", "train.csv"], argv, target_optional=True)
    x = table.feature_matrix()
    predicted = pipeline.predict(x)
    extra_header, extra = ["PREDICT"], [[_label(v, task) for v in predicted]]
    if task == "classification" and hasattr(pipeline, "predict_proba"):
        proba = pipeline.predict_proba(x)
        for j, c in enumerate(pipeline.classes_):
            extra_header.append(f"PROB_{c}")
            extra.append([round(float(p), 6) for p in proba[:, j]])
    report.write_rows(os.path.join(ns.output_path, "result.csv"), table.header, table.rows, extra_header, extra)
    print(f"predicted {len(table)} rows of {os.path.basename(table.path)} with {record.get('component')} ({record.get('estimator')})", flush=True)

    result = {"component": component, "model": _model_facts(record), "file": os.path.basename(table.path), "rows": len(table)}
    if table.target is not None:
        # rows whose target is known are scored too, so a predict run doubles as a check
        truth = table.column_values(table.target)
        known = [i for i, v in enumerate(truth) if not is_missing(v) and (task == "classification" or is_number(v))]
        if known:
            if task == "classification":
                scored, _ = report.classification([label_text(truth[i]) for i in known], [str(predicted[i]) for i in known], record.get("classes", []))
            else:
                scored = report.regression([float(truth[i]) for i in known], predicted[known])
            result.update({k: v for k, v in scored.items() if k != "rows" and not isinstance(v, (list, dict))})
            result["scored_rows"] = len(known)
    report.write_result(ns.output_path, result)
    _announce(result, ("rows", "accuracy") if task == "classification" else ("rows", "rmse"))
    return 0


# --- helpers ---------------------------------------------------------------


def _with_model(task, description, candidates, argv, target_optional=False):
    """Args, then the model folder's record and digest, then the rows (read as the model reads them),
    and only then the model itself: nothing is unpickled before everything else checks out."""
    plain_warnings()
    ns = parse_args(description, MODEL_ARGS, [("data_dir", True), ("model_dir", True), ("output_path", True)], argv)
    require_sklearn()
    with refusing_bad_input():
        record = model_store.verify(ns.model_dir, task)
        table = read_table(pick_file(ns.data_dir, candidates), task, target=ns.target, target_optional=target_optional, model=record)
        pipeline = model_store.load(ns.model_dir, record)
    warn_if_other_sklearn(record)
    return ns, record, table, pipeline


def _columns_record(table):
    return {"target": table.target, "features": [{"name": c.name, "kind": c.kind} for c in table.features]}


def _targets(table, task):
    return np.array(table.labels(), dtype=object) if task == "classification" else table.targets()


def _split(x, y, task, share, seed):
    n = len(y)
    n_val = int(round(n * share))
    if share <= 0 or n_val < 1 or n - n_val < 2:
        return x, x[:0], y, y[:0]
    from sklearn.model_selection import train_test_split

    stratify = None
    if task == "classification":
        _, counts = np.unique(y.astype(str), return_counts=True)
        # stratify only when every class can give rows to both sides
        if counts.min() >= 2 and n_val >= len(counts) and n - n_val >= len(counts):
            stratify = y
    return train_test_split(x, y, test_size=n_val, random_state=seed, stratify=stratify)


def _evaluated(on):
    if "file" in on:
        return f"evaluated on {on['file']} ({on['rows']} rows)"
    if on.get("rows"):
        return f"no val.csv: evaluated on {on['rows']} rows held out ({on['holdout']:.0%})"
    return "no val.csv and no holdout (val_split 0): training metrics only"


def _score(pipeline, task, x, y, classes):
    """Metrics of the pipeline's predictions of ``x`` against ``y``; ``classes``: the training's, in order."""
    predicted = pipeline.predict(x)
    if task == "regression":
        return report.regression(y, predicted), None
    # rows may hold labels training never saw: they count as misses, and as classes of the matrix
    classes = classes + [c for c in sort_classes([str(v) for v in y]) if c not in classes]
    scores, score_classes = None, None
    if hasattr(pipeline, "predict_proba"):
        scores, score_classes = pipeline.predict_proba(x), [str(c) for c in pipeline.classes_]
    elif hasattr(pipeline, "decision_function"):
        scores, score_classes = pipeline.decision_function(x), [str(c) for c in pipeline.classes_]
    return report.classification([str(v) for v in y], [str(v) for v in predicted], classes, scores, score_classes)


def _label(v, task):
    return str(v) if task == "classification" else float(v)


def _params(args, ns):
    return {a.name: getattr(ns, a.name) for a in args}


def _model_facts(record):
    return {k: record.get(k) for k in ("component", "estimator", "sha256", "created")}


def _write_results(folder, result, cm, task):
    """result.json (and the confusion matrix files of a classification), then the run's events."""
    report.write_result(folder, result)
    if cm is not None:
        report.write_confusion(folder, cm, result["classes"])
    _announce(result, ("accuracy", "f1_score", "roc_auc") if task == "classification" else ("rmse", "mae", "r2"))
    return 0


def _announce(result, headline):
    """The run's events, and one line of the ``headline`` metrics for the log."""
    scalars = announce(result)
    shown = [f"{k} {scalars[k]:.4f}" if isinstance(scalars[k], float) else f"{k} {scalars[k]}" for k in headline if k in scalars]
    if shown:
        print(", ".join(shown), flush=True)
