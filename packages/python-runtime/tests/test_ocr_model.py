"""aves2_runtime.ocr.model, batches and checkpoint: the CRNN's shapes, batches padded per
batch, and the checkpoints an OCR entry accepts or refuses."""

import os
import tempfile
import types
import unittest

import torch

from aves2_runtime.ocr import batches, checkpoint, data
from aves2_runtime.ocr import charset as charsets
from aves2_runtime.ocr import model as crnn
from aves2_runtime.problems import Problem
from aves2_runtime.vision import checkpoints

NET = types.SimpleNamespace(image_height=32, max_width=256, cnn_width=8, hidden_units=16, hidden_layers=2)


class CrnnTest(unittest.TestCase):
    def test_one_step_per_four_columns_and_log_probabilities(self):
        net = crnn.build(5, NET).eval()
        with torch.no_grad():
            out = net(torch.randn(3, 1, 32, 40), torch.tensor([40, 24, 8]))
        self.assertEqual(tuple(out.shape), (10, 3, 5))
        torch.testing.assert_close(out.exp().sum(-1), torch.ones(10, 3))

    def test_packing_changes_nothing_for_full_width_lines(self):
        net = crnn.build(5, NET).eval()
        x = torch.randn(2, 1, 32, 48)
        with torch.no_grad():
            torch.testing.assert_close(net(x, torch.tensor([48, 48])), net(x))

    def test_the_recurrence_stops_at_each_lines_width(self):
        # a line 48 columns wide (12 steps) in a batch 128 wide: what lies beyond its
        # convolutions' reach (column 80 on) must not come back through the backward LSTM
        net = crnn.build(5, NET).eval()
        x = torch.randn(1, 1, 32, 128)
        y = x.clone()
        y[..., 80:] = 5.0
        with torch.no_grad():
            torch.testing.assert_close(net(x, torch.tensor([48]))[:12], net(y, torch.tensor([48]))[:12])
            unpacked = (net(x)[:12] - net(y)[:12]).abs().max()
        self.assertGreater(float(unpacked), 1e-4)  # without the widths, it does

    def test_heights(self):
        tall = types.SimpleNamespace(**{**vars(NET), "image_height": 64})
        net = crnn.build(4, tall).eval()
        with torch.no_grad():
            self.assertEqual(tuple(net(torch.randn(1, 1, 64, 32)).shape), (8, 1, 4))
        with self.assertRaisesRegex(ValueError, "not a multiple of 16"):
            crnn.CRNN(4, image_height=40)


class BatchesTest(unittest.TestCase):
    def test_height_normalised_and_padded_to_a_multiple_of_four(self):
        from PIL import Image

        folder = tempfile.mkdtemp()
        samples = []
        for i, (w, h, label) in enumerate([(50, 16, "12"), (30, 32, "3"), (500, 10, "1")]):
            path = os.path.join(folder, f"{i}.png")
            Image.new("L", (w, h), 200).save(path)
            samples.append(data.Sample(path, label, f"{i}.png", i + 1))
        dataset = batches.LineImages(samples, charsets.Charset("123"), 32, 256)
        images, widths, targets, lengths, indices = batches.collate([dataset[i] for i in range(3)])
        # 50x16 → 100 wide at 32 high; 30x32 stays 30; 500x10 → 1600, squeezed to 256
        self.assertEqual(widths.tolist(), [100, 30, 256])
        self.assertEqual(tuple(images.shape), (3, 1, 32, 256))
        self.assertEqual((targets.tolist(), lengths.tolist(), indices.tolist()), ([1, 2, 3, 1], [2, 1, 1], [0, 1, 2]))
        self.assertAlmostEqual(float(images[1, 0, 0, 200]), 200 / 127.5 - 1, places=5)  # the padding repeats the last column

    def test_augmentation_is_drawn_from_torchs_generator(self):
        from PIL import Image

        path = os.path.join(tempfile.mkdtemp(), "a.png")
        Image.new("L", (60, 32), 128).save(path)
        dataset = batches.LineImages([data.Sample(path, "1", "a.png", 1)], charsets.Charset("1"), 32, 256, augment=True)
        torch.manual_seed(3)
        first = dataset[0][0]
        torch.manual_seed(3)
        torch.testing.assert_close(dataset[0][0], first)


class CheckpointTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def save(self, payload, name="model.pt"):
        checkpoints.save(os.path.join(self.dir, name), payload)

    def test_an_ocr_checkpoint_rebuilds_its_net(self):
        charset = charsets.Charset("0123")
        net = crnn.build(charset.num_classes, NET)
        checkpoints.save_best(self.dir, net, {**checkpoint.meta(charset, NET), "epoch": 3})
        file, saved, loaded = checkpoint.load(self.dir)
        self.assertEqual((os.path.basename(file), loaded, saved["epoch"]), ("model.pt", charset, 3))
        rebuilt = checkpoint.build_model(saved)
        x = torch.randn(1, 1, 32, 40)
        with torch.no_grad():
            torch.testing.assert_close(rebuilt(x), net.eval()(x))

    def test_a_classification_checkpoint_is_refused(self):
        self.save({"model_name": "resnet18", "num_class": 10, "classes": [str(i) for i in range(10)], "image_size": 32, "state_dict": {"fc.weight": torch.zeros(10, 4)}})
        with self.assertRaises(Problem) as e:
            checkpoint.load(self.dir, "--model_save_dir", "ocr-predict")
        self.assertIn("is an image-classification checkpoint (model_name resnet18, 10 classes), not a text recogniser", e.exception.message)
        self.assertIn("ocr-predict reads crnn-ocr's model_save_dir", e.exception.hint)

    def test_other_tasks_and_bare_weights_are_refused(self):
        self.assertEqual(checkpoint.foreign({"task": "object-detection", "model_name": "ssd", "state_dict": {}}), "is a object-detection checkpoint (ssd), not a text recogniser")
        self.assertEqual(checkpoint.foreign({"conv.weight": torch.zeros(1)}), "holds bare weights without the characters they were trained on")

    def test_tensorflow_checkpoints_and_empty_folders(self):
        with self.assertRaisesRegex(Problem, "has no model.pt"):
            checkpoint.load(self.dir)
        open(os.path.join(self.dir, "shadownet_2019.ckpt-100.index"), "w").close()
        with self.assertRaisesRegex(Problem, "holds TensorFlow checkpoints"):
            checkpoint.load(self.dir)

    def test_a_char_dict_given_with_a_model_must_be_its_own(self):
        charsets.write(self.dir, charsets.Charset("01"))
        checkpoint.check_dictionary(charsets.Charset("01"), self.dir, None)
        with self.assertRaisesRegex(Problem, r"has 2 characters \('01'\), but the model was trained on 3 characters \('012'\)"):
            checkpoint.check_dictionary(charsets.Charset("012"), self.dir, None)


if __name__ == "__main__":
    unittest.main()
