"""Detection batches: images decoded with PIL into uint8 tensors (kept in memory on the
CPU when they fit), random horizontal flips in training, and lists of (image, target)
on the device: torchvision's detectors take lists, each image at its own size, and
resize inside the model.

Shuffling is a ``DistributedSampler`` (seeded by seed and epoch), as image
classification's, so a resumed epoch sees the images in the order an uninterrupted run
would; validation is split rank::world without padding.
"""

import io

from ..problems import Problem
from ..vision import inputs as vision_inputs

CACHE_BYTES = 1 << 30


def decode(data, item, what):
    """An RGB uint8 tensor (3, H, W); a Problem naming the file when it does not decode
    or is not the size its annotation says."""
    import numpy as np
    import torch
    from PIL import Image

    where = item.path or f"{item.source} ({item.name})"
    try:
        with Image.open(io.BytesIO(data)) as im:
            pixels = np.asarray(im.convert("RGB"))
    except Exception as e:  # noqa: BLE001 - any undecodable image is the user's to fix
        raise Problem(where, f"cannot be decoded as an image ({str(e).splitlines()[0] if str(e) else type(e).__name__})", hint=f"{what}: replace or remove it") from None
    height, width = pixels.shape[:2]
    if (width, height) != (item.width, item.height):
        raise Problem(item.source, f"{item.name}: the image is {width}x{height}, the annotation says {item.width}x{item.height}", hint="fix the annotation's <size>")
    return torch.from_numpy(pixels.copy()).permute(2, 0, 1).contiguous()


class DetectionDataset:
    """(uint8 image, {"boxes", "labels"}) per item; ``flip`` randomly mirrors in training."""

    def __init__(self, source, flip=False, cache=False):
        self.source, self.flip = source, flip
        self.cache = [None] * len(source) if cache else None

    def __len__(self):
        return len(self.source)

    def image(self, i):
        if self.cache is not None and self.cache[i] is not None:
            return self.cache[i]
        image = decode(self.source.read(i), self.source.items[i], self.source.what)
        if self.cache is not None:
            self.cache[i] = image
        return image

    def __getitem__(self, i):
        import torch

        item = self.source.items[i]
        image = self.image(i)
        boxes = torch.from_numpy(item.boxes.copy())
        if self.flip and torch.rand(()) < 0.5:
            image = image.flip(-1)
            boxes = torch.stack([item.width - boxes[:, 2], boxes[:, 1], item.width - boxes[:, 0], boxes[:, 3]], 1) if len(boxes) else boxes
        return image, {"boxes": boxes.reshape(-1, 4), "labels": torch.from_numpy(item.labels.copy()) + 1}  # 0: background


def collate(batch):
    return [b[0] for b in batch], [b[1] for b in batch]


def to_device(dev):
    def move(images, targets):
        images = [im.to(dev.device, non_blocking=True).float().div_(255) for im in images]
        targets = [{k: v.to(dev.device, non_blocking=True) for k, v in t.items()} for t in targets]
        return images, targets

    return move


def cacheable(*sources):
    pixels = sum(it.width * it.height * 3 for s in sources for it in s.items)
    return pixels <= CACHE_BYTES


def build(train, validation, args, dev):
    """(train Batches, validation Batches, description)."""
    from torch.utils.data import DataLoader, DistributedSampler

    from .. import distributed

    world, rank = distributed.world_size(), distributed.rank()
    workers = vision_inputs.worker_count(dev.cuda)
    cache = workers == 0 and cacheable(train, validation)
    common = dict(num_workers=workers, pin_memory=dev.cuda, persistent_workers=workers > 0, collate_fn=collate)
    train_set = DetectionDataset(train, flip=bool(args.augment), cache=cache)
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    # BatchNorm cannot train on a batch of one: drop a ragged last batch of one
    drop_last = len(train) // world % args.batch_size == 1
    train_loader = DataLoader(train_set, args.batch_size, sampler=sampler, drop_last=drop_last, **common)
    val_loader = eval_loader(validation, args.batch_size, dev, cache=cache)
    where = f"{workers} loader workers" if workers else "the main process"
    return (
        vision_inputs.Batches(train_loader, to_device(dev)),
        vision_inputs.Batches(val_loader, to_device(dev)),
        f"PIL decode in {where}" + (", kept in memory" if cache else "") + (", random horizontal flips" if args.augment else ""),
    )


def eval_loader(source, batch_size, dev, cache=False):
    """This rank's share of ``source`` (images rank, rank + world, ...), in order."""
    from torch.utils.data import DataLoader, Subset

    from .. import distributed

    world, rank = distributed.world_size(), distributed.rank()
    workers = vision_inputs.worker_count(dev.cuda)
    shard = Subset(DetectionDataset(source, cache=cache), list(range(len(source)))[rank::world])
    return DataLoader(shard, batch_size, shuffle=False, num_workers=workers, pin_memory=dev.cuda, persistent_workers=workers > 0, collate_fn=collate)
