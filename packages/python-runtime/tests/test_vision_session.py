"""aves2_runtime.vision.session end to end on the CPU, on tiny generated data: the
outputs, the bad-input lines (exit code 2, before training), and resuming: a run
killed after epoch 1 and resumed trains epochs 2-3 exactly as an uninterrupted run."""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest
from unittest import mock

import numpy as np
from PIL import Image

from aves2_runtime.vision import checkpoints, inputs, models, params, session, tf_example, tfrecord

TABLE = params.table(models.NETS, {})
CLASSES = ("a", "b", "c")


def picture(label, seed, size=12, fmt="PNG"):
    """A learnable image: class k is bright in its own third of the picture."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    x[:, label * size // 3:(label + 1) * size // 3] += 180
    buf = io.BytesIO()
    Image.fromarray(x).save(buf, format=fmt)
    return buf.getvalue()


def image_folder(root, per_class=10, seed=0):
    for k, name in enumerate(CLASSES):
        os.makedirs(os.path.join(root, name))
        for i in range(per_class):
            with open(os.path.join(root, name, f"{i}.png"), "wb") as f:
                f.write(picture(k, seed + 100 * k + i))
    return root


def tfrecords(root, prefix, labels, seed=0):
    os.makedirs(root, exist_ok=True)
    examples = [
        tf_example.encode_example({"image/encoded": picture(l % 3, seed + i, fmt="JPEG"), "image/class/label": l, "image/filename": f"img{i}.jpg"})
        for i, l in enumerate(labels)
    ]
    path = os.path.join(root, f"{prefix}-00000-of-00001")
    tfrecord.write_records(path, examples)
    return path


class Run:
    """One in-process run: its exit code, stdout, stderr and folders."""

    def __init__(self, tmp, train, validation=None, extra=(), out="out", after_epoch=None):
        self.result = os.path.join(tmp, out, "result")
        self.checkpoint = os.path.join(tmp, out, "checkpoint")
        argv = ["--train_data_dir", train, "--result_dir", self.result, "--checkpoint_dir", self.checkpoint,
                "--model_name", "mobilenet_v2_035", "--num_class", "3", "--image_size", "16", "--batch_size", "8",
                "--epochs", "2", "--eval_every_epochs", "1", "--display_every_steps", "0", "--optimizer", "adam", "--lr", "0.003"]
        if validation:
            argv += ["--validation_data_dir", validation]
        stdout, stderr = io.StringIO(), io.StringIO()
        self.code = 0
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            try:
                session.main("test", TABLE, argv + list(extra), after_epoch=after_epoch)
            except SystemExit as e:
                self.code = e.code
            except Killed:
                self.code = "killed"
        self.stdout, self.stderr = stdout.getvalue(), stderr.getvalue()

    def metrics(self):
        with open(os.path.join(self.result, "metrics.json")) as f:
            return json.load(f)

    def summary(self):
        lines = [l for l in self.stdout.splitlines() if l.startswith('AVES2_EVENT {"type":"summary"')]
        return json.loads(lines[-1].split(" ", 1)[1])["metrics"]


class Killed(Exception):
    pass


def kill_after(epoch):
    def hook(state):
        if state.epoch == epoch:
            raise Killed()

    return hook


class SessionTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp()
        cls.train = image_folder(os.path.join(cls.tmp, "train"))
        cls.validation = image_folder(os.path.join(cls.tmp, "validation"), per_class=4, seed=7)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def run_here(self, out, **kw):
        return Run(self.tmp, self.train, self.validation, out=out, **kw)

    def test_outputs(self):
        r = self.run_here("outputs", extra=["--summary_dir", os.path.join(self.tmp, "outputs", "summary")])
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(sorted(os.listdir(r.checkpoint)), ["best.pt", "last.pt", "model.pt"])
        self.assertEqual(sorted(os.listdir(r.result)), sorted([
            "classification_report.txt", "confusion_matrix.csv", "confusion_matrix.txt", "correct.txt", "curves.csv",
            "curves.png", "error.txt", "metrics.json", "result.json"]))
        self.assertEqual(sorted(os.listdir(os.path.join(self.tmp, "outputs", "summary"))), ["curves.csv", "curves.png"])
        m = r.metrics()
        self.assertEqual([e["epoch"] for e in m["epochs"]], [1, 2])
        self.assertEqual(m["validation_images"], 12)
        self.assertEqual(m["top1"], max(e["val_accuracy"] for e in m["epochs"]))
        self.assertEqual(set(r.summary()), {"top1", "val_loss", "epochs", "device"})
        self.assertEqual(r.summary()["top1"], m["top1"])
        model = checkpoints.load(os.path.join(r.checkpoint, "model.pt"), "test")
        self.assertEqual((model["model_name"], model["classes"], model["image_size"]), ("mobilenet_v2_035", list(CLASSES), 16))
        with open(os.path.join(r.result, "correct.txt")) as right, open(os.path.join(r.result, "error.txt")) as wrong:
            self.assertEqual(len(right.readlines()) + len(wrong.readlines()), 12)
        for line in ("input: CPU decode (PIL) in the main process, kept in memory", "augment: off (images under 64 px)", "model: mobilenet_v2_035 → torchvision mobilenet_v2(width_mult=0.35)"):
            self.assertIn(line, r.stdout)

    def test_early_stop_and_eval_every(self):
        # lr 0: nothing improves after the first evaluation, so patience 1 stops at epoch 2 of 6
        r = self.run_here("early", extra=["--lr_decay", "none", "--epochs", "6", "--early_stop", "1", "--patience", "1", "--lr", "1e-7"])
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual(r.summary()["epochs"], 2)
        self.assertTrue(r.metrics()["stopped_early"])
        r = self.run_here("every", extra=["--epochs", "3", "--eval_every_epochs", "2"])
        self.assertEqual([e["val_loss"] is not None for e in r.metrics()["epochs"]], [False, True, True])

    def test_holdout_when_no_validation(self):
        r = Run(self.tmp, self.train, out="holdout")
        self.assertEqual(r.code, 0, r.stderr)
        self.assertEqual((r.metrics()["train_images"], r.metrics()["validation_images"]), (24, 6))

    def test_resume_after_a_kill_trains_as_if_never_stopped(self):
        extra = ["--epochs", "3", "--augment", "on", "--lr_decay", "exponential", "--decay_epochs", "1", "--decay_rate", "0.5"]
        whole = self.run_here("whole", extra=extra)
        killed = self.run_here("resumed", extra=extra, after_epoch=kill_after(1))
        self.assertEqual(killed.code, "killed")
        resumed = self.run_here("resumed", extra=extra)
        self.assertIn("resume: from epoch 1", resumed.stdout)
        a, b = whole.metrics()["epochs"], resumed.metrics()["epochs"]
        self.assertEqual([e["epoch"] for e in b], [1, 2, 3])
        for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
            np.testing.assert_allclose([e[key] for e in b[1:]], [e[key] for e in a[1:]], rtol=1e-5, err_msg=key)

    def test_resume_1_continues_a_finished_run_with_more_epochs(self):
        extra = ["--lr_decay", "exponential", "--decay_epochs", "1", "--decay_rate", "0.5"]
        whole = self.run_here("two", extra=extra)
        self.run_here("one-then-two", extra=extra + ["--epochs", "1"])
        auto = self.run_here("one-then-two", extra=extra)  # finished: auto does not resume ...
        self.assertIn("is of a finished run; training afresh", auto.stdout)
        self.run_here("one-then-two2", extra=extra + ["--epochs", "1"])
        more = self.run_here("one-then-two2", extra=extra + ["--resume", "1"])  # ... 1 does
        np.testing.assert_allclose(more.metrics()["epochs"][1]["loss"], whole.metrics()["epochs"][1]["loss"], rtol=1e-5)

    def test_pretrained_weights_are_loaded_unless_fine_tune_0(self):
        first = self.run_here("pre")
        r = self.run_here("from-pre", extra=["--pre_trained_model_ckpt_path", first.checkpoint])
        self.assertRegex(r.stdout, r"pre-trained: loaded \d+/\d+ tensors from .*best\.pt")
        r = self.run_here("from-pre-0", extra=["--pre_trained_model_ckpt_path", first.checkpoint, "--fine_tune", "0"])
        self.assertIn("pre-trained: fine_tune 0, so the checkpoint is not loaded", r.stdout)
        tf_only = os.path.join(self.tmp, "tf-ckpt")
        os.makedirs(tf_only)
        open(os.path.join(tf_only, "mobilenet_v2_1.4_224.ckpt.index"), "w").close()
        r = self.run_here("from-tf", extra=["--pre_trained_model_ckpt_path", tf_only, "--epochs", "1"])
        self.assertEqual(r.code, 0, r.stderr)
        self.assertIn("holds TensorFlow checkpoints", r.stdout)


class InTmp(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)


class BadInputTest(InTmp):

    def refused(self, train, extra=(), validation=None):
        r = Run(self.tmp, train, validation, extra=extra)
        self.assertEqual(r.code, 2, r.stdout + r.stderr)
        lines = r.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, r.stderr)
        self.assertFalse(os.path.exists(os.path.join(r.checkpoint, "last.pt")))  # nothing trained
        return lines[0]

    def test_unknown_and_unsupported_models(self):
        line = self.refused("/nowhere", ["--model_name", "nasnet_large"])
        self.assertRegex(line, r"^error: --model_name: nasnet_large: torchvision has no NASNet \(supported: vgg_16, ")

    def test_image_size_before_any_data_is_read(self):
        line = self.refused("/nowhere", ["--model_name", "inception_v4", "--image_size", "64"])
        self.assertEqual(line, "error: --image_size: 64 is too small for inception_v4: it needs at least 75 px (--image_size 75 or more)")

    def test_labels_outside_num_class(self):
        folder = os.path.join(self.tmp, "records")
        tfrecords(folder, "train", [0, 1, 2, 3] * 3)
        self.assertRegex(self.refused(folder), r"image/class/label is 3, outside 0\.\.2 for --num_class 3")

    def test_no_shards(self):
        os.makedirs(os.path.join(self.tmp, "empty"))
        self.assertRegex(self.refused(os.path.join(self.tmp, "empty")), r"no train-\*-of-\* / validation-\*-of-\* shards")

    def test_bad_crc(self):
        folder = os.path.join(self.tmp, "records")
        path = tfrecords(folder, "train", [0, 1, 2] * 4)
        with open(path, "rb") as f:
            blob = bytearray(f.read())
        middle = blob.find(picture(0, 0, fmt="JPEG")) + 100  # inside the first record's image bytes
        blob[middle] ^= 0xFF
        with open(path, "wb") as f:
            f.write(blob)
        self.assertRegex(self.refused(folder), r"CRC")

    def test_class_folder_with_no_readable_image(self):
        train = image_folder(os.path.join(self.tmp, "train"), per_class=3)
        for name in os.listdir(os.path.join(train, "b")):
            with open(os.path.join(train, "b", name), "wb") as f:
                f.write(b"not an image")
        self.assertRegex(self.refused(train), r"b/0\.png: class b: none of its 3 images is readable")


class DataPathTest(InTmp):
    def test_the_gpu_input_path_trains_end_to_end_on_the_cpu(self):
        # what runs on CUDA with JPEG data (bytes from the loader, batches decoded and resized by
        # gpu_input), here with the CPU as the device
        folder = os.path.join(self.tmp, "records")
        tfrecords(folder, "train", [0, 1, 2] * 8)
        tfrecords(folder, "validation", [0, 1, 2] * 2, seed=50)
        with mock.patch.object(inputs, "use_gpu_decode", return_value=(True, "forced by the test")):
            r = Run(self.tmp, folder, folder, extra=["--epochs", "2", "--augment", "on"])
        self.assertEqual(r.code, 0, r.stderr)
        self.assertIn("input: GPU decode: JPEG decoded on the CPU (torchvision.io.decode_jpeg), resized on cpu (forced by the test)", r.stdout)
        self.assertEqual(len(r.metrics()["epochs"]), 2)

    def test_tfrecord_data_trains(self):
        folder = os.path.join(self.tmp, "records")
        tfrecords(folder, "train", [1, 2, 3] * 8)  # 1-based labels, as TF-slim's converters write
        tfrecords(folder, "validation", [1, 2, 3] * 2, seed=50)
        r = Run(self.tmp, folder, folder, extra=["--epochs", "1"])
        self.assertEqual(r.code, 0, r.stderr)
        self.assertIn("labels 1-based (shifted to 0-based)", r.stdout)
        with open(os.path.join(r.result, "correct.txt")) as right, open(os.path.join(r.result, "error.txt")) as wrong:
            names = sorted(l.split("\t")[0] for l in right.readlines() + wrong.readlines())
        self.assertEqual(names, sorted(f"img{i}.jpg" for i in range(6)))
