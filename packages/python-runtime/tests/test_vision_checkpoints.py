"""aves2_runtime.vision.checkpoints: the last.pt container, when a run resumes, and
loading pre-trained weights."""

import os
import shutil
import tempfile
import unittest

import torch

from aves2_runtime.problems import Problem
from aves2_runtime.vision import checkpoints

META = {"model_name": "resnet18", "num_class": 3, "classes": ["a", "b", "c"], "image_size": 32}


class PackTest(unittest.TestCase):
    def test_round_trip_through_a_weights_only_load(self):
        opt = torch.optim.Adam(torch.nn.Linear(2, 2).parameters(), lr=0.5)
        value = {"epoch": 3, "lr": 0.25, "nan": float("inf"), "betas": (0.9, 0.999), "state": {0: {"step": torch.tensor(4.0)}}, "names": ["x"], "none": None, "opt": opt.state_dict()}
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "last.pt")
            checkpoints.save(path, checkpoints.pack(value))
            back = checkpoints.unpack(checkpoints.load(path, "test"))  # weights_only=True inside
        self.assertEqual(back["betas"], (0.9, 0.999))
        self.assertEqual(list(back["state"]), [0])  # int keys stay ints
        self.assertTrue(torch.equal(back["state"][0]["step"], torch.tensor(4.0)))
        self.assertEqual((back["lr"], back["nan"], back["none"], back["names"]), (0.25, float("inf"), None, ["x"]))
        self.assertEqual(back["opt"]["param_groups"][0]["lr"], 0.5)


class ResumableTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.said = []

    def last(self, **fields):
        checkpoints.save(os.path.join(self.dir, checkpoints.LAST), checkpoints.pack({**META, "finished": False, **fields}))

    def resumable(self, mode, **meta):
        return checkpoints.resumable(self.dir, mode, {**META, **meta}, self.said.append)

    def test_nothing_to_resume(self):
        self.assertIsNone(self.resumable("auto"))
        self.assertIsNone(self.resumable("0"))
        with self.assertRaisesRegex(Problem, r"^--resume: is 1 but .*last\.pt does not exist"):
            self.resumable("1")

    def test_same_model_resumes(self):
        self.last()
        self.assertEqual(self.resumable("auto")["model_name"], "resnet18")
        self.assertIsNone(self.resumable("0"))

    def test_another_model_or_class_count_does_not(self):
        self.last()
        self.assertIsNone(self.resumable("auto", num_class=5))
        self.assertEqual(self.said, [f"resume: not resuming {self.dir}/last.pt: num_class 3 (now 5)"])
        with self.assertRaisesRegex(Problem, r"is from another run: model_name resnet18 \(now vgg_16\)"):
            self.resumable("1", model_name="vgg_16")

    def test_a_finished_run_resumes_only_when_asked(self):
        self.last(finished=True)
        self.assertIsNone(self.resumable("auto"))
        self.assertIsNotNone(self.resumable("1"))


class PretrainedTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.dir)
        self.said = []

    def test_matching_tensors_are_copied_others_reported(self):
        source = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 5))
        # a DDP-wrapped model's keys
        torch.save({"state_dict": {f"module.{k}": v for k, v in source.state_dict().items()}}, os.path.join(self.dir, "a.pt"))
        target = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.Linear(3, 2))
        self.assertEqual(checkpoints.load_pretrained(target, self.dir, self.said.append), 2)
        self.assertTrue(torch.equal(target[0].weight, source[0].weight))
        self.assertIn("pre-trained: skipped (shape differs): 1.bias, 1.weight", self.said)

    def test_folders(self):
        with self.assertRaisesRegex(Problem, "has no \\*.pt or \\*.pth file"):
            checkpoints.find_checkpoint(self.dir, self.said.append)
        open(os.path.join(self.dir, "model.ckpt.index"), "w").close()
        self.assertIsNone(checkpoints.find_checkpoint(self.dir, self.said.append))
        self.assertIn("TensorFlow checkpoints", self.said[0])
        with self.assertRaisesRegex(Problem, "is not a directory"):
            checkpoints.find_checkpoint(os.path.join(self.dir, "nope"), self.said.append)
