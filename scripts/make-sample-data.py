#!/usr/bin/env python3
"""Generate the MobileNetV2 sample dataset from scikit-learn's bundled digits.

The 1,797 8x8 grayscale digits (UCI optical recognition of handwritten
digits, shipped inside scikit-learn, so nothing is downloaded) are written as
PNG files in ImageFolder layout:

    components/mobilenet-v2/data/digits/{train,validation}/<digit>/<index>.png

with a stratified 80/20 split. The split seed is fixed and PNG encoding has
no timestamps, so every run produces the same bytes.

Usage: /usr/bin/python3 scripts/make-sample-data.py [--out DIR]
"""

import argparse
import os
import shutil

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SPLIT_SEED = 0
VALIDATION_FRACTION = 0.2
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(REPO_ROOT, "components", "mobilenet-v2", "data", "digits")


def to_uint8(image):
    # Pixel values are counts 0..16; stretch them to the full 0..255 range.
    return np.rint(image * (255.0 / 16.0)).astype(np.uint8)


def write_split(out_dir, split, indices, images, labels):
    split_dir = os.path.join(out_dir, split)
    shutil.rmtree(split_dir, ignore_errors=True)  # no stale files from older runs
    for index in sorted(indices):
        class_dir = os.path.join(split_dir, str(labels[index]))
        os.makedirs(class_dir, exist_ok=True)
        path = os.path.join(class_dir, f"{index:04d}.png")
        Image.fromarray(to_uint8(images[index]), mode="L").save(path, format="PNG")
    return len(indices)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory")
    args = parser.parse_args()

    digits = load_digits()
    train_idx, val_idx = train_test_split(
        np.arange(len(digits.target)),
        test_size=VALIDATION_FRACTION,
        stratify=digits.target,
        random_state=SPLIT_SEED,
    )
    n_train = write_split(args.out, "train", train_idx, digits.images, digits.target)
    n_val = write_split(args.out, "validation", val_idx, digits.images, digits.target)
    print(f"wrote {n_train} train and {n_val} validation images to {args.out}")


if __name__ == "__main__":
    main()
