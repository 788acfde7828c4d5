import os
import tempfile
import unittest

from aves2_runtime.tables import read_labeled_csv


class ReadLabeledCsvTest(unittest.TestCase):
    def write(self, text):
        fd, path = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        self.addCleanup(os.remove, path)
        return path

    def test_splits_features_and_labels(self):
        path = self.write("a,label,b\n1,x,2\n\n3.5,y,4\n")
        features, rows, labels = read_labeled_csv(path, "label")
        self.assertEqual(features, ["a", "b"])
        self.assertEqual(rows, [[1.0, 2.0], [3.5, 4.0]])
        self.assertEqual(labels, ["x", "y"])

    def test_names_the_columns_when_the_target_is_missing(self):
        path = self.write("a,b\n1,2\n")
        with self.assertRaisesRegex(ValueError, r"has no column 'label' \(columns: a, b\)"):
            read_labeled_csv(path, "label")


if __name__ == "__main__":
    unittest.main()
