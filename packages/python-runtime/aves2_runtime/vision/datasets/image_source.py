"""The ``ImageSource`` base every layout subclasses, and the base (0 or 1) of integer labels."""

import numpy as np


class ImageSource:
    """The images of one folder: classes, labels (0-based), names and encoded bytes; picklable."""

    #: ``imagefolder``, ``csv`` or ``tfrecord``.
    format = None

    def __init__(self, root, what):
        self.root = root
        self.what = what
        #: Class names, index = label.
        self.classes = []
        #: 0 or 1 for integer labels (TFRecord, CSV of integers), else None.
        self.label_base = None
        #: Whether the base follows from the labels (False: assumed, e.g. labels 2..9).
        self.label_base_sure = True
        #: Every image's label, 0-based (numpy int64).
        self.labels = np.zeros(0, dtype=np.int64)
        self._raw = None  # integer labels as stored, before the base shift

    def __len__(self):
        return len(self.labels)

    def label(self, i):
        """The 0-based class index of image ``i``."""
        return int(self.labels[i])

    def name(self, i):
        """A short name of image ``i`` for reports."""
        raise NotImplementedError

    def read(self, i):
        """The encoded image (JPEG/PNG/... bytes) of image ``i``."""
        raise NotImplementedError

    def problem(self, i, message, hint=None):
        """A ``Problem`` about image ``i``, naming its file (and record or line)."""
        raise NotImplementedError

    def describe(self):
        """One line saying what was found, e.g. ``TFRecord, 3 shards, 3,680 images, 37 classes, labels 1-based (shifted to 0-based)``."""
        raise NotImplementedError

    # integer labels -------------------------------------------------------------------

    @property
    def integer_labels(self):
        """Whether labels are numbers (TFRecord, CSV of integers) rather than class names."""
        return self._raw is not None

    def set_label_base(self, base, sure=True):
        """Shift the stored integer labels by ``base`` (0 or 1) from now on."""
        if self._raw is None:
            raise ValueError("only integer labels have a base")
        self.label_base, self.label_base_sure = base, sure
        self.labels = self._raw - base
        # Capped: a stray huge label must not build a huge list (check_labels refuses it anyway).
        self.classes = self._class_names(min(int(self.labels.max()) + 1, 1 << 20) if len(self.labels) else 0)

    def _class_names(self, n):
        return [str(i) for i in range(n)]

    def _labels_phrase(self):
        if self.label_base is None:
            return None
        lo, hi = int(self._raw.min()), int(self._raw.max())
        if self.label_base == 1:
            return "labels 1-based (shifted to 0-based)"
        if not self.label_base_sure:
            return f"labels {lo}..{hi}, taken as 0-based"
        return "labels 0-based"

    def raw_label(self, i):
        """The label as stored (before the base shift), for messages."""
        return int(self._raw[i]) if self._raw is not None else self.label(i)

    def __repr__(self):
        return f"<{type(self).__name__} {self.root!r}: {self.describe()}>"


def detect_label_base(raw, num_class=None):
    """``(base, sure)`` of integer labels.

    0 (sure) when a label is 0 (or negative); 1 (sure) when they run 1..count
    of distinct labels, or none is 0 and the largest equals ``num_class``
    (0-based, it would be out of range); else 0, not sure.
    """
    if len(raw) == 0:
        return 0, True
    lo, hi = int(raw.min()), int(raw.max())
    if lo <= 0:
        return 0, True
    if (lo == 1 and hi == len(np.unique(raw))) or (num_class is not None and hi == num_class):
        return 1, True
    return 0, False
