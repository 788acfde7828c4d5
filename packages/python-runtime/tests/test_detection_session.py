"""The detection entries end to end on the CPU, on a tiny generated VOC set: training's
outputs and events, resuming after a kill as if never stopped, evaluate and predict on
the trained model, and the bad-input lines (exit code 2)."""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image

from aves2_runtime.detection import evaluate, params, predict, session
from aves2_runtime.vision import checkpoints

CLASSES = ("red", "blue")


def make_set(root, train=12, val=4, size=48, seed=0):
    """Squares on noise: red ones and blue ones, one or two per image."""
    rng = np.random.default_rng(seed)
    for d in ("JPEGImages", "Annotations", os.path.join("ImageSets", "Main")):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    ids = [f"{i:03d}" for i in range(train + val)]
    for ident in ids:
        x = rng.integers(0, 90, (size, size, 3), dtype=np.uint8)
        objects = []
        for k in range(int(rng.integers(1, 3))):
            side = int(rng.integers(12, 20))
            x0, y0 = int(rng.integers(0, size // 2 - side // 2)) + k * size // 2, int(rng.integers(0, size - side))
            x0 = min(x0, size - side)
            c = int(rng.integers(0, 2))
            x[y0:y0 + side, x0:x0 + side] = (230, 40, 40) if c == 0 else (40, 40, 230)
            objects.append((CLASSES[c], x0 + 1, y0 + 1, x0 + side, y0 + side))
        Image.fromarray(x).save(os.path.join(root, "JPEGImages", f"{ident}.jpg"), quality=95)
        objs = "".join(f"<object><name>{c}</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{e}</xmax><ymax>{f}</ymax></bndbox></object>" for c, a, b, e, f in objects)
        with open(os.path.join(root, "Annotations", f"{ident}.xml"), "w") as f:
            f.write(f"<annotation><filename>{ident}.jpg</filename><size><width>{size}</width><height>{size}</height></size>{objs}</annotation>")
    for split, names in (("train", ids[:train]), ("val", ids[train:])):
        with open(os.path.join(root, "ImageSets", "Main", f"{split}.txt"), "w") as f:
            f.write("\n".join(names) + "\n")
    return root


class Killed(Exception):
    pass


def captured(fn, *args, **kw):
    """(exit code, stdout, stderr) of an entry run in process."""
    out, err, code = io.StringIO(), io.StringIO(), 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            fn(*args, **kw)
        except SystemExit as e:
            code = e.code
        except Killed:
            code = "killed"
    return code, out.getvalue(), err.getvalue()


def summary(stdout):
    lines = [l for l in stdout.splitlines() if l.startswith('AVES2_EVENT {"type":"summary"')]
    return json.loads(lines[-1].split(" ", 1)[1])["metrics"]


class DetectionSessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.data = make_set(os.path.join(cls.tmp, "voc"))
        cls.trained = os.path.join(cls.tmp, "trained")
        cls.first = cls.train(cls.trained)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    @classmethod
    def train(cls, out, extra=(), after_epoch=None, data=None):
        argv = ["--tfrecords_dir", data or cls.data, "--output_path", out, "--image_size", "48", "--batch_size", "4",
                "--epochs", "2", "--learning_rate", "0.003", "--display_every_steps", "0"] + list(extra)
        return captured(session.main, "test", params.train_table(), argv, after_epoch=after_epoch)

    def test_training_outputs(self):
        code, out, err = self.first
        self.assertEqual(code, 0, err)
        self.assertEqual(sorted(os.listdir(self.trained)), ["best.pt", "curves.csv", "curves.png", "label_map.pbtxt", "last.pt", "metrics.json", "model.pt", "result.json"])
        with open(os.path.join(self.trained, "result.json")) as f:
            result = json.load(f)
        self.assertEqual(set(result) >= {"map", "map_50_95", "precision", "recall", "ap_per_class", "per_class"}, True)
        self.assertEqual(sorted(result["ap_per_class"]), ["blue", "red"])  # the training annotations' names, sorted
        self.assertEqual(set(summary(out)), {"map", "map_50_95", "precision", "recall", "epochs", "device"})
        self.assertEqual(summary(out)["map"], result["map"])
        model = checkpoints.load(os.path.join(self.trained, "model.pt"), "test")
        self.assertEqual((model["task"], model["model_name"], model["classes"], model["image_size"]), ("object-detection", "ssdlite320_mobilenet_v3_large", ["blue", "red"], 48))
        metrics = [json.loads(l.split(" ", 1)[1]) for l in out.splitlines() if l.startswith('AVES2_EVENT {"type":"metric"')]
        self.assertEqual([m["epoch"] for m in metrics], [1, 2])
        self.assertEqual(set(metrics[0]), {"type", "epoch", "epochs", "loss", "val_map", "val_map_50_95", "lr", "seconds", "images_per_second"})
        self.assertIn("data: train: Pascal VOC, train: 12 images", out)

    def test_resume_after_a_kill_trains_as_if_never_stopped(self):
        extra = ["--epochs", "3", "--eval_every_epochs", "2"]
        whole_dir, resumed_dir = os.path.join(self.tmp, "whole"), os.path.join(self.tmp, "resumed")
        self.train(whole_dir, extra)

        def kill(state):
            if state.epoch == 1:
                raise Killed()

        self.assertEqual(self.train(resumed_dir, extra, after_epoch=kill)[0], "killed")
        code, out, err = self.train(resumed_dir, extra)
        self.assertEqual(code, 0, err)
        self.assertIn("resume: from epoch 1", out)
        with open(os.path.join(whole_dir, "metrics.json")) as a, open(os.path.join(resumed_dir, "metrics.json")) as b:
            whole, resumed = json.load(a)["epochs"], json.load(b)["epochs"]
        self.assertEqual([e["val_map"] is not None for e in resumed], [False, True, True])
        for key in ("loss", "val_map", "lr"):
            np.testing.assert_allclose([e[key] for e in resumed[1:]], [e[key] for e in whole[1:]], rtol=1e-5, err_msg=key)

    def test_evaluate_reports_the_trained_models_map(self):
        out_dir = os.path.join(self.tmp, "eval")
        code, out, err = captured(evaluate.main, "test", ["--tfrecords_dir", self.data, "--model_dir", self.trained, "--output_path", out_dir])
        self.assertEqual(code, 0, err)
        with open(os.path.join(self.trained, "result.json")) as f:
            trained = json.load(f)
        with open(os.path.join(out_dir, "result.json")) as f:
            result = json.load(f)
        self.assertAlmostEqual(result["map"], trained["map"], places=6)  # the same model on the same split
        self.assertEqual(summary(out)["images"], 4)

    def test_predict_writes_boxes_and_pictures(self):
        out_dir = os.path.join(self.tmp, "pred")
        code, out, err = captured(predict.main, "test", ["--data_dir", self.data, "--model_dir", self.trained, "--output_path", out_dir, "--min_score_thresh", "0"])
        self.assertEqual(code, 0, err)
        files = sorted(os.listdir(out_dir))
        self.assertEqual(files, ["012.jpg", "012.json", "013.jpg", "013.json", "014.jpg", "014.json", "015.jpg", "015.json", "predictions.json", "result.json"])
        with open(os.path.join(out_dir, "012.json")) as f:
            one = json.load(f)
        self.assertEqual((one["image"], one["width"], one["height"]), ("012.jpg", 48, 48))
        self.assertTrue(one["boxes"])  # score >= 0 keeps every box
        self.assertEqual(set(one["boxes"][0]), {"class", "label", "score", "box"})
        with Image.open(os.path.join(out_dir, "012.jpg")) as im:
            self.assertEqual(im.size, (48, 48))
        # a plain folder of images: predicted whole, nothing to score
        code, out, err = captured(predict.main, "test", ["--data_dir", os.path.join(self.data, "JPEGImages"), "--model_dir", self.trained, "--output_path", os.path.join(self.tmp, "pred2")])
        self.assertEqual(code, 0, err)
        self.assertEqual(summary(out)["images"], 16)
        self.assertNotIn("map", summary(out))

    def test_predict_refuses_a_classification_checkpoint(self):
        folder = os.path.join(self.tmp, "classifier")
        os.makedirs(folder)
        checkpoints.save_best(folder, torch.nn.Linear(2, 3), {"model_name": "resnet18", "num_class": 3, "classes": ["a", "b", "c"], "image_size": 32})
        code, _, err = captured(predict.main, "test", ["--data_dir", self.data, "--model_dir", folder, "--output_path", os.path.join(self.tmp, "p3")])
        self.assertEqual(code, 2)
        self.assertEqual(err.strip(), f"error: {folder}/model.pt: is an image-classification checkpoint (resnet18, 3 classes), not an object detector "
                                      "(give the output_path of an object-detection run, e.g. --input model_dir=run:<id>/output_path)")

    def test_evaluate_refuses_classes_the_model_lacks(self):
        other = make_set(os.path.join(self.tmp, "other"), train=2, val=2, seed=5)
        xml = os.path.join(other, "Annotations", "002.xml")
        with open(xml) as f:
            text = f.read()
        with open(xml, "w") as f:
            f.write(text.replace("<name>red</name>", "<name>green</name>").replace("<name>blue</name>", "<name>green</name>"))
        code, _, err = captured(evaluate.main, "test", ["--tfrecords_dir", other, "--model_dir", self.trained, "--output_path", os.path.join(self.tmp, "e2")])
        self.assertEqual(code, 2)
        self.assertIn(f"error: {xml}: object 1 (green): unknown class \"green\"", err)

    def test_bad_data_stops_training_before_it_starts(self):
        bad = make_set(os.path.join(self.tmp, "bad"), train=2, val=2, seed=3)
        os.remove(os.path.join(bad, "JPEGImages", "001.jpg"))
        out = os.path.join(self.tmp, "bad-out")
        code, _, err = self.train(out, data=bad)
        self.assertEqual(code, 2)
        self.assertIn(f"error: {bad}/ImageSets/Main/train.txt:2: image 001: no JPEGImages/001.jpg", err)
        self.assertFalse(os.path.exists(os.path.join(out, "last.pt")))

    def test_a_net_too_small_for_the_image_size(self):
        code, _, err = self.train(os.path.join(self.tmp, "small"), ["--model_name", "ssd300_vgg16", "--image_size", "64"])
        self.assertEqual(code, 2)
        self.assertIn("--image_size: 64 is too small for ssd300_vgg16: it needs at least 268 px", err)


if __name__ == "__main__":
    unittest.main()
