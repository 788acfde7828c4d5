#!/usr/bin/env python3
"""Write object-detection's sample: coloured shapes on noise, with exact boxes, as a
Pascal VOC folder (the upstream AVES2 cv/object_detection data layout).

    components/object-detection/data/shapes-voc/
        JPEGImages/000000.jpg ...            96 x 96 px, JPEG quality 80
        Annotations/000000.xml ...           one <object> per shape: name, bndbox (1-based, inclusive)
        ImageSets/Main/train.txt, val.txt    the image ids of each split (VOC's place)
        ImageSets/train.txt, val.txt         the same (where the upstream's create_tfrecord_objd looks)
        ImageSets/label_map.pbtxt            the classes, ids 1..3 (the upstream's label map)

Three classes: circle, square and triangle, each in its own hue (jittered) so that a
net trained from random weights for a minute on a CPU learns them; one to three shapes
per image, 22 to 44 px, never overlapping by more than a sliver. The box of a shape is
the tightest box of its pixels, so the annotations are exact.

Usage, from the repository root: /usr/bin/python3 scripts/make-voc-sample.py [--out DIR]
[--train N] [--val N] [--size PX]. The bytes are the same on every run (for a given
Pillow/libjpeg).
"""

import argparse
import os
import shutil

import numpy as np
from PIL import Image, ImageDraw

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
OUT = os.path.join(REPO, "components", "object-detection", "data", "shapes-voc")
CLASSES = ("circle", "square", "triangle")
HUES = {"circle": (220, 60, 50), "square": (50, 190, 70), "triangle": (60, 90, 230)}  # red, green, blue
SEED = 14


def draw_shape(size, kind, box, colour):
    """An RGBA layer with the shape filled in ``box`` (x0, y0, x1, y1), and its pixel mask."""
    layer = Image.new("L", (size, size), 0)
    pen = ImageDraw.Draw(layer)
    x0, y0, x1, y1 = box
    if kind == "circle":
        pen.ellipse([x0, y0, x1, y1], fill=255)
    elif kind == "square":
        pen.rectangle([x0, y0, x1, y1], fill=255)
    else:
        pen.polygon([((x0 + x1) / 2, y0), (x1, y1), (x0, y1)], fill=255)
    return np.asarray(layer) > 0


def overlap(a, b):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(w, 0) * max(h, 0)


def picture(rng, size):
    """(pixels, [(class, (xmin, ymin, xmax, ymax)) 0-based inclusive pixel boxes])."""
    pixels = rng.integers(50, 190, (size, size, 3)).astype(np.int16)
    # a little smoother noise (each pixel and its 4 neighbours): smaller JPEGs, the sample under 1 MB on disk
    pixels = (pixels + np.roll(pixels, 1, 0) + np.roll(pixels, -1, 0) + np.roll(pixels, 1, 1) + np.roll(pixels, -1, 1)) // 5
    objects, boxes = [], []
    for _ in range(int(rng.integers(1, 4))):
        for _attempt in range(20):
            side = int(rng.integers(22, 45)) * size // 96  # 22 to 44 px at the sample's 96 px
            x0, y0 = (int(v) for v in rng.integers(0, size - side, 2))
            box = (x0, y0, x0 + side - 1, y0 + side - 1)
            if all(overlap(box, b) <= 16 * (size // 96) ** 2 for b in boxes):
                break
        else:
            continue
        kind = CLASSES[int(rng.integers(0, len(CLASSES)))]
        colour = np.clip(np.array(HUES[kind]) + rng.integers(-25, 26, 3), 0, 255)
        mask = draw_shape(size, kind, box, colour)
        pixels[mask] = colour
        ys, xs = np.nonzero(mask)
        boxes.append(box)
        objects.append((kind, (int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max()))))
    return np.clip(pixels, 0, 255).astype(np.uint8), objects


def annotation(name, size, objects):
    """VOC XML; VOC's pixel coordinates are 1-based, so bndbox = 0-based + 1."""
    lines = [
        "<annotation>",
        "  <folder>JPEGImages</folder>",
        f"  <filename>{name}.jpg</filename>",
        f"  <size><width>{size}</width><height>{size}</height><depth>3</depth></size>",
        "  <segmented>0</segmented>",
    ]
    for kind, (x0, y0, x1, y1) in objects:
        lines += [
            "  <object>",
            f"    <name>{kind}</name><pose>Unspecified</pose><truncated>0</truncated><difficult>0</difficult>",
            f"    <bndbox><xmin>{x0 + 1}</xmin><ymin>{y0 + 1}</ymin><xmax>{x1 + 1}</xmax><ymax>{y1 + 1}</ymax></bndbox>",
            "  </object>",
        ]
    return "\n".join(lines + ["</annotation>"]) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=OUT)
    parser.add_argument("--train", type=int, default=64)
    parser.add_argument("--val", type=int, default=24)
    parser.add_argument("--size", type=int, default=96)
    args = parser.parse_args()

    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    for sub in ("JPEGImages", "Annotations", os.path.join("ImageSets", "Main")):
        os.makedirs(os.path.join(args.out, sub))
    rng = np.random.default_rng(SEED)
    ids = [f"{i:06d}" for i in range(args.train + args.val)]
    for name in ids:
        pixels, objects = picture(rng, args.size)
        Image.fromarray(pixels).save(os.path.join(args.out, "JPEGImages", f"{name}.jpg"), quality=80)
        with open(os.path.join(args.out, "Annotations", f"{name}.xml"), "w", encoding="utf-8") as f:
            f.write(annotation(name, args.size, objects))
    splits = {"train": ids[: args.train], "val": ids[args.train:]}
    for split, names in splits.items():
        text = "".join(f"{n}\n" for n in names)
        for folder in ("ImageSets", os.path.join("ImageSets", "Main")):
            with open(os.path.join(args.out, folder, f"{split}.txt"), "w", encoding="utf-8") as f:
                f.write(text)
    with open(os.path.join(args.out, "ImageSets", "label_map.pbtxt"), "w", encoding="utf-8") as f:
        f.write("".join(f"item {{\n  id: {i}\n  name: '{c}'\n}}\n" for i, c in enumerate(CLASSES, 1)))
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(args.out) for f in fs)
    print(f"{args.out}: {len(splits['train'])} train, {len(splits['val'])} val images of {args.size} px, {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
