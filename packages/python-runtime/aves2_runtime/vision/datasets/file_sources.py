"""Images as files: ImageFolder (one sub-folder per class) and a ``path,label`` CSV."""

import csv
import os
import re

import numpy as np

from ...problems import Problem
from .image_source import ImageSource, detect_label_base
from .images import IMAGE_EXTENSIONS, _count

_INTEGER = re.compile(r"^[+-]?\d+$")


class _FileSource(ImageSource):
    """Images as files (ImageFolder, CSV)."""

    def __init__(self, root, what):
        super().__init__(root, what)
        self.paths = []

    def read(self, i):
        path = self.paths[i]
        try:
            with open(path, "rb") as f:
                return f.read()
        except OSError as e:
            raise Problem(path, f"cannot read the image: {e.strerror or e}") from None

    def problem(self, i, message, hint=None):
        return Problem(self.paths[i], message, hint=hint)


class ImageFolderSource(_FileSource):
    format = "imagefolder"

    def __init__(self, root, what, classes):
        super().__init__(root, what)
        self.classes = list(classes)
        #: The class folders found (``classes`` may grow to train's list for a validation folder).
        self.folders = list(classes)
        paths, labels = [], []
        for index, cls in enumerate(classes):
            found = _images_under(os.path.join(root, cls))
            if not found:
                raise Problem(
                    os.path.join(root, cls),
                    f"class folder '{cls}' of {what} has no images",
                    hint=f"each class folder needs at least one {', '.join(e[1:] for e in IMAGE_EXTENSIONS)} file",
                )
            paths.extend(found)
            labels.extend([index] * len(found))
        self.paths = paths
        self.labels = np.asarray(labels, dtype=np.int64)

    def name(self, i):
        return os.path.relpath(self.paths[i], self.root).replace(os.sep, "/")

    def describe(self):
        return f"ImageFolder, {_count(len(self), 'image')}, {_count(len(self.folders), 'class', 'classes')}"

    def remap_classes(self, classes):
        """Use ``classes`` (a superset of this folder's) as the class list, relabelling the images."""
        index = {c: i for i, c in enumerate(classes)}
        self.labels = np.asarray([index[self.classes[l]] for l in self.labels], dtype=np.int64)
        self.classes = list(classes)


def _images_under(folder):
    # torchvision's make_dataset order (sorted os.walk, sorted names), skipping hidden files and folders.
    walked = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        walked.append((dirpath, filenames))
    found = []
    for dirpath, filenames in sorted(walked):
        for name in sorted(filenames):
            if not name.startswith(".") and name.lower().endswith(IMAGE_EXTENSIONS):
                found.append(os.path.join(dirpath, name))
    return found


class CsvSource(_FileSource):
    format = "csv"

    def __init__(self, csv_path, what):
        super().__init__(os.path.dirname(csv_path) or ".", what)
        self.csv_path = csv_path
        self.entries, self.lines = [], []
        values = []
        folder = self.root
        try:
            with open(csv_path, encoding="utf-8-sig", newline="") as f:
                reader = csv.reader(f)
                header = next(reader, None)
                if not _is_path_label(header):
                    raise Problem(csv_path, f"the header must be path,label, not {','.join(header or [])!r}", line=1)
                for row in reader:
                    if not row or all(not cell.strip() for cell in row):
                        continue
                    line = reader.line_num
                    if len(row) != 2:
                        raise Problem(csv_path, f"has {len(row)} fields, expected 2 (path,label)", line=line)
                    entry, label = row[0].strip(), row[1].strip()
                    if not entry or not label:
                        raise Problem(csv_path, f"the {'path' if not entry else 'label'} is empty", line=line)
                    path = os.path.normpath(os.path.join(folder, entry))
                    if not os.path.isfile(path):
                        raise Problem(csv_path, f"image {entry} does not exist", line=line, hint=f"paths are relative to {folder}")
                    self.entries.append(entry)
                    self.paths.append(path)
                    self.lines.append(line)
                    values.append(label)
        except UnicodeDecodeError:
            raise Problem(csv_path, "is not UTF-8 text") from None
        except csv.Error as e:
            raise Problem(csv_path, f"is not a readable CSV: {e}") from None
        if not values:
            raise Problem(csv_path, f"{what} lists no images", hint="add path,label rows under the header")
        if all(_INTEGER.match(v) for v in values):
            self._raw = np.asarray([int(v) for v in values], dtype=np.int64)
            base, sure = detect_label_base(self._raw)
            self.set_label_base(base, sure)
        else:
            self.classes = sorted(set(values))
            index = {c: i for i, c in enumerate(self.classes)}
            self.labels = np.asarray([index[v] for v in values], dtype=np.int64)

    def name(self, i):
        return self.entries[i]

    def label_problem(self, i, message, hint=None):
        return Problem(self.csv_path, message, line=self.lines[i], hint=hint)

    def describe(self):
        parts = [f"CSV {os.path.basename(self.csv_path)}", _count(len(self), "image"), _count(len(np.unique(self.labels)), "class", "classes")]
        if self.integer_labels:
            parts.append(self._labels_phrase())
        return ", ".join(parts)

    def remap_classes(self, classes):
        index = {c: i for i, c in enumerate(classes)}
        self.labels = np.asarray([index[self.classes[l]] for l in self.labels], dtype=np.int64)
        self.classes = list(classes)


def _is_path_label(header):
    return header is not None and [h.strip().lower() for h in header] == ["path", "label"]


def _csv_has_header(path):
    try:
        with open(path, encoding="utf-8-sig", newline="") as f:
            return _is_path_label(next(csv.reader(f), None))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False
