"""aves2_runtime.tables against the cases the TS preflight also passes
(fixtures/tables/cases.json): the same problem, word for word, or the same
reading of an accepted file."""

import base64
import json
import os
import shutil
import tempfile
import unittest

from aves2_runtime.problems import Problem
from aves2_runtime.tables import pick_file, read_labeled_csv, read_table, sort_classes
from aves2_runtime.tabular import model_store

CASES = os.path.join(os.path.dirname(__file__), "fixtures", "tables", "cases.json")


def read_case(folder, case):
    """Read as an entry would: the model folder's checks first, then the data file."""
    read = case["read"]
    record = model_store.verify(os.path.join(folder, read["model"]), read["task"]) if read.get("model") else None
    path = pick_file(folder, read["files"])
    clusters = (read["clusters"]["param"], read["clusters"]["value"]) if read.get("clusters") else None
    table = read_table(path, read["task"], target=read.get("target"), target_optional=read.get("targetOptional", False), clusters=clusters, model=record)
    return path, table


class SharedCasesTest(unittest.TestCase):
    def test_every_case(self):
        with open(CASES, encoding="utf-8") as f:
            cases = json.load(f)
        self.assertGreater(len(cases), 50)
        for case in cases:
            with self.subTest(case["name"]):
                folder = tempfile.mkdtemp(prefix="aves2-case-")
                self.addCleanup(shutil.rmtree, folder, True)
                for name, content in case["files"].items():
                    path = os.path.join(folder, name)
                    os.makedirs(os.path.dirname(path), exist_ok=True)
                    data = base64.b64decode(content["base64"]) if isinstance(content, dict) else content.encode("utf-8")
                    with open(path, "wb") as f:
                        f.write(data)
                if "problem" in case:
                    with self.assertRaises(Problem) as caught:
                        read_case(folder, case)
                    p = caught.exception
                    got = {"path": os.path.relpath(p.path, folder), "message": p.message}
                    if p.line is not None:
                        got["line"] = p.line
                    if p.hint is not None:
                        got["hint"] = p.hint
                    self.assertEqual(got, case["problem"])
                else:
                    path, table = read_case(folder, case)
                    expect = case["expect"]
                    self.assertEqual(len(table), expect["rows"])
                    self.assertEqual(table.target, expect["target"])
                    self.assertEqual([{"name": c.name, "kind": c.kind} for c in table.features], expect["columns"])
                    if "classes" in expect:
                        self.assertEqual(sort_classes(table.labels()), expect["classes"])
                    if "file" in expect:
                        self.assertEqual(os.path.relpath(path, folder), expect["file"])


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
        path = self.write("width,height\nx,2\ny,3\n")
        with self.assertRaisesRegex(ValueError, r':1: has no column "label" \(columns: width, height\)$'):
            read_labeled_csv(path, "label")


if __name__ == "__main__":
    unittest.main()
