"""What an image-classification run reports about its validation set (numpy only, no
scikit-learn: the torch images do not ship it).

``evaluation(labels, scores, classes)`` gives result.json's numbers under the names
the upstream wrote (accuracy, precision, recall_score, f1_score, auc_micro,
classification_report) and plain ones (recall, f1); ``write_result_dir`` writes the
files beside it: classification_report.txt, correct.txt / error.txt and the
confusion matrix (CSV, and the upstream's tab-separated .txt).
"""

import os

import numpy as np

from .. import metrics
from ..files import atomic_write_json, atomic_write_text
from ..tabular.report import write_confusion


def evaluation(labels, scores, classes):
    """Metrics of predictions ``argmax(scores)`` against ``labels`` (0-based ints).

    precision / recall / f1 are macro averages over the classes among the true or the
    predicted labels (scikit-learn's ``average="macro"``, what the upstream reported);
    auc_micro is the one-vs-rest ROC AUC of every (image, class) score pooled.
    """
    labels = np.asarray(labels, dtype=np.int64)
    scores = np.asarray(scores, dtype=np.float64)
    preds = scores.argmax(axis=1) if len(labels) else labels
    cm = metrics.confusion_matrix(labels, preds, len(classes))
    per_class = metrics.per_class_report(cm, classes)
    seen = [r for i, r in enumerate(per_class) if cm[i, :].sum() or cm[:, i].sum()]
    precision, recall, f1 = (_mean(seen, k) for k in ("precision", "recall", "f1"))
    return {
        "accuracy": metrics.top1(cm),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "recall_score": recall,  # the upstream's names
        "f1_score": f1,
        "auc_micro": auc_micro(labels, scores),
        "images": int(len(labels)),
        "classes": list(classes),
        "per_class": per_class,
        "classification_report": {r["class"]: {k: r[k] for k in ("precision", "recall", "f1", "support")} for r in per_class},
        "confusion_matrix": cm.tolist(),
    }, preds, cm


def _mean(rows, key):
    return float(np.mean([r[key] for r in rows])) if rows else 0.0


def auc_micro(labels, scores):
    """scikit-learn's ``roc_auc_score(one_hot(labels), scores, average="micro")``.

    Micro-averaging pools every (image, class) pair into one binary problem: is the
    image of that class, scored by its softmax probability. Its ROC AUC is the
    Mann-Whitney statistic: the share of (positive, negative) pairs the score orders
    right, ties counting half. None when there is no positive or no negative.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2 or not len(scores):
        return None
    truth = np.zeros(scores.shape, dtype=bool)
    truth[np.arange(len(scores)), np.asarray(labels, dtype=np.int64)] = True
    y, s = truth.ravel(), scores.ravel()
    positives = int(y.sum())
    negatives = y.size - positives
    if not positives or not negatives:
        return None
    ranks = _average_ranks(s)
    return float((ranks[y].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def _average_ranks(values):
    """1-based ranks, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    # a run of equal values starts where the value changes
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    mean_rank = (starts + ends + 1) / 2.0  # mean of ranks starts+1 .. ends
    ranks = np.empty(len(values), dtype=np.float64)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def classification_report(cm, classes, digits=2):
    """scikit-learn's ``classification_report`` table, for every class (rows: true class)."""
    cm = np.asarray(cm)
    rows = metrics.per_class_report(cm, classes)
    total = int(cm.sum())
    support = np.array([r["support"] for r in rows], dtype=np.float64)
    width = max([len(str(c)) for c in classes] + [len("weighted avg"), digits])
    head = f"{'':>{width}s} " + "".join(f" {h:>9}" for h in ("precision", "recall", "f1-score", "support"))
    lines = [head, ""]

    def row(name, p, r, f, n):
        return f"{name:>{width}s} " + "".join(f" {v:>9.{digits}f}" for v in (p, r, f)) + f" {n:>9}"

    lines += [row(str(r["class"]), r["precision"], r["recall"], r["f1"], r["support"]) for r in rows]
    lines.append("")
    lines.append(f"{'accuracy':>{width}s} " + f" {'':>9} {'':>9}" + f" {metrics.top1(cm):>9.{digits}f} {total:>9}")
    for name, weights in (("macro avg", np.ones(len(rows))), ("weighted avg", support)):
        avg = [float(np.average([r[k] for r in rows], weights=weights)) if weights.sum() else 0.0 for k in ("precision", "recall", "f1")]
        lines.append(row(name, *avg, total))
    return "\n".join(lines) + "\n"


def prediction_lines(names, labels, preds, classes):
    """(correct.txt, error.txt): one ``name<TAB>true<TAB>predicted`` line per image, class names."""
    right, wrong = [], []
    for name, t, p in zip(names, labels, preds):
        (right if t == p else wrong).append(f"{name}\t{classes[t]}\t{classes[p]}\n")
    return "".join(right), "".join(wrong)


def write_result_dir(folder, result, cm, classes, names, labels, preds):
    """result.json and the files beside it (see the module's doc)."""
    os.makedirs(folder, exist_ok=True)
    atomic_write_json(os.path.join(folder, "result.json"), result)
    atomic_write_text(os.path.join(folder, "classification_report.txt"), classification_report(cm, classes))
    right, wrong = prediction_lines(names, [int(v) for v in labels], [int(v) for v in preds], classes)
    atomic_write_text(os.path.join(folder, "correct.txt"), right)
    atomic_write_text(os.path.join(folder, "error.txt"), wrong)
    write_confusion(folder, cm, classes)
