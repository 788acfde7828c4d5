"""The tabular family's shared code: args as AVES2 passes them, the model
folder's digest check, metrics against scikit-learn's own, and the train →
evaluate → predict flows run in-process on small tables."""

import contextlib
import io
import json
import os
import pickle
import shutil
import tempfile
import unittest

import numpy as np

from aves2_runtime.problems import Problem
from aves2_runtime.tabular import Arg, cluster_main, evaluate_main, predict_main, train_main
from aves2_runtime.tabular import model_store, report
from aves2_runtime.tabular.args import parse_args


def temp_dir(test):
    d = tempfile.mkdtemp(prefix="aves2-tabular-")
    test.addCleanup(shutil.rmtree, d, True)
    return d


def write(folder, name, text):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
        f.write(text)


def read_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def read_text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def write_json(path, data):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f)


def run_quiet(main, *args, **kwargs):
    """Run an entry, capturing stdout/stderr; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(*args, **kwargs)
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


class ArgsTest(unittest.TestCase):
    ARGS = [
        Arg("max_depth", "int", None, nullable=True, minimum=1),
        Arg("bin_seeding", "bool", False),
        Arg("criterion", "choice", "squared_error", choices=["squared_error", "absolute_error"], renames={"mse": "squared_error", "mae": "absolute_error"}),
        Arg("c_value", "float", 1.0, minimum=1e-12),
    ]

    def parse(self, *argv):
        return parse_args("test", self.ARGS, [("data_dir", True)], ["--data_dir", "d", *argv])

    def test_upstream_spellings(self):
        ns = self.parse("--max_depth", "None", "--bin_seeding", "False", "--criterion", "mse", "--c_value", "0.5")
        self.assertIsNone(ns.max_depth)
        self.assertIs(ns.bin_seeding, False)  # upstream's argparse type=bool read "False" as True
        self.assertEqual(ns.criterion, "squared_error")
        self.assertEqual(ns.c_value, 0.5)

    def test_defaults_when_not_given(self):
        ns = self.parse()
        self.assertEqual((ns.max_depth, ns.bin_seeding, ns.criterion, ns.c_value), (None, False, "squared_error", 1.0))

    def test_a_bad_value_is_one_line_and_exit_2(self):
        for argv, message in (
            (["--max_depth", "deep"], '--max_depth: "deep" is not an integer'),
            (["--max_depth", "0"], "--max_depth: 0 is below the minimum 1"),
            (["--criterion", "gini"], '--criterion: "gini" is not one of squared_error, absolute_error, mse, mae'),
            (["--bin_seeding", "maybe"], '--bin_seeding: "maybe" is not a boolean (true/false)'),
        ):
            code, _, err = run_quiet(self.parse, *argv)
            self.assertEqual(code, 2, argv)
            self.assertEqual(err, f"error: {message}\n")

    def test_describe_is_what_the_manifest_must_declare(self):
        code, out, _ = run_quiet(parse_args, "test", self.ARGS, [], ["--aves2-describe-args"])
        self.assertEqual(code, 0)
        described = json.loads(out)
        self.assertEqual(described[0], {"name": "max_depth", "type": "integer", "default": None, "nullable": True, "min": 1})
        self.assertEqual(described[2]["values"], ["squared_error", "absolute_error", "mse", "mae"])


class ModelStoreTest(unittest.TestCase):
    def saved(self):
        folder = temp_dir(self)
        from sklearn.linear_model import LinearRegression

        model = LinearRegression().fit([[0.0], [1.0], [2.0]], [1.0, 3.0, 5.0])
        model_store.save(folder, model, {"task": "regression", "component": "linear-regression", "target": "y", "features": [{"name": "x", "kind": "numeric"}]})
        return folder

    def test_round_trip(self):
        folder = self.saved()
        record = model_store.verify(folder, "regression")
        model = model_store.load(folder, record)
        self.assertAlmostEqual(float(model.predict([[3.0]])[0]), 7.0)
        self.assertEqual(record["format"], "aves2-sklearn-model/1")
        self.assertEqual(record["sha256"], model_store.sha256_of(os.path.join(folder, "model.joblib")))
        self.assertIn("sklearn", record["versions"])

    def test_a_changed_file_is_refused_before_it_is_unpickled(self):
        folder = self.saved()
        marker = os.path.join(folder, "unpickled")
        # a pickle that would create the marker file if anything loaded it
        with open(os.path.join(folder, "model.joblib"), "wb") as f:
            pickle.dump(_Touch(marker), f)
        with self.assertRaises(Problem) as caught:
            model_store.verify(folder, "regression")
        self.assertRegex(str(caught.exception), r"model\.joblib does not match model\.json \(SHA-256 [0-9a-f]{12} ≠ [0-9a-f]{12}\): it was changed or damaged after training \(train again")
        self.assertFalse(os.path.exists(marker))

    def test_a_folder_without_our_record_is_refused(self):
        folder = temp_dir(self)
        with open(os.path.join(folder, "model.m"), "wb") as f:
            pickle.dump({"upstream": True}, f)
        with self.assertRaises(Problem) as caught:
            model_store.verify(folder, "classification")
        self.assertEqual(caught.exception.message, "has no model.json: it holds no model written by this catalog's training components")
        self.assertEqual(caught.exception.path, folder)

    def test_a_file_swapped_after_the_check_is_refused_too(self):
        folder = self.saved()
        record = model_store.verify(folder, "regression")
        marker = os.path.join(folder, "unpickled")
        with open(os.path.join(folder, "model.joblib"), "wb") as f:
            pickle.dump(_Touch(marker), f)
        with self.assertRaises(Problem) as caught:
            model_store.load(folder, record)
        self.assertEqual(caught.exception.message, "model.joblib changed while it was being checked")
        self.assertFalse(os.path.exists(marker))

    def test_record_problems(self):
        folder = self.saved()
        with self.assertRaises(Problem) as caught:
            model_store.verify(folder, "classification")
        self.assertEqual(str(caught.exception), f"{folder}: holds a regression model (trained by linear-regression), not a classification model (use regression-evaluate or regression-predict)")

        record_path = os.path.join(folder, "model.json")
        record = read_json(record_path)
        write_json(record_path, {**record, "format": "pickle"})
        with self.assertRaises(Problem) as caught:
            model_store.verify(folder, "regression")
        self.assertIn('model.json is not a model record of this catalog (format "pickle", not "aves2-sklearn-model/1")', str(caught.exception))

        write_json(record_path, {**record, "file": "../../etc/passwd"})
        with self.assertRaises(Problem) as caught:
            model_store.verify(folder, "regression")
        self.assertEqual(caught.exception.message, "model.json names passwd, which is not there")


class SklearnVersionTest(unittest.TestCase):
    def test_too_old_a_scikit_learn_is_one_line(self):
        import sklearn

        from aves2_runtime.tabular import session

        real = sklearn.__version__
        self.addCleanup(setattr, sklearn, "__version__", real)
        sklearn.__version__ = "0.22.2"
        code, _, err = run_quiet(session.require_sklearn)
        self.assertEqual(code, 2)
        self.assertEqual(err, "error: scikit-learn: 0.22.2 is too old: the tabular components need 1.2 or newer (use an image with a newer scikit-learn)\n")
        sklearn.__version__ = real
        self.assertEqual(run_quiet(session.require_sklearn)[0], None)

    def test_a_model_from_another_scikit_learn_is_said(self):
        from aves2_runtime.tabular import session

        code, out, _ = run_quiet(session.warn_if_other_sklearn, {"versions": {"sklearn": "0.0.1"}})
        self.assertIn("warning: the model was trained with scikit-learn 0.0.1, this is", out)
        self.assertEqual(run_quiet(session.warn_if_other_sklearn, {"versions": {}})[1], "")


class _Touch:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


class ReportTest(unittest.TestCase):
    def test_classification_matches_scikit_learn(self):
        from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

        rng = np.random.RandomState(0)
        classes = ["a", "b", "c"]
        y_true = [classes[i] for i in rng.randint(0, 3, 200)]
        y_pred = [t if rng.rand() < 0.7 else classes[rng.randint(0, 3)] for t in y_true]
        proba = rng.dirichlet([1, 1, 1], 200)
        result, cm = report.classification(y_true, y_pred, classes, proba, classes)
        self.assertAlmostEqual(result["accuracy"], accuracy_score(y_true, y_pred))
        self.assertAlmostEqual(result["p_score"], precision_score(y_true, y_pred, average="macro"))
        self.assertAlmostEqual(result["r_score"], recall_score(y_true, y_pred, average="macro"))
        self.assertAlmostEqual(result["f1_score"], f1_score(y_true, y_pred, average="macro"))
        self.assertAlmostEqual(result["roc_auc"], roc_auc_score(y_true, proba, multi_class="ovr", labels=classes))
        self.assertEqual(int(cm.sum()), 200)

    def test_binary_auc_and_unseen_labels(self):
        result, cm = report.classification(["0", "1", "1", "0", "2"], ["0", "1", "0", "0", "0"], ["0", "1", "2"], np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3], [0.5, 0.5]]), ["0", "1"])
        self.assertAlmostEqual(result["accuracy"], 3 / 5)
        self.assertAlmostEqual(result["roc_auc"], 1.0)  # the rows of classes 0 and 1 are ranked perfectly
        self.assertEqual(cm.tolist(), [[2, 0, 0], [1, 1, 0], [1, 0, 0]])

    def test_regression_matches_scikit_learn(self):
        from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

        y, p = [3.0, -0.5, 2.0, 7.0], [2.5, 0.0, 2.0, 8.0]
        r = report.regression(y, p)
        self.assertAlmostEqual(r["rmse"], mean_squared_error(y, p) ** 0.5)
        self.assertAlmostEqual(r["mae"], mean_absolute_error(y, p))
        self.assertAlmostEqual(r["r2"], r2_score(y, p))
        self.assertEqual(r["r2"], r["r2_score"])

    def test_clustering_leaves_noise_out(self):
        x = np.array([[0, 0], [0, 0.1], [5, 5], [5, 5.1], [20, 20]], dtype=float)
        r = report.clustering(x, [0, 0, 1, 1, -1])
        self.assertEqual((r["n_clusters"], r["noise"], r["cluster_sizes"]), (2, 1, {"0": 2, "1": 2}))
        self.assertGreater(r["silhouette"], 0.9)
        self.assertEqual(r["calinski_harabasz"], r["calinski_harabaz_score"])
        one = report.clustering(x, [0, 0, 0, 0, 0])
        self.assertIsNone(one["silhouette"])


def _build_forest(ns):
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=ns.n_estimators, random_state=ns.seed)


def _build_linear(ns):
    from sklearn.linear_model import LinearRegression

    return LinearRegression()


FOREST_ARGS = [Arg("n_estimators", "int", 20, minimum=1)]

# a numeric feature with gaps, a categorical one with a gap, the label last
TRAIN = "size,colour,weight,label\n" + "".join(
    f"{s},{c},{w},{lab}\n"
    for s, c, w, lab in [
        (1, "red", 10, "small"), (2, "red", "", "small"), (1.5, "", 11, "small"), (2.2, "blue", 12, "small"),
        (9, "green", 90, "big"), (8, "green", "NA", "big"), (10, "blue", 95, "big"), (9.5, "green", 99, "big"),
    ] * 3
)


class FlowTest(unittest.TestCase):
    def test_train_evaluate_predict(self):
        data, model, out_eval, out_pred = (temp_dir(self) for _ in range(4))
        write(data, "train.csv", TRAIN)
        code, out, err = run_quiet(train_main, "classification", "random-forest-classifier", _build_forest, FOREST_ARGS, argv=["--data_dir", data, "--output_path", model])
        self.assertEqual(code, 0, err)
        self.assertIn("no val.csv: evaluated on 5 rows held out (20%)", out)
        result = read_json(os.path.join(model, "result.json"))
        self.assertEqual(result["accuracy"], 1.0)
        self.assertEqual(result["evaluated_on"], {"holdout": 0.2, "rows": 5})
        record = read_json(os.path.join(model, "model.json"))
        self.assertEqual(record["classes"], ["big", "small"])
        self.assertEqual(record["features"][1], {"name": "colour", "kind": "categorical", "categories": ["(missing)", "blue", "green", "red"]})
        self.assertEqual(record["features"][2]["kind"], "numeric")
        self.assertTrue(os.path.isfile(os.path.join(model, "confusion_matrix.csv")))

        # unseen category (purple) and missing values go through the same transform
        write(data, "val.csv", "label,weight,colour,size\nbig,93,purple,9\nsmall,,red,1\n")
        code, _, err = run_quiet(evaluate_main, "classification", "classification-evaluate", argv=["--data_dir", data, "--model_dir", model, "--output_path", out_eval])
        self.assertEqual(code, 0, err)
        self.assertEqual(read_json(os.path.join(out_eval, "result.json"))["accuracy"], 1.0)
        self.assertEqual(read_text(os.path.join(out_eval, "confusion_matrix.txt")), "1\t0\n0\t1\n")

        write(data, "test.csv", "size,colour,weight\n9.1,green,92\n1.1,red,\n")
        code, _, err = run_quiet(predict_main, "classification", "classification-predict", argv=["--data_dir", data, "--model_dir", model, "--output_path", out_pred])
        self.assertEqual(code, 0, err)
        lines = read_text(os.path.join(out_pred, "result.csv")).splitlines()
        self.assertEqual(lines[0], "size,colour,weight,PREDICT,PROB_big,PROB_small")
        self.assertEqual([line.split(",")[3] for line in lines[1:]], ["big", "small"])
        self.assertEqual(lines[2].split(",")[:3], ["1.1", "red", ""])  # the rows as given

    def test_bad_input_writes_nothing(self):
        data, out = temp_dir(self), temp_dir(self)
        write(data, "train.csv", "a,b,label\n1,2,x\n3,oops,y\n4,5,x\n6,7,y\n")
        code, _, err = run_quiet(train_main, "classification", "random-forest-classifier", _build_forest, FOREST_ARGS, argv=["--data_dir", data, "--output_path", out])
        self.assertEqual(code, 2)
        self.assertEqual(err, f'error: {data}/train.csv:3: column "b": "oops" is not a number (the column\'s other values are numbers) (fix the value, or leave it empty to have it imputed)\n')
        self.assertEqual(os.listdir(out), [])

    def test_a_regression_model_given_to_classification_evaluate(self):
        data, model, out = temp_dir(self), temp_dir(self), temp_dir(self)
        write(data, "train.csv", "x,y\n1,2\n2,4\n3,6\n4,8\n5,10\n")
        self.assertEqual(run_quiet(train_main, "regression", "linear-regression", _build_linear, [], argv=["--data_dir", data, "--output_path", model])[0], 0)
        write(data, "val.csv", "x,y\n6,12\n")
        code, _, err = run_quiet(evaluate_main, "classification", "classification-evaluate", argv=["--data_dir", data, "--model_dir", model, "--output_path", out])
        self.assertEqual(code, 2)
        self.assertEqual(err, f"error: {model}: holds a regression model (trained by linear-regression), not a classification model (use regression-evaluate or regression-predict)\n")
        self.assertEqual(os.listdir(out), [])

    def test_clustering_with_too_many_clusters(self):
        data, out = temp_dir(self), temp_dir(self)
        write(data, "data.csv", "x,y\n0,0\n0,1\n5,5\n")

        def build(ns, x):
            from sklearn.cluster import KMeans

            return KMeans(n_clusters=ns.n_clusters, n_init=1, random_state=0)

        args = [Arg("n_clusters", "int", 5, minimum=1)]
        code, _, err = run_quiet(cluster_main, "kmeans", build, args, clusters_param="n_clusters", argv=["--data_dir", data, "--output_path", out])
        self.assertEqual(code, 2)
        self.assertEqual(err, f"error: {data}/data.csv: has 3 rows, fewer than n_clusters (5) (lower n_clusters)\n")
        code, _, err = run_quiet(cluster_main, "kmeans", build, args, clusters_param="n_clusters", argv=["--data_dir", data, "--output_path", out, "--n_clusters", "2"])
        self.assertEqual(code, 0, err)
        self.assertEqual(read_text(os.path.join(out, "result.csv")).splitlines()[0], "x,y,PREDICT")
        self.assertEqual(read_json(os.path.join(out, "result.json"))["n_clusters"], 2)


if __name__ == "__main__":
    unittest.main()
