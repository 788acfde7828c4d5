"""aves2_runtime.vision: TFRecord framing and CRC32C, tf.train.Example by hand,
the three dataset layouts (TFRecord, path,label CSV, ImageFolder), the torch
datasets and the transforms."""

import importlib.util
import io
import json
import os
import pickle
import shutil
import struct
import tempfile
import unittest

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader

from aves2_runtime.problems import Problem
from aves2_runtime.vision import datasets, tfrecord, transforms
from aves2_runtime.vision.datasets import ImageDataset, RawImageDataset, check_labels, check_validation, load_sources, open_images
from aves2_runtime.vision.tf_example import ExampleError, Feature, decode_example, decode_example_typed, encode_example

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
DIGITS = os.path.join(REPO, "components", "mobilenet-v2", "data", "digits")


def put(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


def get(path):
    with open(path, "rb") as f:
        return f.read()


def png(colour=(200, 30, 30), size=(6, 5), mode="RGB"):
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, format="PNG")
    return buf.getvalue()


def jpeg(colour=(10, 200, 30), size=(8, 8)):
    buf = io.BytesIO()
    Image.new("RGB", size, colour).save(buf, format="JPEG")
    return buf.getvalue()


def record(label, image=None, filename=None, text=None, **extra):
    features = {"image/encoded": image if image is not None else png((label * 20 % 256, 0, 0)), "image/class/label": label, "image/format": b"PNG"}
    if filename is not None:
        features["image/filename"] = filename.encode()
    if text is not None:
        features["image/class/text"] = text.encode()
    features.update(extra)
    return encode_example(features)


def varint(value):
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def ld(field, payload):
    """A length-delimited protobuf field."""
    return varint((field << 3) | 2) + varint(len(payload)) + payload


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="aves2-vision-")
        self.addCleanup(shutil.rmtree, self.dir, True)

    def path(self, *parts):
        path = os.path.join(self.dir, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def folder(self, *parts):
        path = os.path.join(self.dir, *parts)
        os.makedirs(path, exist_ok=True)
        return path

    def shards(self, folder, labels_per_shard, prefix="train", **kw):
        """Write one shard per list of labels; returns the folder."""
        n = len(labels_per_shard)
        for s, labels in enumerate(labels_per_shard):
            payloads = [record(label, filename=f"{prefix}_{s}_{k}.png", **kw) for k, label in enumerate(labels)]
            tfrecord.write_records(self.path(folder, f"{prefix}-{s:05d}-of-{n:05d}"), payloads)
        return os.path.join(self.dir, folder)


class Crc32cTest(unittest.TestCase):
    VECTORS = [
        (b"", 0x00000000),
        (b"123456789", 0xE3069283),
        (b"The quick brown fox jumps over the lazy dog", 0x22620404),
        (b"\x00" * 32, 0x8A9136AA),  # RFC 3720 B.4
        (b"\xff" * 32, 0x62A8AB43),  # RFC 3720 B.4
    ]

    def test_every_implementation_gives_the_known_values(self):
        implementations = dict(tfrecord.CRC32C_IMPLEMENTATIONS, fallback=tfrecord.crc32c_python)
        self.assertIn("python", implementations)
        self.assertIn(tfrecord.CRC32C_BACKEND, ("crc32c", "crcmod", "python"))
        for name, fn in implementations.items():
            for data, expected in self.VECTORS:
                with self.subTest(name, data=data[:12]):
                    self.assertEqual(fn(data), expected)

    def test_pure_python_when_nothing_else_imports(self):
        import sys
        from unittest import mock

        with mock.patch.dict(sys.modules, {"crc32c": None, "crcmod": None, "crcmod.predefined": None}):
            found = tfrecord._available_implementations()
        self.assertEqual(list(found), ["python"])
        self.assertEqual(found["python"](b"123456789"), 0xE3069283)

    def test_masked_crc(self):
        self.assertEqual(tfrecord.mask_crc(0), 0xA282EAD8)
        crc = 0xE3069283
        rotated = ((crc >> 15) | (crc << 17)) & 0xFFFFFFFF
        self.assertEqual(tfrecord.mask_crc(crc), (rotated + 0xA282EAD8) & 0xFFFFFFFF)
        # From a real TensorFlow event file (tensorboard's masked_crc.rs test).
        for name, fn in tfrecord.CRC32C_IMPLEMENTATIONS.items():
            with self.subTest(name):
                self.assertEqual(tfrecord.mask_crc(fn(b"\x1a\x11CRC test, one two")), 0x5794D08A)


class FramingTest(TempDirTest):
    PAYLOADS = [b"", b"a", b"hello world" * 50, bytes(range(256))]

    def test_round_trip(self):
        path = self.path("x.tfrecord")
        self.assertEqual(tfrecord.write_records(path, iter(self.PAYLOADS)), 4)
        self.assertEqual(tfrecord.read_records(path), self.PAYLOADS)
        scanned = list(tfrecord.scan_records(path))
        self.assertEqual([d for _, d in scanned], self.PAYLOADS)
        offsets, lengths = tfrecord.index_records(path)
        self.assertEqual(offsets, [o for o, _ in scanned])
        self.assertEqual(lengths, [len(p) for p in self.PAYLOADS])
        self.assertEqual(offsets[1], 16)  # an empty record is 8 + 4 + 0 + 4 bytes
        reader = tfrecord.RecordReader(path)
        for offset, length, payload in zip(offsets, lengths, self.PAYLOADS):
            self.assertEqual(reader.read(offset), payload)
            self.assertEqual(reader.read(offset, length), payload)
        clone = pickle.loads(pickle.dumps(reader))
        self.assertEqual(clone.read(offsets[2]), self.PAYLOADS[2])
        reader.close()

    def test_frame_layout(self):
        framed = tfrecord.frame_record(b"abc")
        self.assertEqual(len(framed), 8 + 4 + 3 + 4)
        self.assertEqual(struct.unpack("<Q", framed[:8])[0], 3)
        self.assertEqual(struct.unpack("<I", framed[8:12])[0], tfrecord.masked_crc32c(framed[:8]))
        self.assertEqual(framed[12:15], b"abc")
        self.assertEqual(struct.unpack("<I", framed[15:])[0], tfrecord.masked_crc32c(b"abc"))

    def test_corrupt_data_byte_names_file_and_offset(self):
        path = self.path("x.tfrecord")
        tfrecord.write_records(path, self.PAYLOADS)
        offsets, _ = tfrecord.index_records(path)
        blob = bytearray(get(path))
        blob[offsets[2] + 12 + 5] ^= 0x01
        put(path, bytes(blob))
        # Indexing checks lengths only, so it passes; reading the record finds it.
        self.assertEqual(len(list(tfrecord.scan_records(path))), 4)
        with self.assertRaises(tfrecord.RecordError) as caught:
            tfrecord.RecordReader(path).read(offsets[2])
        e = caught.exception
        self.assertIsInstance(e, Problem)
        self.assertEqual((e.path, e.offset), (path, offsets[2]))
        self.assertIn(f"byte offset {offsets[2]:,}: data CRC mismatch", str(e))
        self.assertTrue(str(e).startswith(path + ": "))
        self.assertEqual(tfrecord.RecordReader(path).read(offsets[2], check_crc=False)[5], self.PAYLOADS[2][5] ^ 1)
        with self.assertRaises(tfrecord.RecordError):
            tfrecord.read_records(path)

    def test_corrupt_length(self):
        path = self.path("x.tfrecord")
        tfrecord.write_records(path, self.PAYLOADS)
        offsets, _ = tfrecord.index_records(path)
        blob = bytearray(get(path))
        blob[offsets[3]] ^= 0x40
        put(path, bytes(blob))
        with self.assertRaises(tfrecord.RecordError) as caught:
            list(tfrecord.scan_records(path))
        self.assertEqual(caught.exception.offset, offsets[3])
        self.assertIn("length CRC mismatch", str(caught.exception))

    def test_truncated_file(self):
        path = self.path("x.tfrecord")
        tfrecord.write_records(path, self.PAYLOADS)
        offsets, _ = tfrecord.index_records(path)
        for cut, needle in ((offsets[3] + 5, "record header"), (os.path.getsize(path) - 2, "needs")):
            with self.subTest(cut=cut):
                blob = get(path)
                short = self.path(f"short{cut}.tfrecord")
                put(short, blob[:cut])
                with self.assertRaises(tfrecord.RecordError) as caught:
                    tfrecord.index_records(short)
                self.assertEqual(caught.exception.offset, offsets[3])
                self.assertIn("truncated", str(caught.exception))
                self.assertIn(needle, str(caught.exception))

    def test_gzip_hint(self):
        path = self.path("x.tfrecord")
        put(path, b"\x1f\x8b" + b"\x00" * 30)
        with self.assertRaises(tfrecord.RecordError) as caught:
            tfrecord.index_records(path)
        self.assertIn("gzip", caught.exception.hint)

    def test_error_pickles(self):
        e = tfrecord.RecordError("/x/train-00000-of-00001", 1234, "data CRC mismatch", hint="h")
        clone = pickle.loads(pickle.dumps(e))
        self.assertEqual((str(clone), clone.offset), (str(e), 1234))


class ExampleTest(unittest.TestCase):
    def test_round_trip(self):
        features = {
            "image/encoded": b"\x89PNG\x00\xff",
            "text": "héllo",
            "ints": [0, 1, -1, 300, -(2**63), 2**63 - 1],
            "one": 7,
            "floats": [0.5, -2.25, 1e10],
            "empty": Feature("int64", []),
            "no_kind": Feature(None, []),
        }
        data = encode_example(features)
        typed = decode_example_typed(data)
        self.assertEqual(typed["image/encoded"], Feature("bytes", [b"\x89PNG\x00\xff"]))
        self.assertEqual(typed["text"], Feature("bytes", ["héllo".encode()]))
        self.assertEqual(typed["ints"], Feature("int64", [0, 1, -1, 300, -(2**63), 2**63 - 1]))
        self.assertEqual(typed["one"], Feature("int64", [7]))
        self.assertEqual(typed["floats"].kind, "float")
        self.assertEqual(typed["floats"].values, [0.5, -2.25, float(np.float32(1e10))])
        self.assertEqual(typed["empty"], Feature("int64", []))
        self.assertEqual(typed["no_kind"], Feature(None, []))
        self.assertEqual(decode_example(data)["ints"][2], -1)
        self.assertEqual(encode_example(features), data)  # deterministic
        seen = set()
        self.assertEqual(list(decode_example_typed(data, ["one"], seen)), ["one"])
        self.assertIn(b"image/encoded", seen)

    def test_negative_int64_is_ten_bytes(self):
        data = encode_example({"x": -1})
        self.assertIn(b"\xff" * 9 + b"\x01", data)

    def test_hand_written_unpacked_and_packed(self):
        ints = b"".join(varint(1 << 3 | 0) + varint(v) for v in (5, -2, 2**40))
        floats = b"".join(varint(1 << 3 | 5) + struct.pack("<f", v) for v in (1.5, -0.25))
        packed_ints = ld(1, varint(1) + varint(-3))
        packed_floats = ld(1, struct.pack("<2f", 2.0, 4.0))
        bytes_list = ld(1, b"a") + ld(1, b"") + ld(1, b"\x00\x01")
        unknown = varint(9 << 3 | 0) + varint(12345) + varint(10 << 3 | 5) + b"abcd" + varint(11 << 3 | 1) + b"12345678" + ld(12, b"zzz")

        def entry(key, feature):
            return ld(1, ld(1, key) + ld(2, feature))

        features = (
            entry(b"u_ints", ld(3, ints + unknown))
            + entry(b"u_floats", ld(2, floats))
            + entry(b"p_ints", ld(3, packed_ints))
            + entry(b"p_floats", ld(2, packed_floats))
            + entry(b"bytes", ld(1, bytes_list))
            + entry(b"dup", ld(3, ld(1, varint(1))))
            + entry(b"dup", ld(3, ld(1, varint(2))))  # a later entry with the same key wins
            + unknown
        )
        data = unknown + ld(1, features) + unknown
        got = decode_example(data)
        self.assertEqual(got["u_ints"], [5, -2, 2**40])
        self.assertEqual(got["u_floats"], [1.5, -0.25])
        self.assertEqual(got["p_ints"], [1, -3])
        self.assertEqual(got["p_floats"], [2.0, 4.0])
        self.assertEqual(got["bytes"], [b"a", b"", b"\x00\x01"])
        self.assertEqual(got["dup"], [2])
        self.assertEqual(decode_example_typed(data)["u_floats"].kind, "float")

    def test_malformed(self):
        good = encode_example({"image/class/label": 3, "image/encoded": b"xyz"})
        for bad in (good[:-1], good[:3], b"\x0a\xff", varint(1 << 3 | 3) + b"\x00", b"\x0a\x05\x0a\x03\x0a\x01", ld(1, ld(1, ld(2, ld(2, b"\x0a\x03\x00")))), b"\x80" * 11):
            with self.subTest(bad=bad[:12]):
                with self.assertRaises(ExampleError):
                    decode_example(bad)


class TFRecordSourceTest(TempDirTest):
    def test_one_based_labels(self):
        root = self.shards("train", [[1, 2, 3], [3, 4, 5, 1]])
        source = open_images(root, "--train_data_dir")
        self.assertEqual((source.format, len(source), source.label_base), ("tfrecord", 7, 1))
        self.assertEqual([source.label(i) for i in range(7)], [0, 1, 2, 2, 3, 4, 0])
        self.assertEqual(source.raw_label(0), 1)
        self.assertEqual(source.classes, ["0", "1", "2", "3", "4"])
        self.assertEqual(source.describe(), "TFRecord, 2 shards, 7 images, 5 classes, labels 1-based (shifted to 0-based)")
        self.assertEqual(source.name(3), "train_1_0.png")
        self.assertEqual(check_labels(source, 6, "--train_data_dir"), ["0", "1", "2", "3", "4", "5"])

    def test_zero_based_labels(self):
        source = open_images(self.shards("train", [[0, 1, 2, 2]]), "--train_data_dir")
        self.assertEqual(source.label_base, 0)
        self.assertEqual(source.describe(), "TFRecord, 1 shard, 4 images, 3 classes, labels 0-based")

    def test_undecided_base_settled_by_num_class(self):
        source = open_images(self.shards("train", [[2, 3, 5]]), "--train_data_dir")
        self.assertEqual((source.label_base, source.label_base_sure), (0, False))
        self.assertIn("labels 2..5, taken as 0-based", source.describe())
        self.assertEqual(len(check_labels(source, 5)), 5)
        self.assertEqual((source.label_base, [source.label(i) for i in range(3)]), (1, [1, 2, 4]))

    def test_labels_outside_num_class(self):
        root = self.shards("train", [[0, 1], [2, 9, 10]])
        source = open_images(root, "--train_data_dir")
        with self.assertRaises(Problem) as caught:
            check_labels(source, 5, "--train_data_dir")
        p = caught.exception
        self.assertEqual(p.path, os.path.join(root, "train-00001-of-00002"))
        self.assertRegex(p.message, r"^record 1 \(train_1_1\.png\) at byte offset [\d,]+: image/class/label is 9, outside 0\.\.4 for --num_class 5")
        self.assertIn("2 images in all", p.message)
        self.assertEqual(p.hint, "set num_class to 11 (the largest label is 10)")
        # 1-based: labels 1..38 with num_class 37
        source = open_images(self.shards("one", [list(range(1, 39))]), "--train_data_dir")
        with self.assertRaises(Problem) as caught:
            check_labels(source, 37)
        self.assertIn("is 38, outside 1..37 for --num_class 37 (1-based labels)", caught.exception.message)

    def test_class_text(self):
        root = self.folder("t")
        tfrecord.write_records(
            os.path.join(root, "train-00000-of-00001"), [record(1, text="cat"), record(2, text="dog"), record(1, text="cat")]
        )
        source = open_images(root, "--train_data_dir")
        self.assertEqual(source.classes, ["cat", "dog"])
        self.assertIn("class names from image/class/text", source.describe())
        self.assertEqual(check_labels(source, 3), ["cat", "dog", "2"])
        self.assertEqual(source.name(0), "train-00000-of-00001#0")
        tfrecord.write_records(os.path.join(root, "train-00000-of-00001"), [record(0, text="cat"), record(0, text="dog"), record(1)])
        source = open_images(root, "--train_data_dir")
        self.assertEqual(source.classes, ["0", "1"])
        self.assertIn("image/class/text inconsistent (label 0: 'cat', 'dog')", source.describe())

    def test_num_examples_json(self):
        root = self.shards("train", [[0, 1, 2]])
        for content, note in (('{"train": 3}', None), ('{"train": 30, "validation": 9}', "num_examples.json says 30"), ('{"num_examples": 4}', "num_examples.json says 4"), ("{bad", None), ("[1]", None)):
            with self.subTest(content):
                with open(os.path.join(root, "num_examples.json"), "w") as f:
                    f.write(content)
                described = open_images(root, "--train_data_dir").describe()
                if note:
                    self.assertTrue(described.endswith(", " + note), described)
                else:
                    self.assertNotIn("num_examples", described)

    def test_folder_with_both_sets_and_missing_shards(self):
        self.shards("data", [[0, 1], [1, 2]], prefix="train")
        root = self.shards("data", [[0], [1], [2]], prefix="validation")
        os.remove(os.path.join(root, "validation-00002-of-00003"))
        train = open_images(root, "--train_data_dir")
        self.assertEqual(len(train), 4)
        self.assertIn("the train-* shards (also here: validation-*)", train.describe())
        validation = open_images(root, "--validation_data_dir")
        self.assertEqual(len(validation), 2)
        self.assertIn("shards validation: 1 of 3 missing", validation.describe())

    def test_single_file_and_tfrecord_extension(self):
        path = self.path("data", "pets.tfrecord")
        tfrecord.write_records(path, [record(0), record(1)])
        self.assertEqual(len(open_images(path, "--train_data_dir")), 2)
        self.assertEqual(len(open_images(os.path.dirname(path), "--train_data_dir")), 2)

    def test_no_shards(self):
        folder = self.path("empty", "num_examples.json")
        with open(folder, "w") as f:
            f.write('{"train": 3}')
        with self.assertRaises(Problem) as caught:
            open_images(os.path.dirname(folder), "--train_data_dir")
        self.assertEqual(caught.exception.message, "no train-*-of-* / validation-*-of-* shards or *.tfrecord files in --train_data_dir")
        with self.assertRaises(Problem) as caught:
            open_images(self.path("missing"), "--train_data_dir")
        self.assertIn("does not exist", str(caught.exception))

    def test_empty_shards(self):
        root = self.folder("e")
        tfrecord.write_records(os.path.join(root, "train-00000-of-00001"), [])
        with self.assertRaises(Problem) as caught:
            open_images(root, "--train_data_dir")
        self.assertIn("has no images", str(caught.exception))

    def test_truncated_shard(self):
        root = self.shards("train", [[0, 1, 2]])
        shard = os.path.join(root, "train-00000-of-00001")
        offsets, _ = tfrecord.index_records(shard)
        with open(shard, "r+b") as f:
            f.truncate(os.path.getsize(shard) - 10)
        with self.assertRaises(Problem) as caught:
            open_images(root, "--train_data_dir")
        self.assertEqual(caught.exception.path, shard)
        self.assertIn(f"record at byte offset {offsets[2]:,}: truncated", caught.exception.message)

    def test_bad_records(self):
        cases = [
            (b"\x0a\x05garbage", "record 1 at byte offset 5[\\d,]*: not|is not a valid tf.train.Example"),
            (encode_example({"image/encoded": b"x"}), "image/class/label must be one int64, it has none"),
            (encode_example({"image/encoded": b"x", "image/class/label": [1, 2]}), "must be one int64, it has int64 \\[1, 2\\]"),
            (encode_example({"image/class/label": 1}), "has no image/encoded"),
        ]
        for payload, pattern in cases:
            with self.subTest(pattern):
                root = self.folder("bad")
                shard = os.path.join(root, "train-00000-of-00001")
                tfrecord.write_records(shard, [record(0), payload])
                with self.assertRaises(Problem) as caught:
                    open_images(root, "--train_data_dir")
                self.assertEqual(caught.exception.path, shard)
                self.assertRegex(caught.exception.message, pattern)

    def test_validation_takes_train_base(self):
        train = open_images(self.shards("train", [list(range(1, 6))]), "--train_data_dir")
        validation = open_images(self.shards("validation", [[2, 4]], prefix="validation"), "--validation_data_dir")
        self.assertEqual(validation.label_base, 0)
        check_validation(train, validation, 5)
        self.assertEqual((validation.label_base, validation.label(0)), (1, 1))
        # A validation label 0 under 1-based training labels is out of range.
        validation = open_images(self.shards("v0", [[0, 2]], prefix="validation"), "--validation_data_dir")
        check_validation(train, validation, 5)
        with self.assertRaises(Problem) as caught:
            check_labels(validation, 5, detect_base=False)
        self.assertIn("image/class/label is 0, outside 1..5", caught.exception.message)

    def test_load_sources(self):
        train_root = self.shards("train", [list(range(1, 38))], text=None)
        validation_root = self.shards("validation", [[1, 37]], prefix="validation")
        train, validation, classes = load_sources(train_root, validation_root, 37)
        self.assertEqual((train.label_base, validation.label_base, len(classes)), (1, 1, 37))
        self.assertEqual([validation.label(i) for i in range(2)], [0, 36])


class IndexSpeedTest(TempDirTest):
    def test_indexing_is_fast(self):
        import time

        image = bytes(range(256)) * 8
        payloads = [record(i % 37 + 1, image=image, filename=f"img_{i}.jpg", text=f"c{i % 37}") for i in range(2000)]
        root = self.folder("speed")
        tfrecord.write_records(os.path.join(root, "train-00000-of-00001"), payloads)
        start = time.perf_counter()
        source = open_images(root, "--train_data_dir")
        elapsed = time.perf_counter() - start
        self.assertEqual((len(source), source.label_base), (2000, 1))
        self.assertLess(elapsed, 2.0)  # ~0.04 s here; 10,000 records of 24 KB take ~0.2 s


class ImageFolderTest(TempDirTest):
    def test_digits_like_torchvision(self):
        from torchvision.datasets import ImageFolder

        source = open_images(os.path.join(DIGITS, "train"), "--train_data_dir")
        reference = ImageFolder(os.path.join(DIGITS, "train"))
        self.assertEqual(source.classes, reference.classes)
        self.assertEqual(source.paths, [p for p, _ in reference.samples])
        self.assertEqual(source.labels.tolist(), reference.targets)
        self.assertEqual(source.describe(), "ImageFolder, 1,437 images, 10 classes")
        self.assertEqual(source.name(0), "0/0000.png")
        self.assertIsNone(source.label_base)
        with self.assertRaises(Problem) as caught:
            check_labels(source, 37, "--train_data_dir")
        self.assertEqual(str(caught.exception), "--num_class is 37 but --train_data_dir has 10 class folders (0, 1, 2, 3, 4, 5, ...) (set num_class to 10)")

    def test_empty_class_folder(self):
        put(self.path("train", "cat", "a.png"), png())
        put(self.path("train", "dog", "notes.txt"), "x")
        with self.assertRaises(Problem) as caught:
            open_images(os.path.join(self.dir, "train"), "--train_data_dir")
        self.assertEqual(caught.exception.path, os.path.join(self.dir, "train", "dog"))
        self.assertIn("class folder 'dog' of --train_data_dir has no images", caught.exception.message)

    def test_hidden_and_nested(self):
        put(self.path("train", "a", "x.png"), png())
        put(self.path("train", "a", "sub", "y.PNG"), png())
        put(self.path("train", "a", "._x.png"), b"resource fork")
        put(self.path("train", "b", "z.jpg"), jpeg())
        os.makedirs(self.path("train", ".ipynb_checkpoints", "k"))
        source = open_images(os.path.join(self.dir, "train"), "--train_data_dir")
        self.assertEqual(source.classes, ["a", "b"])
        self.assertEqual([source.name(i) for i in range(len(source))], ["a/x.png", "a/sub/y.PNG", "b/z.jpg"])
        self.assertEqual(check_labels(source, 2, "--train_data_dir"), ["a", "b"])

    def test_images_without_class_folders(self):
        put(self.path("flat", "x.png"), png())
        with self.assertRaises(Problem) as caught:
            open_images(os.path.join(self.dir, "flat"), "--train_data_dir")
        self.assertIn("holds 1 image but no class folders", caught.exception.message)

    def test_validation_classes(self):
        for cls in ("a", "b", "c"):
            put(self.path("train", cls, "1.png"), png())
        put(self.path("val", "c", "1.png"), png())
        train = open_images(os.path.join(self.dir, "train"), "--train_data_dir")
        validation = open_images(os.path.join(self.dir, "val"), "--validation_data_dir")
        check_validation(train, validation)
        self.assertEqual((validation.classes, validation.label(0)), (["a", "b", "c"], 2))
        self.assertEqual(validation.describe(), "ImageFolder, 1 image, 1 class")
        put(self.path("val2", "d", "1.png"), png())
        with self.assertRaises(Problem) as caught:
            check_validation(train, open_images(os.path.join(self.dir, "val2"), "--validation_data_dir"))
        self.assertEqual(str(caught.exception), "--validation_data_dir class folders (d) differ from --train_data_dir (a, b, c) (--train_data_dir has no d)")
        tf = open_images(self.shards("tf", [[0, 1]]), "--validation_data_dir")
        with self.assertRaises(Problem) as caught:
            check_validation(train, tf)
        self.assertIn("has class numbers but --train_data_dir (imagefolder) has class names", str(caught.exception))


class CsvTest(TempDirTest):
    def write_csv(self, rows, name="labels.csv", header="path,label"):
        path = self.path("csv", name)
        with open(path, "w") as f:
            f.write(header + "\n" + "".join(f"{p},{l}\n" for p, l in rows))
        return path

    def test_named_labels(self):
        for name in ("x.png", "sub/y.png", "z.png"):
            put(self.path("csv", name), png())
        os.makedirs(self.path("csv", "sub", "more"), exist_ok=True)  # folders beside a CSV do not make it an ImageFolder
        self.write_csv([("x.png", "dog"), ("sub/y.png", "cat"), ("z.png", "dog")])
        source = open_images(os.path.join(self.dir, "csv"), "--train_data_dir")
        self.assertEqual((source.format, source.classes, source.labels.tolist()), ("csv", ["cat", "dog"], [1, 0, 1]))
        self.assertEqual(source.name(1), "sub/y.png")
        self.assertEqual(source.read(0), png())
        self.assertEqual(source.describe(), "CSV labels.csv, 3 images, 2 classes")
        self.assertIsNone(source.label_base)
        with self.assertRaises(Problem) as caught:
            check_labels(source, 3, "--train_data_dir")
        self.assertEqual(caught.exception.message, "--num_class is 3 but --train_data_dir has 2 classes in labels.csv (cat, dog)")

    def test_integer_labels(self):
        for name in ("a.png", "b.png", "c.png"):
            put(self.path("csv", name), png())
        self.write_csv([("a.png", "0"), ("b.png", "3"), ("c.png", "12")])
        source = open_images(os.path.join(self.dir, "csv"), "--train_data_dir")
        self.assertEqual((source.label_base, source.labels.tolist(), len(source.classes)), (0, [0, 3, 12], 13))
        self.assertEqual(source.describe(), "CSV labels.csv, 3 images, 3 classes, labels 0-based")
        with self.assertRaises(Problem) as caught:
            check_labels(source, 10)
        self.assertEqual((caught.exception.path, caught.exception.line), (os.path.join(self.dir, "csv", "labels.csv"), 4))
        self.assertIn("label is 12, outside 0..9", caught.exception.message)

    def test_missing_image_names_the_line(self):
        put(self.path("csv", "a.png"), png())
        path = self.write_csv([("a.png", "x"), ("gone.png", "y")])
        with self.assertRaises(Problem) as caught:
            open_images(os.path.dirname(path), "--train_data_dir")
        self.assertEqual((caught.exception.path, caught.exception.line), (path, 3))
        self.assertEqual(caught.exception.message, "image gone.png does not exist")

    def test_bad_header_and_empty(self):
        path = self.write_csv([("a.png", "x")], header="file,class")
        with self.assertRaises(Problem) as caught:
            open_images(os.path.dirname(path), "--train_data_dir")
        self.assertIn("header must be path,label", caught.exception.message)
        path = self.write_csv([])
        with self.assertRaises(Problem) as caught:
            open_images(path, "--train_data_dir")
        self.assertIn("lists no images", caught.exception.message)


class TorchDatasetTest(TempDirTest):
    def test_dataloader_workers_over_tfrecord(self):
        images = {}
        payloads = []
        for k in range(12):
            image = png((k * 20, 255 - k * 20, 7), size=(9, 7))
            images[k] = image
            payloads.append(record(k % 3 + 1, image=image, filename=f"{k}.png"))
        root = self.folder("train")
        tfrecord.write_records(os.path.join(root, "train-00000-of-00002"), payloads[:5])
        tfrecord.write_records(os.path.join(root, "train-00001-of-00002"), payloads[5:])
        source = open_images(root, "--train_data_dir")
        dataset = ImageDataset(source, transforms.image_transform(8, train=False))
        pickle.loads(pickle.dumps(dataset))
        dataset[0]  # opens a shard in this process: workers must not share its descriptor
        loader = DataLoader(dataset, batch_size=4, num_workers=2, shuffle=False)
        batches = list(loader)
        x = torch.cat([b[0] for b in batches])
        y = torch.cat([b[1] for b in batches])
        self.assertEqual(tuple(x.shape), (12, 3, 8, 8))
        self.assertEqual(y.tolist(), [k % 3 for k in range(12)])
        self.assertAlmostEqual(float(x[3, 0, 0, 0]), 60 / 255 * 2 - 1, places=5)
        raw = RawImageDataset(source)
        for i in range(12):
            tensor, label = raw[i]
            self.assertEqual(tensor.dtype, torch.uint8)
            self.assertEqual(bytes(tensor.numpy()), images[int(source.name(i).split(".")[0])])
            self.assertEqual(label, source.label(i))

    def test_corrupt_image_in_a_worker_is_one_line(self):
        root = self.folder("bad")
        tfrecord.write_records(os.path.join(root, "train-00000-of-00001"), [record(0), record(1, image=b"not an image", filename="broken.jpg")])
        source = open_images(root, "--train_data_dir")
        dataset = ImageDataset(source, transforms.image_transform(4))
        with self.assertRaises(Problem) as caught:
            dataset[1]
        self.assertRegex(str(caught.exception), r"^/.*train-00000-of-00001: record 1 \(broken\.jpg\) at byte offset [\d,]+: is not a readable image")
        with self.assertRaises(Problem) as caught:
            list(DataLoader(dataset, batch_size=2, num_workers=1))
        self.assertEqual(str(caught.exception).count("\n"), 0)
        self.assertRegex(str(caught.exception), r"^/.*train-00000-of-00001: record 1 \(broken\.jpg\) at byte offset [\d,]+: is not a readable image")
        self.assertIn("not a format Pillow knows; it starts b'not an i'", str(caught.exception))
        half = jpeg(size=(64, 64))
        half = half[: len(half) // 2]
        tfrecord.write_records(os.path.join(root, "train-00000-of-00001"), [record(0, image=half, filename="half.jpg")])
        with self.assertRaises(Problem) as caught:
            ImageDataset(open_images(root, "--train_data_dir"))[0]
        self.assertIn("(half.jpg) at byte offset 0: is not a readable image (", str(caught.exception))

    def test_corrupt_record_in_a_worker(self):
        root = self.shards("train", [[0, 1, 2]])
        shard = os.path.join(root, "train-00000-of-00001")
        source = open_images(root, "--train_data_dir")
        blob = bytearray(get(shard))
        blob[int(source.offsets[2]) + 40] ^= 0xFF
        put(shard, bytes(blob))
        with self.assertRaises(Problem) as caught:
            list(DataLoader(ImageDataset(source, transforms.image_transform(4)), batch_size=3, num_workers=1))
        self.assertIn(f"train-00000-of-00001: record at byte offset {int(source.offsets[2]):,}: data CRC mismatch", str(caught.exception))

    def test_modes_become_rgb(self):
        for mode, colour in (("L", 128), ("RGBA", (1, 2, 3, 0)), ("LA", (9, 200)), ("I;16", 1000), ("1", 1)):
            with self.subTest(mode):
                self.assertEqual(datasets.decode_image(png(colour, mode=mode)).mode, "RGB")
        palette = Image.new("P", (4, 4), 1)
        palette.info["transparency"] = 1
        buf = io.BytesIO()
        palette.save(buf, format="PNG", transparency=1)
        self.assertEqual(datasets.decode_image(buf.getvalue()).mode, "RGB")

    def test_imagefolder_dataset(self):
        source = open_images(os.path.join(DIGITS, "validation"), "--validation_data_dir")
        dataset = ImageDataset(source, transforms.image_transform(32))
        x, y = dataset[len(dataset) - 1]
        self.assertEqual((tuple(x.shape), y), ((3, 32, 32), 9))
        self.assertTrue(torch.equal(x[0], x[1]))  # grayscale → equal channels


class TransformsTest(unittest.TestCase):
    def test_shapes_and_defaults(self):
        image = Image.new("RGB", (50, 30), (255, 0, 0))
        for train, augment in ((False, False), (True, False), (True, True), (False, True)):
            with self.subTest(train=train, augment=augment):
                x = transforms.image_transform(16, train=train, augment=augment)(image)
                self.assertEqual(tuple(x.shape), (3, 16, 16))
                self.assertAlmostEqual(float(x[0].min()), 1.0, places=5)
                self.assertAlmostEqual(float(x[1].max()), -1.0, places=5)
        names = [type(t).__name__ for t in transforms.image_transform(64, train=True, augment=True).transforms]
        self.assertEqual(names, ["RandomResizedCrop", "RandomHorizontalFlip", "ToTensor", "Normalize"])
        self.assertEqual(transforms.image_transform(64, train=True, augment=True).transforms[0].scale, (0.35, 1.0))
        self.assertEqual([type(t).__name__ for t in transforms.image_transform(64, train=True).transforms], ["Resize", "ToTensor", "Normalize"])
        self.assertEqual((transforms.default_augment(32), transforms.default_augment(63), transforms.default_augment(64), transforms.default_augment(224)), (False, False, True, True))

    def test_describe_augment(self):
        self.assertEqual(transforms.describe_augment(True, 224, False), "augment: random resized crop + horizontal flip (default from 64 px up)")
        self.assertEqual(transforms.describe_augment(False, 32, False), "augment: off (images under 64 px)")
        self.assertEqual(transforms.describe_augment(True, 32, True), "augment: random resized crop + horizontal flip (asked for)")
        self.assertEqual(transforms.describe_augment(False, 224, True), "augment: off (asked for)")


class SampleScriptTest(TempDirTest):
    def test_upstream_layout(self):
        spec = importlib.util.spec_from_file_location("make_tfrecord_sample", os.path.join(REPO, "scripts", "make-tfrecord-sample.py"))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        import contextlib

        with contextlib.redirect_stdout(io.StringIO()):
            module.main(["--out", self.dir, "--classes", "5", "--per-class", "3", "--validation-per-class", "1", "--image-size", "16", "--shards", "2"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir, "train"))), ["num_examples.json", "train-00000-of-00002", "train-00001-of-00002"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.dir, "validation"))), ["num_examples.json", "validation-00000-of-00001"])
        with open(os.path.join(self.dir, "train", "num_examples.json")) as f:
            self.assertEqual(json.load(f), {"train": 15})
        train, validation, classes = load_sources(os.path.join(self.dir, "train"), os.path.join(self.dir, "validation"), 5)
        self.assertEqual(train.describe(), "TFRecord, 2 shards, 15 images, 5 classes, labels 1-based (shifted to 0-based), class names from image/class/text")
        self.assertEqual((len(validation), classes), (5, ["class-00", "class-01", "class-02", "class-03", "class-04"]))
        first = tfrecord.read_records(os.path.join(self.dir, "train", "train-00000-of-00002"))[0]
        features = decode_example(first)
        self.assertEqual(features["image/format"], [b"JPEG"])
        self.assertEqual(Image.open(io.BytesIO(features["image/encoded"][0])).size, (16, 16))
        self.assertEqual(features["image/class/text"][0].decode(), "class-%02d" % (features["image/class/label"][0] - 1))


if __name__ == "__main__":
    unittest.main()
