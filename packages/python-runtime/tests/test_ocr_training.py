"""aves2_runtime.ocr.train and recognize end to end on a few lines: the outputs, resuming an
interrupted run on the shared epoch loop, evaluate/predict on its model_save_dir, and bad
input as one error line with exit code 2."""

import contextlib
import io
import json
import os
import random
import tempfile
import unittest

import torch
from PIL import Image, ImageDraw

from aves2_runtime.ocr import recognize, train
from aves2_runtime.vision import checkpoints

TINY = ["--epochs", "2", "--batch_size", "4", "--cnn_width", "8", "--hidden_units", "8", "--hidden_layers", "1", "--display_every_steps", "0"]


def make_dataset(root, counts=(("Train", 12), ("Validation", 4), ("Test", 4)), chars="0123"):
    rng = random.Random(0)
    for split, count in counts:
        os.makedirs(os.path.join(root, split, "images"), exist_ok=True)
        lines = []
        for i in range(count):
            text = "".join(rng.choice(chars) for _ in range(rng.randint(2, 4)))
            image = Image.new("L", (12 * len(text) + 8, 32), 255)
            ImageDraw.Draw(image).text((4, 10), text, fill=0)
            image.save(os.path.join(root, split, "images", f"{i}.png"))
            lines.append(f"images/{i}.png {text}\n")
        with open(os.path.join(root, split, "sample.txt"), "w") as f:
            f.writelines(lines)


def run(main, argv, **kw):
    """(exit code, stdout, stderr) of an entry's main."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main("test", argv, **kw)
        except SystemExit as e:
            code = e.code
    return code, out.getvalue(), err.getvalue()


class TrainingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp()
        make_dataset(os.path.join(cls.root, "data"))
        cls.data = os.path.join(cls.root, "data")
        cls.models = os.path.join(cls.root, "models")
        cls.code, cls.out, cls.err = run(train.main, ["--dataset_dir", cls.data, "--model_save_dir", cls.models, "--tboard_save_dir", os.path.join(cls.root, "tb"), *TINY])

    def test_a_run_writes_the_model_folder(self):
        self.assertEqual(self.code, 0, self.err)
        self.assertEqual(sorted(os.listdir(self.models)), ["best.pt", "char_dict.json", "curves.csv", "curves.png", "last.pt", "metrics.json", "model.pt", "ord_map.json", "predictions.txt"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.root, "tb"))), ["curves.csv", "curves.png"])
        with open(os.path.join(self.models, "metrics.json")) as f:
            m = json.load(f)
        self.assertEqual((m["characters"], m["char_dict"], m["epochs_run"], m["lines"], len(m["epochs"])), ("0123", "built from the labels", 2, 4, 2))
        self.assertIn('"type":"summary","metrics":{"sequence_accuracy"', self.out)
        with open(os.path.join(self.models, "predictions.txt")) as f:
            self.assertEqual(len(f.readlines()), 4)
        saved = checkpoints.load(os.path.join(self.models, "model.pt"), "test")
        self.assertEqual((saved["task"], saved["charset"], saved["num_class"]), ("text-recognition", "0123", 5))

    def test_an_interrupted_run_resumes_to_the_same_weights(self):
        folder = os.path.join(self.root, "interrupted")

        def stop(state):
            if state.epoch == 1:
                raise KeyboardInterrupt

        with self.assertRaises(KeyboardInterrupt):
            run(train.main, ["--dataset_dir", self.data, "--model_save_dir", folder, *TINY], after_epoch=stop)
        code, out, err = run(train.main, ["--dataset_dir", self.data, "--model_save_dir", folder, *TINY])
        self.assertEqual(code, 0, err)
        self.assertIn("resume: from epoch 1", out)
        mine, whole = (checkpoints.unpack(checkpoints.load(os.path.join(f, "last.pt"), "t")) for f in (folder, self.models))
        for k, v in whole["state_dict"].items():
            torch.testing.assert_close(mine["state_dict"][k], v, rtol=0, atol=0, msg=k)

    def test_another_net_in_the_same_folder_is_not_resumed(self):
        folder = os.path.join(self.root, "other-net")

        def stop(state):
            raise KeyboardInterrupt

        with self.assertRaises(KeyboardInterrupt):  # an unfinished run with 8 LSTM units
            run(train.main, ["--dataset_dir", self.data, "--model_save_dir", folder, *TINY], after_epoch=stop)
        code, _, err = run(train.main, ["--dataset_dir", self.data, "--model_save_dir", folder, *TINY, "--hidden_units", "12", "--resume", "1"])
        self.assertEqual(code, 2)
        self.assertIn("last.pt is from another run: hidden_units 8 (now 12)", err)
        code, out, err = run(train.main, ["--dataset_dir", self.data, "--model_save_dir", folder, *TINY, "--hidden_units", "12"])
        self.assertEqual(code, 0, err)
        self.assertIn("last.pt: hidden_units 8 (now 12); training afresh", out)

    def test_evaluate_and_predict_read_the_model_folder(self):
        result = os.path.join(self.root, "evaluation")
        code, out, err = run(recognize.evaluate_main, ["--dataset_dir", self.data, "--model_save_dir", self.models, "--result_dir", result])
        self.assertEqual(code, 0, err)
        self.assertIn("data: Test: 4 lines", out)
        self.assertEqual(sorted(os.listdir(result)), ["errors.txt", "predictions.txt", "result.json"])
        with open(os.path.join(result, "result.json")) as f:
            self.assertEqual(json.load(f)["lines"], 4)
        predicted = os.path.join(self.root, "prediction")
        code, out, err = run(recognize.predict_main, ["--image_path", os.path.join(self.data, "Test", "images"), "--model_save_dir", self.models, "--result_dir", predicted])
        self.assertEqual(code, 0, err)
        with open(os.path.join(predicted, "predictions.txt")) as f:
            self.assertEqual([line.split("\t")[0] for line in f], ["0.png", "1.png", "2.png", "3.png"])


class BadInputTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.data = os.path.join(self.root, "data")
        make_dataset(self.data, (("Train", 3), ("Validation", 2)))

    def assert_refused(self, main, argv, pattern):
        code, _, err = run(main, argv)
        self.assertEqual(code, 2, err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)
        self.assertRegex(err, pattern)

    def test_a_label_outside_the_char_dict(self):
        os.makedirs(os.path.join(self.root, "dict"))
        with open(os.path.join(self.root, "dict", "char_dict.json"), "w") as f:
            json.dump({"48_ord": "0", "49_ord": "1"}, f)
        self.assert_refused(train.main, ["--dataset_dir", self.data, "--model_save_dir", os.path.join(self.root, "m"), "--char_dict_path", os.path.join(self.root, "dict"), *TINY],
                            r'^error: .*Train/sample.txt:\d: label "[0-3]+" has "[23]" \(U\+003[23]\).*not in .*char_dict.json')

    def test_an_empty_sample_txt(self):
        open(os.path.join(self.data, "Train", "sample.txt"), "w").close()
        self.assert_refused(train.main, ["--dataset_dir", self.data, "--model_save_dir", os.path.join(self.root, "m"), *TINY],
                            r'^error: .*Train/sample.txt: is empty: no "path label" lines')

    def test_a_missing_image(self):
        os.remove(os.path.join(self.data, "Validation", "images", "1.png"))
        self.assert_refused(train.main, ["--dataset_dir", self.data, "--model_save_dir", os.path.join(self.root, "m"), *TINY],
                            r"^error: .*Validation/sample.txt:2: image images/1.png not found")

    def test_predict_refuses_a_classification_checkpoint(self):
        folder = os.path.join(self.root, "classifier")
        os.makedirs(folder)
        checkpoints.save_best(folder, torch.nn.Linear(4, 3), {"model_name": "resnet18", "num_class": 3, "classes": ["a", "b", "c"], "image_size": 32, "epoch": 1})
        self.assert_refused(recognize.predict_main, ["--image_path", os.path.join(self.data, "Train", "images"), "--model_save_dir", folder],
                            r"^error: --model_save_dir: .*model.pt is an image-classification checkpoint \(model_name resnet18, 3 classes\), not a text recogniser")

    def test_an_image_height_the_net_cannot_take(self):
        self.assert_refused(train.main, ["--dataset_dir", self.data, "--model_save_dir", os.path.join(self.root, "m"), "--image_height", "40"],
                            r"^error: --image_height: 40 is not a multiple of 16")


if __name__ == "__main__":
    unittest.main()
