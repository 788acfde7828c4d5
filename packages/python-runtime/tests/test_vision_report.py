"""aves2_runtime.vision.report and curves: the validation metrics against cases computed
by hand (and against scikit-learn where this machine has it), the result files, the
curves."""

import csv
import importlib.util
import json
import os
import tempfile
import unittest

import numpy as np
from PIL import Image

from aves2_runtime.vision import curves, report

HAS_SKLEARN = importlib.util.find_spec("sklearn") is not None

# 4 images, 3 classes; image 1 (a "0") is predicted as "1", the others are right
LABELS = [0, 0, 1, 2]
SCORES = [
    [0.7, 0.2, 0.1],
    [0.3, 0.6, 0.1],
    [0.2, 0.5, 0.3],
    [0.1, 0.3, 0.6],
]
CLASSES = ["cat", "dog", "emu"]


class EvaluationTest(unittest.TestCase):
    def setUp(self):
        self.result, self.preds, self.cm = report.evaluation(LABELS, SCORES, CLASSES)

    def test_predictions_and_confusion(self):
        self.assertEqual(self.preds.tolist(), [0, 1, 1, 2])
        self.assertEqual(self.cm.tolist(), [[1, 1, 0], [0, 1, 0], [0, 0, 1]])

    def test_macro_scores_by_hand(self):
        r = self.result
        self.assertAlmostEqual(r["accuracy"], 3 / 4)
        # precision: cat 1/1, dog 1/2, emu 1/1; recall: cat 1/2, dog 1/1, emu 1/1
        self.assertAlmostEqual(r["precision"], (1 + 0.5 + 1) / 3)
        self.assertAlmostEqual(r["recall"], (0.5 + 1 + 1) / 3)
        # f1: cat 2/3, dog 2/3, emu 1
        self.assertAlmostEqual(r["f1"], (2 / 3 + 2 / 3 + 1) / 3)
        self.assertEqual((r["recall_score"], r["f1_score"]), (r["recall"], r["f1"]))  # the upstream's names
        self.assertEqual(r["classification_report"]["dog"], {"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 1})

    def test_auc_micro_by_hand(self):
        # positives (each image's score for its true class): .7 .3 .5 .6
        # negatives (the other 8 scores): .2 .1 .6 .1 .2 .3 .1 .3
        # pairs ordered right (ties half): .7→8, .3→5+2x.5, .5→7, .6→7+.5 = 28.5 of 4x8
        self.assertAlmostEqual(self.result["auc_micro"], 28.5 / 32)

    def test_auc_edge_cases(self):
        self.assertEqual(report.auc_micro([0, 1], [[0.5, 0.5], [0.5, 0.5]]), 0.5)  # all tied
        self.assertEqual(report.auc_micro([0, 1], [[1.0, 0.0], [0.0, 1.0]]), 1.0)
        self.assertIsNone(report.auc_micro([], np.zeros((0, 2))))

    def test_a_class_never_seen_is_left_out_of_the_macro_average(self):
        # scikit-learn's macro average: over the classes among the true or predicted labels
        result, _, _ = report.evaluation([0, 1], [[0.9, 0.1, 0.0], [0.2, 0.8, 0.0]], CLASSES)
        self.assertEqual((result["precision"], result["recall"], result["f1"]), (1.0, 1.0, 1.0))

    @unittest.skipUnless(HAS_SKLEARN, "scikit-learn is not installed")
    def test_matches_scikit_learn(self):
        from sklearn import metrics

        rng = np.random.default_rng(0)
        labels = rng.integers(0, 5, 200)
        scores = rng.dirichlet(np.ones(5), 200)
        scores[np.arange(100), labels[:100]] += 0.5  # better than chance
        scores = np.round(scores, 2)  # ties
        result, preds, _ = report.evaluation(labels, scores, list("abcde"))
        self.assertAlmostEqual(result["precision"], metrics.precision_score(labels, preds, average="macro"))
        self.assertAlmostEqual(result["recall"], metrics.recall_score(labels, preds, average="macro"))
        self.assertAlmostEqual(result["f1"], metrics.f1_score(labels, preds, average="macro"))
        one_hot = np.eye(5)[labels]
        self.assertAlmostEqual(result["auc_micro"], metrics.roc_auc_score(one_hot, scores, average="micro"))


class ClassificationReportTest(unittest.TestCase):
    def test_table_by_hand(self):
        _, _, cm = report.evaluation(LABELS, SCORES, CLASSES)
        expected = (
            "              precision    recall  f1-score   support\n"
            "\n"
            "         cat       1.00      0.50      0.67         2\n"
            "         dog       0.50      1.00      0.67         1\n"
            "         emu       1.00      1.00      1.00         1\n"
            "\n"
            "    accuracy                           0.75         4\n"
            "   macro avg       0.83      0.83      0.78         4\n"
            "weighted avg       0.88      0.75      0.75         4\n"
        )
        self.assertEqual(report.classification_report(cm, CLASSES), expected)

    @unittest.skipUnless(HAS_SKLEARN, "scikit-learn is not installed")
    def test_matches_scikit_learn_layout(self):
        from sklearn import metrics

        labels = [0, 0, 1, 2, 2, 2, 1]
        preds = [0, 1, 1, 2, 0, 2, 1]
        names = ["a-very-long-class-name", "b", "c"]
        cm = np.zeros((3, 3), dtype=np.int64)
        np.add.at(cm, (labels, preds), 1)
        ours = report.classification_report(cm, names)
        theirs = metrics.classification_report(labels, preds, target_names=names, zero_division=0)
        self.assertEqual(ours, theirs)


class ResultDirTest(unittest.TestCase):
    def test_files(self):
        result, preds, cm = report.evaluation(LABELS, SCORES, CLASSES)
        names = ["a.jpg", "b.jpg", "c.jpg", "d.jpg"]
        with tempfile.TemporaryDirectory() as d:
            report.write_result_dir(d, result, cm, CLASSES, names, LABELS, preds)
            self.assertEqual(sorted(os.listdir(d)), ["classification_report.txt", "confusion_matrix.csv", "confusion_matrix.txt", "correct.txt", "error.txt", "result.json"])
            with open(os.path.join(d, "error.txt")) as f:
                self.assertEqual(f.read(), "b.jpg\tcat\tdog\n")
            with open(os.path.join(d, "correct.txt")) as f:
                self.assertEqual(f.read().splitlines(), ["a.jpg\tcat\tcat", "c.jpg\tdog\tdog", "d.jpg\temu\temu"])
            with open(os.path.join(d, "result.json")) as f:
                self.assertEqual(json.load(f)["confusion_matrix"], [[1, 1, 0], [0, 1, 0], [0, 0, 1]])


HISTORY = [
    {"epoch": 1, "loss": 2.0, "accuracy": 0.3, "val_loss": None, "val_accuracy": None, "lr": 0.1, "seconds": 1.0, "images_per_second": 10.0},
    {"epoch": 2, "loss": 1.0, "accuracy": 0.6, "val_loss": 1.2, "val_accuracy": 0.55, "lr": 0.05, "seconds": 1.0, "images_per_second": 10.0},
    {"epoch": 3, "loss": 0.5, "accuracy": 0.8, "val_loss": 0.9, "val_accuracy": 0.7, "lr": 0.01, "seconds": 1.0, "images_per_second": 10.0},
]


class CurvesTest(unittest.TestCase):
    def test_csv_leaves_unevaluated_epochs_empty(self):
        rows = list(csv.DictReader(curves.csv_text(HISTORY).splitlines()))
        self.assertEqual(list(rows[0]), list(curves.COLUMNS))
        self.assertEqual((rows[0]["val_loss"], rows[1]["val_loss"]), ("", "1.2"))

    def test_png(self):
        with tempfile.TemporaryDirectory() as d:
            curves.write(d, HISTORY)
            with Image.open(os.path.join(d, "curves.png")) as image:
                self.assertEqual(image.size, (curves.PANEL_W * 2, curves.PANEL_H))
                # something is drawn in the train-loss colour
                self.assertIn((31, 119, 180), {c for _, c in image.getcolors(1 << 16)})

    def test_one_epoch_and_nice_steps(self):
        curves.draw(HISTORY[:1])  # a single point must not divide by zero
        self.assertEqual([curves._nice_step(x) for x in (0.3, 0.26, 1.2, 0.07)], [0.5, 0.5, 2, 0.1])
