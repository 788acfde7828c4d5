"""Images in TFRecord shards of tf.train.Example records (the upstream AVES2 layout), and shard naming."""

import json
import os
import re

import numpy as np

from ...problems import Problem
from .. import tf_example, tfrecord
from .image_source import ImageSource, detect_label_base
from .images import _count

ENCODED, LABEL, TEXT, FILENAME = "image/encoded", "image/class/label", "image/class/text", "image/filename"
_INDEX_KEYS = (LABEL, TEXT, FILENAME)
_SHARD_NAME = re.compile(r"^(?P<prefix>.*?)-(?P<index>\d+)-of-(?P<count>\d+)(?:\.[A-Za-z0-9]+)?$")


class TFRecordSource(ImageSource):
    format = "tfrecord"

    def __init__(self, root, what, shards, note=None):
        super().__init__(root, what)
        self.shards = list(shards)
        self.readers = [tfrecord.RecordReader(p) for p in self.shards]
        self.note = note
        shard_ids, offsets, lengths, raw, filenames = [], [], [], [], []
        texts = {}
        for sid, path in enumerate(self.shards):
            for k, (offset, data) in enumerate(tfrecord.scan_records(path)):
                seen = set()
                try:
                    features = tf_example.decode_example_typed(data, _INDEX_KEYS, seen)
                except tf_example.ExampleError as e:
                    raise Problem(path, f"record {k} at byte offset {offset:,} is not a valid tf.train.Example: {e}", hint="the file is corrupt or holds something else") from None
                where = f"record {k} at byte offset {offset:,}"
                label = features.get(LABEL)
                if label is None or label.kind != "int64" or len(label.values) != 1:
                    got = "has none" if label is None or not label.values else f"has {label.kind} {label.values[:3]}"
                    raise Problem(path, f"{where}: {LABEL} must be one int64, it {got}", hint="write the class index as an int64 feature")
                if ENCODED.encode() not in seen:
                    raise Problem(path, f"{where} has no {ENCODED}", hint="each record needs the encoded image bytes")
                value = label.values[0]
                name = features.get(FILENAME)
                filenames.append(name.values[0].decode("utf-8", "replace") if name is not None and name.kind == "bytes" and name.values else None)
                text = features.get(TEXT)
                if text is not None and text.kind == "bytes" and text.values:
                    texts.setdefault(value, set()).add(text.values[0].decode("utf-8", "replace"))
                shard_ids.append(sid)
                offsets.append(offset)
                lengths.append(len(data))
                raw.append(value)
        if not raw:
            raise Problem(root, f"{what} has no images: its {_count(len(self.shards), 'TFRecord file')} hold no records")
        self.shard_ids = np.asarray(shard_ids, dtype=np.int32)
        self.offsets = np.asarray(offsets, dtype=np.int64)
        self.lengths = np.asarray(lengths, dtype=np.int64)
        self.filenames = filenames
        # Position of each record inside its shard, for "<shard>#<index>" names.
        starts = np.searchsorted(self.shard_ids, np.arange(len(self.shards)))
        self.record_numbers = np.arange(len(raw), dtype=np.int64) - starts[self.shard_ids]
        self._texts = texts
        self.texts_note = None
        self._raw = np.asarray(raw, dtype=np.int64)
        base, sure = detect_label_base(self._raw)
        self.set_label_base(base, sure)
        self.expected_count = _num_examples(root, self.shards)

    def _class_names(self, n):
        texts = self._texts
        names = [str(i) for i in range(n)]
        if not texts:
            return names
        clashes = [(label, sorted(t)) for label, t in texts.items() if len(t) > 1]
        chosen = {label: next(iter(t)) for label, t in texts.items() if len(t) == 1}
        duplicates = len(set(chosen.values())) != len(chosen)
        if clashes:
            label, options = min(clashes)
            self.texts_note = f"{TEXT} inconsistent (label {label}: {', '.join(repr(o) for o in options[:3])}), classes named by number"
            return names
        if duplicates:
            self.texts_note = f"{TEXT} gives one name to several labels, classes named by number"
            return names
        self.texts_note = None
        for label, text in chosen.items():
            index = label - (self.label_base or 0)
            if 0 <= index < n:
                names[index] = text
        return names

    def read(self, i):
        sid = self.shard_ids[i]
        data = self.readers[sid].read(int(self.offsets[i]), int(self.lengths[i]))
        try:
            encoded = tf_example.decode_example_typed(data, (ENCODED,)).get(ENCODED)
        except tf_example.ExampleError as e:
            raise self.problem(i, f"is not a valid tf.train.Example: {e}") from None
        if encoded is None or encoded.kind != "bytes" or not encoded.values:
            raise self.problem(i, f"has no {ENCODED} bytes")
        return encoded.values[0]

    def name(self, i):
        return self.filenames[i] or f"{os.path.basename(self.shards[self.shard_ids[i]])}#{self.record_numbers[i]}"

    def problem(self, i, message, hint=None):
        filename = f" ({self.filenames[i]})" if self.filenames[i] else ""
        return Problem(self.shards[self.shard_ids[i]], f"record {self.record_numbers[i]}{filename} at byte offset {int(self.offsets[i]):,}: {message}", hint=hint)

    label_problem = problem

    def describe(self):
        parts = [
            "TFRecord",
            _count(len(self.shards), "shard"),
            _count(len(self), "image"),
            _count(len(np.unique(self.labels)), "class", "classes"),
            self._labels_phrase(),
        ]
        if self._texts and not self.texts_note:
            parts.append(f"class names from {TEXT}")
        for extra in (self.note, self.texts_note):
            if extra:
                parts.append(extra)
        if self.expected_count is not None and self.expected_count != len(self):
            parts.append(f"num_examples.json says {self.expected_count:,}")
        return ", ".join(parts)


def _num_examples(root, shards):
    """The count num_examples.json states for these shards, or None (absent, unreadable, or not applicable)."""
    folder = root if os.path.isdir(root) else os.path.dirname(root)
    try:
        with open(os.path.join(folder, "num_examples.json"), encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError):
        return None
    if isinstance(data, int) and not isinstance(data, bool):
        return data
    if not isinstance(data, dict):
        return None
    counts = {k: v for k, v in data.items() if isinstance(v, int) and not isinstance(v, bool)}
    if "num_examples" in counts:
        return counts["num_examples"]
    prefixes = {_shard_prefix(os.path.basename(p)) for p in shards}
    hits = [counts[p] for p in prefixes if p in counts]
    if len(hits) == len(prefixes) and hits:
        return sum(hits)
    if len(counts) == 1:
        return next(iter(counts.values()))
    return None


def _shard_prefix(name):
    m = _SHARD_NAME.match(name)
    prefix = m.group("prefix") if m else re.split(r"[-.]", name, maxsplit=1)[0]
    for ext in (".tfrecords", ".tfrecord"):
        if prefix.lower().endswith(ext):
            prefix = prefix[: -len(ext)]
    return prefix
