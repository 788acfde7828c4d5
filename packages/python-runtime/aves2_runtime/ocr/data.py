"""Text-line data in the upstream CRNN layout, read and checked line by line.

    dataset_dir/
      Train/sample.txt        one line per image: "path label"
      Train/images/...        (the images: paths are relative to sample.txt's folder,
      Validation/sample.txt    or to its images/ sub-folder, where the upstream looks)
      Test/sample.txt

A line is ``path label`` (the path, whitespace, the rest of the line is the label, spaces
included), or ``name, "label"``, the ICDAR form the upstream's own parser
(``shadownet_data_feed_pipline``) splits on ``', '`` and quotes. Blank lines are skipped.
A split name matches any case (``train/``, ``TRAIN/``). Every problem is one ``Problem``
naming the file and line: a missing image, a line without a label, a file without lines.
"""

import os
import re
from typing import NamedTuple

from ..problems import Problem

SAMPLE_TXT = "sample.txt"
SPLITS = ("Train", "Validation", "Test")
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
_ICDAR = re.compile(r'^(?P<path>[^,]+?)\s*,\s*"(?P<label>.*)"\s*$')


class Sample(NamedTuple):
    path: str  # the image file
    label: str  # None where there is no label (predicting a folder of images)
    name: str  # as sample.txt gives it (the name in predictions.txt)
    line: int  # sample.txt's line number (0: not from a sample.txt)


class Split(NamedTuple):
    name: str  # Train, Validation, Test, or the folder's name
    file: str  # its sample.txt
    samples: list

    def labels(self):
        return [s.label for s in self.samples]

    def describe(self):
        return f"{self.name}: {len(self.samples):,} lines ({self.file})"


def parse_line(text):
    """``(path, label)`` of one sample.txt line, None for a blank line; a line with no
    label raises ValueError."""
    line = text.rstrip("\r\n")
    if not line.strip():
        return None
    m = _ICDAR.match(line)
    if m:
        path, label = m.group("path").strip(), m.group("label")
    else:
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            raise ValueError(f'"{line.strip()}" has no label: "path label" is expected')
        path, label = parts[0], parts[1].strip()
    if not label:
        raise ValueError(f'"{line.strip()}" has an empty label')
    return path, label


def resolve_image(folder, name):
    """The image a sample.txt in ``folder`` names: ``folder/name``, else ``folder/images/name``."""
    for candidate in (os.path.join(folder, name), os.path.join(folder, "images", name)):
        if os.path.isfile(candidate):
            return candidate
    return None


def read_sample_txt(path, split_name=None):
    """A ``Split`` of every line of ``path``, each image checked to exist."""
    folder = os.path.dirname(os.path.abspath(path))
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
    except UnicodeDecodeError as e:
        raise Problem(path, f"is not UTF-8 text ({e.reason} at byte {e.start})", hint="save it as UTF-8") from None
    samples = []
    for number, text in enumerate(lines, 1):
        if number == 1:
            text = text.lstrip("\ufeff")
        try:
            parsed = parse_line(text)
        except ValueError as e:
            raise Problem(path, str(e), line=number) from None
        if parsed is None:
            continue
        name, label = parsed
        image = resolve_image(folder, name)
        if image is None:
            where = os.path.join(folder, name)
            raise Problem(path, f"image {name} not found (looked for {where} and in {os.path.join(folder, 'images')})", line=number)
        samples.append(Sample(image, label, name, number))
    if not samples:
        raise Problem(path, 'is empty: no "path label" lines', hint="one line per image, e.g. images/0001.png 3A7K")
    return Split(split_name or os.path.basename(folder), path, samples)


def split_file(dataset_dir, split):
    """``dataset_dir/<split>/sample.txt`` in any case of the split's name, or None."""
    if not os.path.isdir(dataset_dir):
        return None
    for entry in sorted(os.listdir(dataset_dir)):
        if entry.lower() == split.lower():
            path = os.path.join(dataset_dir, entry, SAMPLE_TXT)
            if os.path.isfile(path):
                return path
    return None


def open_split(dataset_dir, split, required, what="--dataset_dir"):
    path = split_file(dataset_dir, split)
    if path is None:
        if required:
            raise Problem(what, f"{dataset_dir} has no {split}/{SAMPLE_TXT}", hint="the upstream layout: Train/sample.txt, Validation/sample.txt, Test/sample.txt")
        return None
    return read_sample_txt(path, split)


def open_for_evaluation(path, what="--dataset_dir"):
    """The labelled lines to score: a sample.txt, a folder holding one, or a dataset root
    (its Test split, as the upstream's evaluate_shadownet.py, else its Validation)."""
    if os.path.isfile(path):
        return read_sample_txt(path)
    if not os.path.isdir(path):
        raise Problem(what, f"{path} does not exist")
    if os.path.isfile(os.path.join(path, SAMPLE_TXT)):
        return read_sample_txt(os.path.join(path, SAMPLE_TXT))
    for split in ("Test", "Validation"):
        found = open_split(path, split, required=False, what=what)
        if found is not None:
            return found
    raise Problem(what, f"{path} has no Test/{SAMPLE_TXT}, Validation/{SAMPLE_TXT} or {SAMPLE_TXT}", hint="the upstream layout: Test/sample.txt with lines \"path label\"")


def open_for_prediction(path, what="--image_path"):
    """The images to read: one image file, a folder with a sample.txt (its lines, labels
    scored), a dataset root (its Test split), or a folder of images (sorted by name, no labels)."""
    if os.path.isfile(path):
        if os.path.basename(path) == SAMPLE_TXT:
            return read_sample_txt(path)
        return Split(os.path.basename(path), path, [Sample(path, None, os.path.basename(path), 0)])
    if not os.path.isdir(path):
        raise Problem(what, f"{path} does not exist")
    if os.path.isfile(os.path.join(path, SAMPLE_TXT)) or split_file(path, "Test"):
        return open_for_evaluation(path, what)
    names = sorted(n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(os.path.join(path, n)))
    if not names:
        raise Problem(what, f"{path} has no images ({', '.join(IMAGE_EXTENSIONS)}) and no {SAMPLE_TXT}")
    return Split(os.path.basename(os.path.normpath(path)), path, [Sample(os.path.join(path, n), None, n, 0) for n in names])


def check_labels(split, charset, dictionary):
    """Every label's characters must be in ``charset``: the first line that breaks this is
    the Problem, with how many more do."""
    bad = [(s, charset.missing(s.label)) for s in split.samples if s.label is not None and charset.missing(s.label)]
    if not bad:
        return
    sample, missing = bad[0]
    shown = ", ".join(f'"{c}" (U+{ord(c):04X})' for c in missing)
    more = f"; {len(bad) - 1} more line{'s' if len(bad) > 2 else ''} too" if len(bad) > 1 else ""
    raise Problem(split.file, f'label "{sample.label}" has {shown}, not in {dictionary}{more}', line=sample.line,
                  hint="add the characters to char_dict.json (and ord_map.json), or leave char_dict_path unset to build the dictionary from the labels")


def check_images(split, decode=False):
    """Each image's header must read (its size), or every pixel when ``decode``; returns
    the (width, height) of every sample."""
    from PIL import Image

    sizes = []
    for s in split.samples:
        try:
            with Image.open(s.path) as image:
                if decode:
                    image.load()
                sizes.append(image.size)
        except Exception as e:  # noqa: BLE001 - any unreadable image is the user's to fix
            where = dict(line=s.line) if s.line else {}
            raise Problem(split.file if s.line else s.path, f"image {s.name} cannot be read: {str(e).splitlines()[0]}", **where) from None
    return sizes


def holdout(split, fraction, seed):
    """(train, validation) Splits: ``fraction`` of the lines (at least one), chosen with ``seed``."""
    import random

    order = list(range(len(split.samples)))
    random.Random(seed).shuffle(order)
    n = max(1, round(len(order) * fraction))
    if n >= len(order):
        raise Problem(split.file, f"has {len(order)} line(s): too few to hold some out for validation", hint="add Validation/sample.txt")
    held = set(order[:n])
    keep = [s for i, s in enumerate(split.samples) if i not in held]
    out = [s for i, s in enumerate(split.samples) if i in held]
    return split._replace(samples=keep), Split("Validation", f"{split.file} (held out)", out)
