# Run from the repository root:
#   /usr/bin/python3 -m unittest discover -s packages/python-runtime/tests -t packages/python-runtime
import json
import os
import tempfile
import unittest

import numpy as np

from aves2_runtime import files


class AtomicWriteTest(unittest.TestCase):
    def setUp(self):
        tmp = tempfile.TemporaryDirectory()
        self.addCleanup(tmp.cleanup)
        self.dir = tmp.name
        self.path = os.path.join(self.dir, "metrics.json")

    def test_json_is_valid_with_non_finite_values(self):
        files.atomic_write_json(self.path, {"top1": np.float32(0.5), "loss": float("nan"),
                                            "epochs": [{"lr": float("inf")}]})
        with open(self.path) as f:
            self.assertEqual(json.load(f), {"top1": 0.5, "loss": None, "epochs": [{"lr": None}]})
        self.assertEqual(os.listdir(self.dir), ["metrics.json"])

    def test_failed_write_keeps_old_file_and_leaves_no_temp(self):
        files.atomic_write_text(self.path, "old")

        def fail(tmp):
            with open(tmp, "w") as f:
                f.write("half")
            raise RuntimeError("killed")

        with self.assertRaises(RuntimeError):
            files.atomic_write(self.path, fail)
        with open(self.path) as f:
            self.assertEqual(f.read(), "old")
        self.assertEqual(os.listdir(self.dir), ["metrics.json"])


if __name__ == "__main__":
    unittest.main()
