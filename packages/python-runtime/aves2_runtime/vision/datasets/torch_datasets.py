"""The torch datasets over an ``ImageSource``: decoded (``ImageDataset``) or encoded bytes for the GPU (``RawImageDataset``)."""

import warnings

import torch
from PIL import Image
from torch.utils.data import Dataset

from ...problems import Problem
from .images import ImageProblem, decode_image


class ImageDataset(Dataset):
    """``(transform(RGB image), label)`` of an ``ImageSource``; picklable, files opened lazily in each worker."""

    def __init__(self, source, transform=None):
        self.source = source
        self.transform = transform

    def __len__(self):
        return len(self.source)

    def __getitem__(self, i):
        source = self.source
        try:
            data = source.read(i)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = decode_image(data)
        except Problem as p:
            raise ImageProblem.of(p) from None
        except Image.UnidentifiedImageError:
            raise ImageProblem.of(source.problem(i, f"is not a readable image (not a format Pillow knows; it starts {bytes(data[:8])!r})", hint="remove or replace the image")) from None
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
            raise ImageProblem.of(source.problem(i, f"is not a readable image ({e})", hint="remove or replace the image")) from None
        if self.transform is not None:
            image = self.transform(image)
        return image, source.label(i)


class RawImageDataset(Dataset):
    """``(uint8 1-D tensor of the encoded bytes, label)`` of an ``ImageSource``, for decoding on the GPU."""

    def __init__(self, source):
        self.source = source

    def __len__(self):
        return len(self.source)

    def __getitem__(self, i):
        try:
            data = self.source.read(i)
        except Problem as p:
            raise ImageProblem.of(p) from None
        tensor = torch.frombuffer(bytearray(data), dtype=torch.uint8) if data else torch.empty(0, dtype=torch.uint8)
        return tensor, self.source.label(i)
