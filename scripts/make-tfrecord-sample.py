#!/usr/bin/env python3
"""Write a small synthetic image dataset in the upstream AVES2 TFRecord layout.

    OUT/train/train-00000-of-00002, train-00001-of-00002, num_examples.json
    OUT/validation/validation-00000-of-00001, num_examples.json

Each record is a tf.train.Example as TF-slim's build_image_data.py writes it:
image/encoded (JPEG), image/format, image/class/label (int64, 1-based by
default, as in the upstream pets data), image/class/text, image/filename,
image/height, image/width, image/colorspace, image/channels. Records are
shuffled (seeded) and split into contiguous shards.

Every class has its own background hue and a shape (disc, square, bar,
cross) of a contrasting colour, drawn at a jittered place and size with pixel
noise, so a small model can tell the classes apart. The output is the same
bytes on every run (for a given Pillow/libjpeg).

Usage:
    /usr/bin/python3 scripts/make-tfrecord-sample.py --out DIR [--classes 37]
        [--per-class 4] [--validation-per-class 2] [--image-size 64]
        [--shards 2] [--validation-shards 1] [--label-base 1] [--seed 0]
        [--no-class-text]

The defaults (37 classes, 148 training + 74 validation images of 64 px) match
the upstream seed job (num_class 37) and train in seconds on a CPU.
"""

import argparse
import colorsys
import io
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO_ROOT, "packages", "python-runtime"))

from aves2_runtime.vision.tf_example import encode_example  # noqa: E402
from aves2_runtime.vision.tfrecord import write_records  # noqa: E402

SHAPES = ("disc", "square", "bar", "cross")


def class_colours(c, classes):
    """Background and shape colours of class ``c``: hues spread around the wheel, the shape opposite."""
    hue = c / classes
    light = 0.55 if (c // len(SHAPES)) % 2 == 0 else 0.35
    background = colorsys.hls_to_rgb(hue, light, 0.8)
    shape = colorsys.hls_to_rgb((hue + 0.5) % 1.0, 1.0 - light, 0.9)
    return tuple(int(round(v * 255)) for v in background), tuple(int(round(v * 255)) for v in shape)


def draw_image(c, classes, size, rng):
    background, colour = class_colours(c, classes)
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    r = size * rng.uniform(0.18, 0.3)
    cx, cy = size * rng.uniform(0.35, 0.65), size * rng.uniform(0.35, 0.65)
    shape = SHAPES[c % len(SHAPES)]
    if shape == "disc":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif shape == "square":
        draw.rectangle([cx - r, cy - r, cx + r, cy + r], fill=colour)
    elif shape == "bar":
        draw.rectangle([cx - 1.6 * r, cy - 0.45 * r, cx + 1.6 * r, cy + 0.45 * r], fill=colour)
    else:
        w = 0.35 * r
        draw.rectangle([cx - 1.4 * r, cy - w, cx + 1.4 * r, cy + w], fill=colour)
        draw.rectangle([cx - w, cy - 1.4 * r, cx + w, cy + 1.4 * r], fill=colour)
    pixels = np.asarray(image, dtype=np.int16) + rng.normal(0, 12, (size, size, 3)).round().astype(np.int16)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def jpeg(image):
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=90)
    return buf.getvalue()


def example(c, k, args, rng):
    name = f"class-{c:02d}_{k:03d}.jpg"
    features = {
        "image/encoded": jpeg(draw_image(c, args.classes, args.image_size, rng)),
        "image/format": b"JPEG",
        "image/class/label": c + args.label_base,
        "image/filename": name.encode(),
        "image/height": args.image_size,
        "image/width": args.image_size,
        "image/colorspace": b"RGB",
        "image/channels": 3,
    }
    if args.class_text:
        features["image/class/text"] = f"class-{c:02d}".encode()
    return encode_example(features)


def write_split(out, split, per_class, shards, args, rng):
    folder = os.path.join(out, split)
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):  # no stale shards from an earlier run with other --shards
        if name.startswith(f"{split}-") or name == "num_examples.json":
            os.remove(os.path.join(folder, name))
    records = [example(c, k, args, rng) for c in range(args.classes) for k in range(per_class)]
    order = rng.permutation(len(records))
    bounds = np.linspace(0, len(records), shards + 1).round().astype(int)
    for s in range(shards):
        path = os.path.join(folder, f"{split}-{s:05d}-of-{shards:05d}")
        write_records(path, (records[i] for i in order[bounds[s] : bounds[s + 1]]))
    with open(os.path.join(folder, "num_examples.json"), "w", encoding="utf-8") as f:
        json.dump({split: len(records)}, f)
        f.write("\n")
    return len(records)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", required=True, help="folder to write train/ and validation/ into")
    p.add_argument("--classes", type=int, default=37)
    p.add_argument("--per-class", type=int, default=4, help="training images per class")
    p.add_argument("--validation-per-class", type=int, default=2)
    p.add_argument("--image-size", type=int, default=64)
    p.add_argument("--shards", type=int, default=2, help="training shards")
    p.add_argument("--validation-shards", type=int, default=1)
    p.add_argument("--label-base", type=int, choices=(0, 1), default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-class-text", dest="class_text", action="store_false", help="leave out image/class/text")
    args = p.parse_args(argv)
    if args.classes < 1 or args.per_class < 1 or args.validation_per_class < 0 or args.shards < 1 or args.validation_shards < 1:
        p.error("--classes, --per-class, --shards and --validation-shards must be at least 1")
    rng = np.random.default_rng(args.seed)
    n_train = write_split(args.out, "train", args.per_class, args.shards, args, rng)
    n_val = write_split(args.out, "validation", args.validation_per_class, args.validation_shards, args, rng) if args.validation_per_class else 0
    print(f"wrote {n_train} training and {n_val} validation images of {args.classes} classes ({args.image_size} px, labels {args.label_base}-based) to {args.out}")


if __name__ == "__main__":
    main()
