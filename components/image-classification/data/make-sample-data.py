#!/usr/bin/env python3
"""Write the sample data: the digits of mobilenet-v2's sample as upstream-style TFRecord shards.

    digits-tfrecord/train/train-0000{0,1}-of-00002          1,437 images
    digits-tfrecord/validation/validation-00000-of-00001      360 images
    digits-tfrecord/*/num_examples.json

The layout of the upstream cv/image_classification data (TF-slim's build_image_data):
tf.train.Example records with image/encoded (JPEG), image/format, image/height,
image/width, image/class/label (1-based: 0 was TF-slim's background class),
image/class/text and image/filename. The images are the 8x8 PNGs of
components/mobilenet-v2/data/digits, stored as grayscale JPEG (quality 95, optimized Huffman tables), as the originals are.

Usage, from the repository root: /usr/bin/python3 components/image-classification/data/make-sample-data.py
The bytes are the same on every run (for a given Pillow/libjpeg).
"""

import io
import json
import os
import shutil
import sys

from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(REPO, "packages", "python-runtime"))

from aves2_runtime.vision import tf_example, tfrecord  # noqa: E402

SOURCE = os.path.join(REPO, "components", "mobilenet-v2", "data", "digits")
OUT = os.path.join(HERE, "digits-tfrecord")
SPLITS = {"train": ("train", 2), "validation": ("validation", 1)}  # folder: (shard prefix, shards)


def examples(folder):
    classes = sorted(os.listdir(folder))
    for label, name in enumerate(classes, start=1):
        for file in sorted(os.listdir(os.path.join(folder, name))):
            with Image.open(os.path.join(folder, name, file)) as image:
                gray = image.convert("L")
            buf = io.BytesIO()
            gray.save(buf, format="JPEG", quality=95, optimize=True)
            yield tf_example.encode_example({
                "image/encoded": buf.getvalue(),
                "image/format": b"JPEG",
                "image/height": gray.height,
                "image/width": gray.width,
                "image/class/label": label,
                "image/class/text": name.encode(),
                "image/filename": f"{os.path.splitext(file)[0]}.jpg".encode(),
            })


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    for split, (prefix, shards) in SPLITS.items():
        records = list(examples(os.path.join(SOURCE, split)))
        folder = os.path.join(OUT, split)
        os.makedirs(folder)
        for k in range(shards):  # records k, k + shards, ...: every shard holds every class
            tfrecord.write_records(os.path.join(folder, f"{prefix}-{k:05d}-of-{shards:05d}"), records[k::shards])
        with open(os.path.join(folder, "num_examples.json"), "w") as f:
            json.dump({"the total number of available samples": len(records)}, f)
            f.write("\n")
        print(f"{folder}: {len(records)} images in {shards} shard(s)")


if __name__ == "__main__":
    main()
