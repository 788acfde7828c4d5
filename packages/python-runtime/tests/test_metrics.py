# Run from the repository root:
#   /usr/bin/python3 -m unittest discover -s packages/python-runtime/tests -t packages/python-runtime
import csv
import os
import tempfile
import unittest

import numpy as np

from aves2_runtime import metrics


class ConfusionMatrixTest(unittest.TestCase):
    def setUp(self):
        # class 0: 2 right, 1 predicted as 1; class 1: 1 right; class 2: 1 as 1.
        self.cm = metrics.confusion_matrix([0, 0, 0, 1, 2], [0, 0, 1, 1, 1], 3)

    def test_counts(self):
        np.testing.assert_array_equal(self.cm, [[2, 1, 0], [0, 1, 0], [0, 1, 0]])

    def test_top1(self):
        self.assertAlmostEqual(metrics.top1(self.cm), 3 / 5)
        self.assertEqual(metrics.top1(np.zeros((2, 2))), 0.0)

    def test_per_class_report(self):
        report = metrics.per_class_report(self.cm, ["a", "b", "c"])
        self.assertEqual([r["class"] for r in report], ["a", "b", "c"])
        a, b, c = report
        self.assertEqual((a["precision"], a["recall"], a["support"]), (1.0, 2 / 3, 3))
        self.assertAlmostEqual(a["f1"], 0.8)
        self.assertAlmostEqual(b["precision"], 1 / 3)
        self.assertEqual(b["recall"], 1.0)
        self.assertAlmostEqual(b["f1"], 0.5)
        # Never predicted correctly: zeros, not NaN.
        self.assertEqual((c["precision"], c["recall"], c["f1"], c["support"]), (0.0, 0.0, 0.0, 1))

    def test_mismatched_lengths_rejected(self):
        with self.assertRaises(ValueError):
            metrics.confusion_matrix([0, 1], [0], 2)

    def test_confusion_csv(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "cm.csv")
            metrics.write_confusion_csv(path, self.cm, ["a", "b", "c"])
            with open(path, newline="") as f:
                rows = list(csv.reader(f))
            self.assertEqual(os.listdir(tmp), ["cm.csv"])  # no temp file left
        self.assertEqual(rows[0], ["", "a", "b", "c"])
        self.assertEqual(rows[1], ["a", "2", "1", "0"])
        self.assertEqual([r[0] for r in rows[1:]], ["a", "b", "c"])


if __name__ == "__main__":
    unittest.main()
