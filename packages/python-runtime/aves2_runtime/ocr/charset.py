"""The character dictionary: which characters the model writes, and their class indices.

The upstream (CRNN_Tensorflow's ``local_utils/establish_char_dict.py``) keeps two files,
each written with ``json.dump(sort_keys=True, indent=4)``:

- ``char_dict.json``: ``{"<ord>_ord": "<char>"}``, e.g. ``{"48_ord": "0", "65_ord": "A"}``
  (an older variant, in its data/char_dict/, has plain ``{"<ord>": "<char>"}`` keys);
- ``ord_map.json``: the class index of each character both ways:
  ``{"<i>_index": "<ord>", "<ord>_ord": "<i>"}`` (older: ``{"<i>": "<ord>"}``).

Both are read here; without ord_map.json the characters are indexed by code point. The
upstream's ``--char_dict_path`` and ``--ord_map_dict_path`` name the *folders* holding
them; a path to the file itself works too. Class 0 is the CTC blank, so the character
of ord_map index i is class i + 1 (the upstream's TensorFlow CTC put the blank last).
"""

import json
import os

from ..files import atomic_write_text
from ..problems import Problem

CHAR_DICT, ORD_MAP = "char_dict.json", "ord_map.json"


class Charset:
    """An ordered list of distinct characters; class i + 1 is ``chars[i]``, 0 the blank."""

    def __init__(self, chars):
        self.chars = list(chars)
        self.index = {c: i + 1 for i, c in enumerate(self.chars)}
        if len(self.index) != len(self.chars):
            raise ValueError("the characters of a Charset must be distinct")

    def __len__(self):
        return len(self.chars)

    def __eq__(self, other):
        return isinstance(other, Charset) and self.chars == other.chars

    @property
    def num_classes(self):
        """The model's outputs: every character and the blank."""
        return len(self.chars) + 1

    @property
    def text(self):
        return "".join(self.chars)

    def missing(self, label):
        """The characters of ``label`` the dictionary lacks, in order of appearance."""
        return list(dict.fromkeys(c for c in label if c not in self.index))

    def encode(self, label):
        return [self.index[c] for c in label]

    def decode(self, classes):
        return "".join(self.chars[k - 1] for k in classes if 0 < k <= len(self.chars))

    def describe(self, limit=60):
        shown = self.text if len(self) <= limit else self.text[:limit] + "…"
        return f"{len(self)} characters ({shown!r})"

    @classmethod
    def from_labels(cls, labels):
        """Every character of the labels, by code point (the upstream used a set's order)."""
        return cls(sorted({c for label in labels for c in label}))


def _file(path, name):
    return os.path.join(path, name) if os.path.isdir(path) else path


def find(path, name=CHAR_DICT):
    """``path``/char_dict.json when ``path`` is a folder, else ``path`` itself; None when absent."""
    candidate = _file(path, name)
    return candidate if os.path.isfile(candidate) else None


def _read_json(path, what):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise Problem(path, f"cannot read {what}: {str(e).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise Problem(path, f"is not a {what}: a JSON object is expected", hint='e.g. {"48_ord": "0", "49_ord": "1"}')
    return data


def _ord_of(key, path, suffix):
    text = key[: -len(suffix)] if key.endswith(suffix) else key
    if not text.isdigit():
        raise Problem(path, f'key "{key}" is not "<number>{suffix}"', hint=f'the upstream\'s format: {{"48{suffix}": ...}}')
    return int(text)


def read(char_dict_path, ord_map_path=None):
    """The Charset of an upstream char_dict.json (a file, or a folder holding one), ordered
    by its ord_map.json when one is found (``ord_map_path``, else beside char_dict.json)."""
    path = find(char_dict_path)
    if path is None:
        raise Problem(char_dict_path, f"has no {CHAR_DICT}")
    data = _read_json(path, "character dictionary")
    if not data:
        raise Problem(path, "is empty: no characters")
    chars = {}
    for key, value in data.items():
        code = _ord_of(key, path, "_ord")
        if not isinstance(value, str) or len(value) != 1:
            raise Problem(path, f'"{key}" maps to {json.dumps(value)}: one character is expected')
        if ord(value) != code:
            raise Problem(path, f'"{key}" maps to {json.dumps(value)}, whose code point is {ord(value)}')
        chars[code] = value
    order = _read_order(ord_map_path if ord_map_path else os.path.dirname(path), chars)
    return Charset(chars[code] for code in (order or sorted(chars)))


def _read_order(ord_map_path, chars):
    """The code points by class index from ord_map.json, or None without one."""
    path = find(ord_map_path, ORD_MAP) if ord_map_path else None
    if path is None:
        return None
    data = _read_json(path, "ord map")
    by_index = {}
    for key, value in data.items():
        if key.endswith("_ord"):
            continue  # the reverse direction, implied by the "_index" entries
        index = _ord_of(key, path, "_index")
        try:
            by_index[index] = int(value)
        except (TypeError, ValueError):
            raise Problem(path, f'"{key}" maps to {json.dumps(value)}: a code point (a number) is expected') from None
    if sorted(by_index) != list(range(len(by_index))):
        raise Problem(path, f"indices are not 0..{len(by_index) - 1}")
    order = [by_index[i] for i in range(len(by_index))]
    if sorted(order) != sorted(chars):
        extra = sorted(set(order) - set(chars))[:5]
        lacking = sorted(set(chars) - set(order))[:5]
        raise Problem(path, "does not index the characters of char_dict.json"
                      + (f"; it has code points char_dict.json lacks: {extra}" if extra else "")
                      + (f"; it lacks code points {lacking}" if lacking else ""), hint="use the ord_map.json written with that char_dict.json")
    return order


def char_dict_json(charset):
    return json.dumps({f"{ord(c)}_ord": c for c in charset.chars}, sort_keys=True, indent=4)


def ord_map_json(charset):
    both = {f"{i}_index": str(ord(c)) for i, c in enumerate(charset.chars)}
    both.update({f"{ord(c)}_ord": str(i) for i, c in enumerate(charset.chars)})
    return json.dumps(both, sort_keys=True, indent=4)


def write(folder, charset):
    """char_dict.json and ord_map.json in ``folder``, as the upstream writes them."""
    os.makedirs(folder, exist_ok=True)
    atomic_write_text(os.path.join(folder, CHAR_DICT), char_dict_json(charset))
    atomic_write_text(os.path.join(folder, ORD_MAP), ord_map_json(charset))
