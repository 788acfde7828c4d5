"""Batches on the device: the DataLoaders and the choice between the two input paths.

- CPU path: workers (none on the CPU) decode with PIL and transform (``transforms``).
- GPU path (``gpu_input``): on CUDA with JPEG data, workers only read bytes and the
  GPU decodes, resizes, augments and normalises.

Shuffling: a ``DistributedSampler`` in every run (one replica when single-process),
whose order is a function of (seed, epoch) only, so a resumed epoch sees the images in
the order an uninterrupted run would.
"""

import os

from .. import distributed
from . import datasets, gpu_input, transforms

# more workers than this only add start-up time and memory
MAX_WORKERS = 16


def worker_count(cuda):
    """CUDA: the cores of this process (its share of the node under torchrun), at most 16.
    CPU: 0. The model already uses every core and loading in the main process is fastest."""
    if not cuda:
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    per_rank = cores // max(int(os.environ.get("LOCAL_WORLD_SIZE") or 1), 1)
    return max(1, min(per_rank, MAX_WORKERS))


# CPU runs keep transformed images in memory up to this size (see Cached)
CACHE_BYTES = 1 << 30


class Cached:
    """A dataset whose items are computed once: on the CPU, without augmentation, every
    epoch would decode and resize the same images to the same tensors again (~5% of an
    epoch of the digits sample). Only for loading in the main process: a worker's cache
    would die with it."""

    def __init__(self, dataset):
        self.dataset = dataset
        self.items = [None] * len(dataset)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        item = self.items[i]
        if item is None:
            item = self.items[i] = self.dataset[i]
        return item


def cacheable(count, image_size, workers):
    return workers == 0 and count * 3 * image_size * image_size * 4 <= CACHE_BYTES


class Batches:
    """One split's DataLoader and how its items become device batches; ``len`` = steps."""

    def __init__(self, loader, to_device):
        self.loader, self.to_device = loader, to_device

    def __len__(self):
        return len(self.loader)

    def epoch(self, epoch):
        sampler = self.loader.sampler
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(epoch)
        for item in self.loader:
            yield self.to_device(*item)


def _tensors_to(dev):
    import torch

    memory_format = torch.channels_last if dev.cuda else torch.contiguous_format

    def move(images, labels):
        return images.to(dev.device, non_blocking=True, memory_format=memory_format), labels.to(dev.device, non_blocking=True)

    return move


def use_gpu_decode(dev, source, wanted):
    """(whether, why): the GPU path runs on CUDA, for JPEG data, unless --gpu_decode 0."""
    if not dev.cuda:
        return False, "CPU training"
    if not wanted:
        return False, "--gpu_decode 0"
    if not gpu_input.all_jpeg(source):
        return False, "the images are not JPEG"
    return True, "CUDA and JPEG data"


def build(train, train_idx, validation, val_idx, args, dev, augment):
    """(train Batches, validation Batches, description of the input path).

    ``train_idx`` / ``val_idx``: the images of each source used (a hold-out split shares
    one source).
    """
    from torch.utils.data import DataLoader, DistributedSampler, Subset

    world, rank = distributed.world_size(), distributed.rank()
    workers = worker_count(dev.cuda)
    gpu, why = use_gpu_decode(dev, train, args.gpu_decode)
    common = dict(num_workers=workers, pin_memory=dev.cuda, persistent_workers=workers > 0)
    if workers:
        # batches waiting per worker: encoded bytes are small, decoded float batches are not
        # (16 workers x 4 batches of 256 images at 224 px would hold 10 GB)
        common["prefetch_factor"] = 4 if gpu else 2
    if gpu:
        decoder = gpu_input.Decoder(dev.device)
        train_set, val_set = datasets.RawImageDataset(train), datasets.RawImageDataset(validation)
        common["collate_fn"] = gpu_input.collate_raw
        to_train = gpu_input.GpuBatches(args.image_size, True, augment, dev.device, dev.cuda, decoder)
        to_val = gpu_input.GpuBatches(args.image_size, False, False, dev.device, dev.cuda, decoder)
        path = f"GPU decode: {decoder.describe()} ({why}); {workers} loader workers read the bytes"
    else:
        train_set = datasets.ImageDataset(train, transforms.image_transform(args.image_size, train=True, augment=augment))
        val_set = datasets.ImageDataset(validation, transforms.image_transform(args.image_size))
        cache = cacheable(len(train_idx) + len(val_idx), args.image_size, workers)
        if cache:
            val_set = Cached(val_set)
            train_set = train_set if augment else Cached(train_set)
        to_train = to_val = _tensors_to(dev)
        where = f"{workers} loader workers" if workers else "the main process"
        path = f"CPU decode (PIL) in {where}" + (", kept in memory" if cache else "") + (f" (no GPU decode: {why})" if dev.cuda else "")
    train_set = Subset(train_set, train_idx)
    # BatchNorm cannot train on a batch of one, so drop a ragged last batch
    drop_last = len(train_idx) // world > args.batch_size
    sampler = DistributedSampler(train_set, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
    train_loader = DataLoader(train_set, args.batch_size, sampler=sampler, drop_last=drop_last, **common)
    # validation is split rank::world without padding, so every image counts once when summed
    shard = Subset(val_set, list(val_idx)[rank::world])
    val_loader = DataLoader(shard, args.batch_size * 2, shuffle=False, **common)
    return Batches(train_loader, to_train), Batches(val_loader, to_val), path
