"""ImageFolder datasets and loaders for training and validation."""

import os

import torch
from PIL import Image
from torch.utils.data import DataLoader, DistributedSampler, Subset
from torchvision import datasets, transforms

from aves2_runtime import distributed

# Share of the training images held out when no validation dir is given.
HOLDOUT_FRACTION = 0.2


class DataError(Exception):
    """Unusable data or arguments: reported as one stderr line, exit code 2."""


def load_rgb(path):
    # Grayscale (and palette/alpha) images become 3-channel RGB for the model.
    with open(path, "rb") as f:
        return Image.open(f).convert("RGB")


def image_transform(image_size):
    return transforms.Compose(
        [
            transforms.Resize((image_size, image_size)),
            transforms.ToTensor(),
            transforms.Normalize([0.5, 0.5, 0.5], [0.5, 0.5, 0.5]),
        ]
    )


def image_folder(root, image_size, what):
    """Open an ImageFolder, turning torchvision's layout errors into DataError."""
    if not os.path.isdir(root):
        raise DataError(f"{what} '{root}' does not exist or is not a directory")
    try:
        return datasets.ImageFolder(
            root, transform=image_transform(image_size), loader=load_rgb
        )
    except (FileNotFoundError, RuntimeError) as e:
        # Raised for a dir without class folders or a class folder without images.
        raise DataError(f"{what} '{root}': {e}") from None


def holdout_split(count, seed):
    """Deterministic (seeded) train/validation index split of ``count`` images."""
    n_val = max(1, round(count * HOLDOUT_FRACTION))
    if count - n_val < 1:
        raise DataError(f"need at least 2 training images to hold out validation, got {count}")
    order = torch.randperm(count, generator=torch.Generator().manual_seed(seed)).tolist()
    return sorted(order[n_val:]), sorted(order[:n_val])


def load_datasets(args):
    """Return (train, validation, class names), checking against --num_class."""
    train = image_folder(args.train_data_dir, args.image_size, "--train_data_dir")
    classes = train.classes
    if len(classes) != args.num_class:
        raise DataError(
            f"--num_class is {args.num_class} but --train_data_dir has "
            f"{len(classes)} class folders ({', '.join(classes)})"
        )
    if args.validation_data_dir:
        validation = image_folder(
            args.validation_data_dir, args.image_size, "--validation_data_dir"
        )
        if validation.classes != classes:
            raise DataError(
                "--validation_data_dir class folders "
                f"({', '.join(validation.classes)}) differ from --train_data_dir "
                f"({', '.join(classes)})"
            )
        return train, validation, classes
    train_idx, val_idx = holdout_split(len(train), args.seed)
    return Subset(train, train_idx), Subset(train, val_idx), classes


def make_loaders(train, validation, batch_size, seed, cuda):
    """Loaders sharded across DDP processes.

    Training uses DistributedSampler (same seed on every rank so shards do not
    overlap). Validation is split rank::world_size without padding so every
    image is counted exactly once when metrics are summed.
    """
    world, rank = distributed.world_size(), distributed.rank()
    # On CPU the model already uses every core and images are small, so
    # loading in the main process is fastest; on GPU, workers keep it fed.
    workers = min(8, os.cpu_count() or 1) if cuda else 0
    common = dict(num_workers=workers, pin_memory=cuda, persistent_workers=workers > 0)
    # BatchNorm cannot train on a batch of one, so drop a ragged last batch.
    drop_last = len(train) // world > batch_size
    if world > 1:
        sampler = DistributedSampler(train, num_replicas=world, rank=rank, shuffle=True, seed=seed)
        train_loader = DataLoader(train, batch_size, sampler=sampler, drop_last=drop_last, **common)
    else:
        generator = torch.Generator().manual_seed(seed)
        train_loader = DataLoader(
            train, batch_size, shuffle=True, generator=generator, drop_last=drop_last, **common
        )
    shard = Subset(validation, range(rank, len(validation), world))
    val_loader = DataLoader(shard, batch_size * 2, shuffle=False, **common)
    return train_loader, val_loader
