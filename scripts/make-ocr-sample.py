#!/usr/bin/env python3
"""Render the OCR family's sample data: short text lines (digits and a few capitals, 4-8
characters) in DejaVu Sans (Debian's fonts-dejavu-core), 32 px high grayscale PNGs with
a little jitter (size, position, weight, contrast) and noise, in the upstream CRNN layout:

    components/crnn-ocr/data/{Train,Validation,Test}/sample.txt + images/NNNN.png
    components/ocr-evaluate/data/Test/sample.txt + images/   (lines of their own)
    components/ocr-predict/data/sample.txt + images/         (lines of their own)

sample.txt lines are "images/NNNN.png LABEL". The output depends only on the seeds below
(and the font file): run it again and the same files come out.

    python3 scripts/make-ocr-sample.py [--font /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf]
"""

import argparse
import os
import random
import shutil

import numpy as np
from PIL import Image, ImageDraw, ImageFont

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FONTS = "/usr/share/fonts/truetype/dejavu"
CHARS = "0123456789ACEHKLMPRTX"
HEIGHT = 32

# (folder under components/, split folder ("" for the folder itself), lines, seed)
SETS = (
    ("crnn-ocr/data", "Train", 600, 1),
    ("crnn-ocr/data", "Validation", 100, 2),
    ("crnn-ocr/data", "Test", 60, 3),
    ("ocr-evaluate/data", "Test", 60, 4),
    ("ocr-predict/data", "", 24, 5),
)


def render(text, rng, fonts):
    font = ImageFont.truetype(rng.choice(fonts), rng.randint(18, 23))
    left, top, right, bottom = font.getbbox(text)
    width = right - left + rng.randint(4, 12)
    background, ink = rng.randint(180, 255), rng.randint(0, 80)
    image = Image.new("L", (width, HEIGHT), background)
    x = rng.randint(1, 5) - left
    y = (HEIGHT - (bottom - top)) // 2 - top + rng.randint(-2, 2)
    ImageDraw.Draw(image).text((x, y), text, fill=ink, font=font)
    pixels = np.asarray(image, dtype=np.int16)
    noise = np.random.default_rng(rng.randrange(2**32)).integers(-6, 7, pixels.shape)
    # noise, then 32 gray levels: keeps the PNGs around 1 KB
    return Image.fromarray((np.clip(pixels + noise, 0, 255) // 8 * 8).astype(np.uint8))


def write_set(folder, count, seed, fonts):
    rng = random.Random(seed)
    if os.path.isdir(os.path.join(folder, "images")):
        shutil.rmtree(os.path.join(folder, "images"))
    os.makedirs(os.path.join(folder, "images"))
    lines = []
    for i in range(count):
        text = "".join(rng.choice(CHARS) for _ in range(rng.randint(4, 8)))
        name = f"images/{i:04d}.png"
        render(text, rng, fonts).save(os.path.join(folder, name), optimize=True)
        lines.append(f"{name} {text}\n")
    with open(os.path.join(folder, "sample.txt"), "w", encoding="utf-8") as f:
        f.writelines(lines)
    return count


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fonts", default=FONTS, help="the folder of DejaVuSans.ttf and DejaVuSans-Bold.ttf")
    args = parser.parse_args()
    fonts = [os.path.join(args.fonts, f) for f in ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")]
    for component, split, count, seed in SETS:
        folder = os.path.join(REPO, "components", component, split)
        write_set(folder, count, seed, fonts)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(folder) for f in fs)
        print(f"{os.path.relpath(folder, REPO)}: {count} lines, {size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
