"""The GPU input path: DataLoader workers only read the encoded bytes; the main process
decodes a whole batch of JPEGs on the GPU (nvJPEG through torchvision.io.decode_jpeg)
and resizes, augments and normalises it there as tensors. On a fast GPU the CPU
decode of the plain path is what it waits for; this takes it off the CPU.

Everything takes a ``device``, so the same code runs (and is tested) on the CPU.
Images the GPU decoder cannot take (PNG and other formats, JPEGs nvJPEG refuses) are
decoded on the CPU, one by one, and still resized on the device.
"""

import io

from . import transforms

JPEG_MAGIC = b"\xff\xd8\xff"
# torchvision decodes a list of JPEGs in one call on the GPU from 0.19 (batched nvJPEG)
BATCHED_DECODE_FROM = (0, 19)


def torchvision_version():
    import torchvision

    return tuple(int(p) for p in torchvision.__version__.split("+")[0].split(".")[:2] if p.isdigit())


def is_jpeg(data):
    """Whether encoded bytes (bytes or a uint8 tensor) are a JPEG."""
    head = bytes(data[:3].tolist()) if hasattr(data, "tolist") else bytes(data[:3])
    return head == JPEG_MAGIC


def all_jpeg(source, probe=16):
    """Whether the source's images are JPEGs, judged on ``probe`` images spread over it."""
    n = len(source)
    if not n:
        return False
    picks = sorted({i * n // probe for i in range(probe)}) if n > probe else range(n)
    return all(is_jpeg(source.read(i)[:3]) for i in picks)


def collate_raw(batch):
    """(list of uint8 byte tensors, label tensor): encoded images differ in length, so no stack."""
    import torch

    return [data for data, _ in batch], torch.tensor([label for _, label in batch], dtype=torch.int64)


class Decoder:
    """Encoded bytes → uint8 RGB [3, H, W] tensors on ``device``."""

    def __init__(self, device):
        self.device = device
        cuda = device.type == "cuda"
        if cuda and torchvision_version() >= BATCHED_DECODE_FROM:
            self.kind = "batched"
        elif cuda:
            self.kind = "per-image"
        else:
            self.kind = "cpu"
        self.fallbacks = 0  # batches the GPU decoder refused, decoded on the CPU instead

    def describe(self):
        return {
            "batched": f"JPEG decoded on {self.device} in batches (torchvision.io.decode_jpeg, nvJPEG)",
            "per-image": f"JPEG decoded on {self.device} one image at a time (torchvision {'.'.join(map(str, torchvision_version()))} has no batched GPU decode)",
            "cpu": f"JPEG decoded on the CPU (torchvision.io.decode_jpeg), resized on {self.device}",
        }[self.kind]

    def __call__(self, datas):
        from torchvision.io import ImageReadMode, decode_jpeg

        rgb = ImageReadMode.RGB
        out = [None] * len(datas)
        jpeg = [i for i, d in enumerate(datas) if is_jpeg(d)]
        try:
            if self.kind == "batched" and jpeg:
                for i, image in zip(jpeg, decode_jpeg([datas[i] for i in jpeg], mode=rgb, device=self.device)):
                    out[i] = image
            elif self.kind == "per-image":
                for i in jpeg:
                    out[i] = decode_jpeg(datas[i], mode=rgb, device=self.device)
        except RuntimeError:
            self.fallbacks += 1  # e.g. a CMYK JPEG: the CPU decoder takes it below
            out = [None] * len(datas)
        for i, data in enumerate(datas):
            if out[i] is None:
                out[i] = _decode_on_cpu(data).to(self.device, non_blocking=True)
        return out


def _decode_on_cpu(data):
    from torchvision.io import ImageReadMode, decode_jpeg

    if is_jpeg(data):
        try:
            return decode_jpeg(data, mode=ImageReadMode.RGB)
        except RuntimeError:
            pass  # what libjpeg refuses, PIL may still read
    import numpy as np
    import torch
    from PIL import Image

    with Image.open(io.BytesIO(bytes(data.numpy()))) as image:
        array = np.asarray(image.convert("RGB"))
    return torch.from_numpy(array.copy()).permute(2, 0, 1)


class GpuBatches:
    """(encoded bytes, labels) → (normalised float [B, 3, s, s] images, labels) on ``device``.

    The same pipeline as ``transforms.image_transform``: a squashing resize to s x s for
    evaluation; for training with augment, a random resized crop (``CROP_SCALE``, aspect
    3/4..4/3) to s x s and a horizontal flip half the time. Random draws come from torch's
    default generator, which the training loop seeds per epoch.
    """

    def __init__(self, image_size, train, augment, device, channels_last=False, decoder=None):
        import torch

        self.size, self.augment = image_size, bool(train and augment)
        self.device = device
        self.decoder = decoder or Decoder(device)
        self.channels_last = channels_last
        self.mean = torch.tensor(transforms.MEAN, device=device).view(1, 3, 1, 1) * 255
        self.std = torch.tensor(transforms.STD, device=device).view(1, 3, 1, 1) * 255

    def __call__(self, datas, labels):
        import torch
        from torchvision.transforms import RandomResizedCrop
        from torchvision.transforms import functional as F

        images = self.decoder(datas)
        size = [self.size, self.size]
        batch = torch.empty((len(images), 3, self.size, self.size), dtype=torch.float32, device=self.device)
        for i, image in enumerate(images):
            image = image.float()
            if self.augment:
                top, left, h, w = RandomResizedCrop.get_params(image, scale=transforms.CROP_SCALE, ratio=(3 / 4, 4 / 3))
                image = F.resized_crop(image, top, left, h, w, size, antialias=True)
                if torch.rand(1).item() < 0.5:
                    image = image.flip(-1)
            else:
                image = F.resize(image, size, antialias=True)
            batch[i] = image
        # uint8 resizes round; these are float, so clamp to the uint8 range they came from
        batch = batch.clamp_(0, 255).sub_(self.mean).div_(self.std)
        if self.channels_last:
            batch = batch.contiguous(memory_format=torch.channels_last)
        return batch, labels.to(self.device, non_blocking=True)
