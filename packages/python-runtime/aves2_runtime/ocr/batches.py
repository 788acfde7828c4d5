"""Text-line images as device batches.

Each image becomes grayscale, resized to ``image_height`` keeping its aspect ratio (at
most ``max_width`` wide, at least 8), scaled to [-1, 1] (as the upstream). A batch pads
its lines on the right, repeating their last column, to a width that is a multiple of 4
and keeps each line's own width, so the net and CTC see only real columns.

Training augmentation (``augment`` 1): each line is stretched by 0.8-1.2 in width and
shifted by a few columns, its contrast scaled and a little noise added: draws from
torch's generator, which the loop seeds per epoch (and DataLoader workers from it).
Decoded images are kept in memory (grayscale, original size) while they fit in
``CACHE_BYTES``: an epoch then costs no file reads.

Batches: ``(images [B, 1, H, W], widths [B], targets [sum of label lengths], target
lengths [B], indices [B])``; indices are positions in the Split (unlabelled lines have
empty targets).
"""

import os

import numpy as np

from .. import distributed
from . import model as crnn

MIN_WIDTH = 8
CACHE_BYTES = 512 << 20


def resized_width(width, height, image_height, max_width):
    return int(min(max_width, max(MIN_WIDTH, round(width * image_height / max(height, 1)))))


class LineImages:
    """A torch Dataset over a Split's samples."""

    def __init__(self, samples, charset, image_height, max_width, augment=False, cache=True):
        self.samples, self.charset = samples, charset
        self.image_height, self.max_width, self.augment = image_height, max_width, augment
        self.cache = {} if cache else None

    def __len__(self):
        return len(self.samples)

    def pixels(self, i):
        from PIL import Image

        if self.cache is not None and i in self.cache:
            return self.cache[i]
        with Image.open(self.samples[i].path) as image:
            gray = np.asarray(image.convert("L"))
        if self.cache is not None:
            self.cache[i] = gray
        return gray

    def __getitem__(self, i):
        import torch
        import torch.nn.functional as F

        gray = torch.from_numpy(np.array(self.pixels(i), dtype=np.float32)).div_(127.5).sub_(1.0)
        h, w = gray.shape
        width = resized_width(w, h, self.image_height, self.max_width)
        pad_left = pad_right = 0
        if self.augment:
            r = torch.rand(5)
            width = int(min(self.max_width, max(MIN_WIDTH, round(width * (0.8 + 0.4 * r[0].item())))))
            pad_left, pad_right = int(r[1].item() * 4), int(r[2].item() * 4)
        image = F.interpolate(gray[None, None], size=(self.image_height, width), mode="bilinear", align_corners=False)[0]
        if pad_left or pad_right:
            image = F.pad(image[None], (pad_left, pad_right, 0, 0), mode="replicate")[0]
            image = image[:, :, : self.max_width]
        if self.augment:
            image = (image * (0.7 + 0.3 * r[3].item()) + 0.06 * torch.randn_like(image)).clamp_(-1, 1)
        label = self.samples[i].label
        target = self.charset.encode(label) if label is not None else []
        return image, torch.tensor(target, dtype=torch.int64), i


def collate(items):
    import torch
    import torch.nn.functional as F

    widths = [img.shape[-1] for img, _, _ in items]
    padded = -(-max(widths) // crnn.STRIDE) * crnn.STRIDE
    images = torch.stack([F.pad(img[None], (0, padded - img.shape[-1], 0, 0), mode="replicate")[0] for img, _, _ in items])
    targets = [t for _, t, _ in items]
    return (
        images,
        torch.tensor(widths, dtype=torch.int64),
        torch.cat(targets) if targets else torch.zeros(0, dtype=torch.int64),
        torch.tensor([len(t) for t in targets], dtype=torch.int64),
        torch.tensor([i for _, _, i in items], dtype=torch.int64),
    )


def worker_count(cuda):
    """CUDA: a few loader workers (this rank's share of the cores, at most 8); CPU: none,
    the net already uses every core."""
    if not cuda:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(8, cores // max(int(os.environ.get("LOCAL_WORLD_SIZE") or 1), 1)))


def cacheable(sizes, image_height, workers):
    return workers == 0 and sum(w * h for w, h in sizes) <= CACHE_BYTES


class Batches:
    """A DataLoader whose batches go to the device; ``len`` = steps per epoch."""

    def __init__(self, loader, dev):
        self.loader, self.dev = loader, dev

    def __len__(self):
        return len(self.loader)

    def epoch(self, epoch):
        if hasattr(self.loader.sampler, "set_epoch"):
            self.loader.sampler.set_epoch(epoch)
        for images, widths, targets, lengths, indices in self.loader:
            yield (images.to(self.dev.device, non_blocking=True), widths.to(self.dev.device), targets.to(self.dev.device),
                   lengths.to(self.dev.device), indices)


def train_batches(dataset, batch_size, seed, dev):
    """Shuffled by (seed, epoch) for every rank's shard, the ragged last batch dropped when
    there is more than one."""
    from torch.utils.data import DataLoader, DistributedSampler

    world, rank = distributed.world_size(), distributed.rank()
    sampler = DistributedSampler(dataset, num_replicas=world, rank=rank, shuffle=True, seed=seed)
    workers = worker_count(dev.cuda)
    loader = DataLoader(dataset, batch_size, sampler=sampler, drop_last=len(dataset) // world > batch_size, collate_fn=collate,
                        num_workers=workers, pin_memory=dev.cuda, persistent_workers=workers > 0)
    return Batches(loader, dev)


def eval_batches(dataset, batch_size, dev, shard=True):
    """In order; under DDP this rank's lines rank, rank + world, ... when ``shard``."""
    from torch.utils.data import DataLoader, Subset

    world, rank = (distributed.world_size(), distributed.rank()) if shard else (1, 0)
    part = Subset(dataset, list(range(len(dataset)))[rank::world]) if world > 1 else dataset
    workers = worker_count(dev.cuda)
    loader = DataLoader(part, batch_size, shuffle=False, collate_fn=collate, num_workers=workers, pin_memory=dev.cuda,
                        persistent_workers=workers > 0)
    return Batches(loader, dev)
