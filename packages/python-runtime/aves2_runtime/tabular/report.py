"""What a tabular run reports: result.json with the upstream metric names plus
today's, and the files beside it (confusion matrix, predictions)."""

import csv
import io
import math
import os

import numpy as np

from .. import metrics
from ..files import atomic_write_json, atomic_write_text

# silhouette is quadratic in the rows: above this many it is estimated on a sample
SILHOUETTE_SAMPLE = 5000


def classification(y_true, y_pred, classes, scores=None, score_classes=None):
    """Accuracy and the upstream's macro p_score / r_score / f1_score, per-class
    precision/recall/F1, the confusion matrix, balanced accuracy and ROC AUC.

    ``scores``: the model's class probabilities (or decision values), one column
    per entry of ``score_classes``; ROC AUC is reported when they exist and the
    rows hold at least two classes.
    """
    index = {c: i for i, c in enumerate(classes)}
    # a label the model never saw counts as a miss of its own row, not a crash
    known = [i for i, t in enumerate(y_true) if t in index]
    cm = metrics.confusion_matrix([index[y_true[i]] for i in known], [index[y_pred[i]] for i in known], len(classes))
    per_class = metrics.per_class_report(cm, classes)
    # scikit-learn's macro average: over the classes among the true or the predicted labels
    seen = [r for i, r in enumerate(per_class) if cm[i, :].sum() or cm[:, i].sum()]
    present = [r for r in per_class if r["support"] > 0]
    accuracy = float(np.mean([t == p for t, p in zip(y_true, y_pred)])) if len(y_true) else 0.0
    result = {
        "accuracy": accuracy,
        "p_score": _mean(seen, "precision"),
        "r_score": _mean(seen, "recall"),
        "f1_score": _mean(seen, "f1"),
        "balanced_accuracy": _mean(present, "recall"),
        "roc_auc": roc_auc(y_true, scores, score_classes),
        "rows": len(y_true),
        "classes": list(classes),
        "per_class": per_class,
        "confusion_matrix": cm.tolist(),
    }
    return result, cm


def _mean(reports, key):
    return float(np.mean([r[key] for r in reports])) if reports else 0.0


def roc_auc(y_true, scores, score_classes):
    """Binary: the AUC of the second class; several: one-vs-rest, macro-averaged. None where undefined."""
    if scores is None or len(set(y_true)) < 2:
        return None
    from sklearn.metrics import roc_auc_score

    score_classes = list(score_classes)
    scores = np.asarray(scores, dtype=np.float64)
    keep = [i for i, t in enumerate(y_true) if t in score_classes]
    y = [y_true[i] for i in keep]
    if len(set(y)) < 2:
        return None
    if len(score_classes) == 2:
        column = scores[keep, 1] if scores.ndim == 2 else scores[keep]
        return float(roc_auc_score([t == score_classes[1] for t in y], column))
    if set(y) != set(score_classes) or scores.ndim != 2:
        return None  # one-vs-rest needs every class among the rows
    probs = scores[keep]
    probs = probs / probs.sum(axis=1, keepdims=True).clip(min=1e-12)
    return float(roc_auc_score(y, probs, multi_class="ovr", labels=score_classes))


def regression(y_true, y_pred):
    from sklearn.metrics import explained_variance_score, mean_absolute_error, mean_squared_error, r2_score

    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    mse = float(mean_squared_error(y_true, y_pred))
    r2 = float(r2_score(y_true, y_pred)) if len(y_true) > 1 else None
    return {
        "rmse": math.sqrt(mse),
        "r2_score": r2,  # the upstream's name
        "r2": r2,
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "mse": mse,
        "explained_variance": float(explained_variance_score(y_true, y_pred)) if len(y_true) > 1 else None,
        "rows": int(len(y_true)),
    }


def clustering(x, labels, seed=0):
    """Internal scores of a clustering (noise, label -1, left out of them)."""
    from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score, silhouette_score

    labels = np.asarray(labels)
    clustered = labels != -1
    found = sorted(set(labels[clustered].tolist()))
    sizes = {str(k): int((labels == k).sum()) for k in found}
    result = {
        "n_clusters": len(found),
        "cluster_sizes": sizes,
        "noise": int((~clustered).sum()),
        "rows": int(len(labels)),
        "silhouette": None,
        "calinski_harabasz": None,
        "calinski_harabaz_score": None,  # the upstream's name (scikit-learn's old spelling)
        "davies_bouldin": None,
    }
    xs, ls = x[clustered], labels[clustered]
    # the scores are defined for 2 ≤ clusters ≤ rows - 1
    if 2 <= len(found) <= len(ls) - 1:
        sample = SILHOUETTE_SAMPLE if len(ls) > SILHOUETTE_SAMPLE else None
        result["silhouette"] = float(silhouette_score(xs, ls, sample_size=sample, random_state=seed))
        if sample:
            result["silhouette_sample"] = sample
        ch = float(calinski_harabasz_score(xs, ls))
        result["calinski_harabasz"] = ch
        result["calinski_harabaz_score"] = ch
        result["davies_bouldin"] = float(davies_bouldin_score(xs, ls))
    return result


def write_result(folder, result):
    atomic_write_json(os.path.join(folder, "result.json"), result)


def write_confusion(folder, cm, classes):
    """confusion_matrix.csv (labelled) and the upstream's confusion_matrix.txt (tab-separated counts)."""
    metrics.write_confusion_csv(os.path.join(folder, "confusion_matrix.csv"), cm, classes)
    text = "".join("\t".join(str(int(v)) for v in row) + "\n" for row in np.asarray(cm))
    atomic_write_text(os.path.join(folder, "confusion_matrix.txt"), text)


def write_rows(path, header, rows, extra_header, extra_columns):
    """The input rows as read (text kept as it was) with more columns after them (PREDICT, ...)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(list(header) + list(extra_header))
    for r, extra in zip(rows, zip(*extra_columns) if extra_columns else [()] * len(rows)):
        w.writerow(list(r) + [_cell(v) for v in extra])
    atomic_write_text(path, buf.getvalue())


def _cell(v):
    if isinstance(v, (float, np.floating)):
        return "" if not math.isfinite(v) else repr(float(v))
    if isinstance(v, np.integer):
        return int(v)
    return v
