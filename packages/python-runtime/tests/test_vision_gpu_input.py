"""aves2_runtime.vision.gpu_input and inputs: the GPU input path's decode, resize, augment
and normalise, run on the CPU (every function takes the device), and the choice of
input path and loader workers."""

import io
import os
import types
import unittest
from unittest import mock

import numpy as np
import torch
import torchvision
from PIL import Image
from torch.utils.data import DataLoader

from aves2_runtime.device import DeviceInfo
from aves2_runtime.vision import datasets, gpu_input, inputs, transforms

CPU = torch.device("cpu")


def encoded(fmt, size=(40, 30), mode="RGB", seed=0):
    rng = np.random.default_rng(seed)
    # smooth content, so JPEG and resampling differences stay small
    x = np.linspace(0, 1, size[0])[None, :, None]
    y = np.linspace(0, 1, size[1])[:, None, None]
    base = (x * rng.uniform(50, 200, 3) + y * rng.uniform(0, 50, 3)).astype(np.uint8)
    image = Image.fromarray(base, "RGB").convert(mode)
    buf = io.BytesIO()
    image.save(buf, format=fmt, quality=95) if fmt == "JPEG" else image.save(buf, format=fmt)
    return buf.getvalue()


def as_tensor(data):
    return torch.frombuffer(bytearray(data), dtype=torch.uint8)


class FakeSource:
    """The part of an ImageSource the input path reads."""

    def __init__(self, blobs, labels=None):
        self.blobs = blobs
        self.labels = labels or [i % 2 for i in range(len(blobs))]

    def __len__(self):
        return len(self.blobs)

    def read(self, i):
        return self.blobs[i]

    def label(self, i):
        return self.labels[i]


class DecoderTest(unittest.TestCase):
    def test_jpeg_grayscale_jpeg_and_png_become_rgb(self):
        blobs = [encoded("JPEG"), encoded("JPEG", mode="L"), encoded("PNG", size=(7, 9))]
        images = gpu_input.Decoder(CPU)([as_tensor(b) for b in blobs])
        self.assertEqual([tuple(i.shape) for i in images], [(3, 30, 40), (3, 30, 40), (3, 9, 7)])
        self.assertEqual({i.dtype for i in images}, {torch.uint8})

    def test_kind_follows_device_and_torchvision(self):
        cuda = torch.device("cuda", 0)  # only inspected, never used
        with mock.patch.object(gpu_input, "torchvision_version", return_value=(0, 19)):
            self.assertEqual(gpu_input.Decoder(cuda).kind, "batched")
        with mock.patch.object(gpu_input, "torchvision_version", return_value=(0, 14)):
            self.assertEqual(gpu_input.Decoder(cuda).kind, "per-image")
            self.assertIn("no batched GPU decode", gpu_input.Decoder(cuda).describe())
        self.assertEqual(gpu_input.Decoder(CPU).kind, "cpu")

    def test_a_batch_the_gpu_decoder_refuses_is_decoded_on_the_cpu(self):
        real = torchvision.io.decode_jpeg

        def batched_then_refuse(data, *a, **k):
            if isinstance(data, list):
                raise RuntimeError("nvjpeg: unsupported")
            return real(data, *a, **{n: v for n, v in k.items() if n != "device"})

        decoder = gpu_input.Decoder(CPU)
        decoder.kind = "batched"
        with mock.patch("torchvision.io.decode_jpeg", side_effect=batched_then_refuse):
            images = decoder([as_tensor(encoded("JPEG")), as_tensor(encoded("PNG"))])
        self.assertEqual((len(images), decoder.fallbacks), (2, 1))

    def test_is_jpeg_and_all_jpeg(self):
        jpeg, png = encoded("JPEG"), encoded("PNG")
        self.assertTrue(gpu_input.is_jpeg(jpeg))
        self.assertTrue(gpu_input.is_jpeg(as_tensor(jpeg)))
        self.assertFalse(gpu_input.is_jpeg(png))
        self.assertTrue(gpu_input.all_jpeg(FakeSource([jpeg] * 40)))
        self.assertFalse(gpu_input.all_jpeg(FakeSource([jpeg] * 20 + [png] * 20)))
        self.assertFalse(gpu_input.all_jpeg(FakeSource([])))


class GpuBatchesTest(unittest.TestCase):
    def setUp(self):
        self.blobs = [encoded("JPEG", seed=s) for s in range(4)]
        self.labels = torch.tensor([0, 1, 0, 1])

    def test_evaluation_matches_the_cpu_transform(self):
        images, labels = gpu_input.GpuBatches(16, train=False, augment=False, device=CPU)([as_tensor(b) for b in self.blobs], self.labels)
        self.assertEqual((tuple(images.shape), images.dtype), ((4, 3, 16, 16), torch.float32))
        self.assertTrue(torch.equal(labels, self.labels))
        cpu = datasets.ImageDataset(FakeSource(self.blobs), transforms.image_transform(16))
        expected = torch.stack([cpu[i][0] for i in range(4)])
        # PIL's and torch's antialiased bilinear resize differ by rounding only
        self.assertLess((images - expected).abs().mean().item(), 0.02)

    def test_augment_crops_and_flips_reproducibly(self):
        to_batch = gpu_input.GpuBatches(16, train=True, augment=True, device=CPU)
        datas = [as_tensor(b) for b in self.blobs]
        torch.manual_seed(3)
        a, _ = to_batch(datas, self.labels)
        torch.manual_seed(3)
        b, _ = to_batch(datas, self.labels)
        plain, _ = gpu_input.GpuBatches(16, train=True, augment=False, device=CPU)(datas, self.labels)
        self.assertTrue(torch.equal(a, b))
        self.assertEqual(tuple(a.shape), (4, 3, 16, 16))
        self.assertFalse(torch.allclose(a, plain))
        self.assertLessEqual(a.max().item(), 1.0)
        self.assertGreaterEqual(a.min().item(), -1.0)

    def test_channels_last(self):
        images, _ = gpu_input.GpuBatches(16, False, False, CPU, channels_last=True)([as_tensor(self.blobs[0])], self.labels[:1])
        self.assertTrue(images.is_contiguous(memory_format=torch.channels_last))

    def test_through_a_dataloader(self):
        loader = DataLoader(datasets.RawImageDataset(FakeSource(self.blobs)), batch_size=3, collate_fn=gpu_input.collate_raw)
        datas, labels = next(iter(loader))
        self.assertEqual((len(datas), labels.tolist()), (3, [0, 1, 0]))
        images, _ = gpu_input.GpuBatches(8, False, False, CPU)(datas, labels)
        self.assertEqual(tuple(images.shape), (3, 3, 8, 8))


class InputPathTest(unittest.TestCase):
    cuda = DeviceInfo(torch.device("cuda", 0), True, True, torch.bfloat16, "cuda:0")
    cpu = DeviceInfo(CPU, False, False, None, "cpu")

    def test_gpu_decode_only_on_cuda_for_jpeg_unless_turned_off(self):
        jpegs, pngs = FakeSource([encoded("JPEG")] * 3), FakeSource([encoded("PNG")] * 3)
        self.assertEqual(inputs.use_gpu_decode(self.cuda, jpegs, 1), (True, "CUDA and JPEG data"))
        self.assertEqual(inputs.use_gpu_decode(self.cuda, jpegs, 0), (False, "--gpu_decode 0"))
        self.assertEqual(inputs.use_gpu_decode(self.cuda, pngs, 1), (False, "the images are not JPEG"))
        self.assertEqual(inputs.use_gpu_decode(self.cpu, jpegs, 1), (False, "CPU training"))

    def test_workers(self):
        self.assertEqual(inputs.worker_count(False), 0)
        with mock.patch("os.sched_getaffinity", return_value=set(range(64)), create=True), mock.patch.dict(os.environ, {"LOCAL_WORLD_SIZE": "8"}):
            self.assertEqual(inputs.worker_count(True), 8)
        with mock.patch("os.sched_getaffinity", return_value=set(range(64)), create=True), mock.patch.dict(os.environ, {"LOCAL_WORLD_SIZE": "1"}):
            self.assertEqual(inputs.worker_count(True), inputs.MAX_WORKERS)

    def test_cpu_batches_are_seeded_per_epoch(self):
        source = FakeSource([encoded("PNG", size=(8, 8), seed=s) for s in range(10)], labels=list(range(10)))
        args = types.SimpleNamespace(gpu_decode=1, image_size=8, batch_size=4, seed=1)
        train, val, path = inputs.build(source, range(10), source, range(10), args, self.cpu, augment=False)
        self.assertEqual(path, "CPU decode (PIL) in the main process, kept in memory")
        self.assertEqual((len(train), len(val)), (2, 2))  # ragged last batch dropped; validation keeps all
        first = [y.tolist() for _, y in train.epoch(1)]
        again = [y.tolist() for _, y in train.epoch(1)]
        other = [y.tolist() for _, y in train.epoch(2)]
        self.assertEqual(first, again)
        self.assertNotEqual(first, other)  # the order changes with the epoch
