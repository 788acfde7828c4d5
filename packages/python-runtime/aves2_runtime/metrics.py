"""Classification metrics computed from a confusion matrix (numpy only)."""

import csv
import io

import numpy as np

from .files import atomic_write_text


def confusion_matrix(y_true, y_pred, num_classes):
    """Counts matrix ``cm[true, predicted]`` of shape (num_classes, num_classes)."""
    y_true = np.asarray(y_true, dtype=np.int64).ravel()
    y_pred = np.asarray(y_pred, dtype=np.int64).ravel()
    if y_true.shape != y_pred.shape:
        raise ValueError("y_true and y_pred must have the same length")
    cm = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _safe_ratio(num, den):
    # A class never predicted (or absent) gets 0.0 instead of a NaN.
    return float(num) / float(den) if den else 0.0


def per_class_report(cm, class_names):
    """Precision, recall, F1 and support of every class, in class order."""
    cm = np.asarray(cm)
    report = []
    for i, name in enumerate(class_names):
        tp = cm[i, i]
        precision = _safe_ratio(tp, cm[:, i].sum())
        recall = _safe_ratio(tp, cm[i, :].sum())
        f1 = _safe_ratio(2 * precision * recall, precision + recall)
        report.append(
            {
                "class": name,
                "precision": precision,
                "recall": recall,
                "f1": f1,
                "support": int(cm[i, :].sum()),
            }
        )
    return report


def top1(cm):
    """Overall accuracy: the diagonal over all counts (0.0 for an empty matrix)."""
    cm = np.asarray(cm)
    return _safe_ratio(np.trace(cm), cm.sum())


def write_confusion_csv(path, cm, class_names):
    """CSV whose first row and first column are class names (rows = true class)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([""] + list(class_names))
    for name, row in zip(class_names, np.asarray(cm)):
        writer.writerow([name] + [int(v) for v in row])
    atomic_write_text(path, buf.getvalue())
