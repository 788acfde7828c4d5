"""Format detection: ``open_images`` looks at a path and opens the layout it holds as an ``ImageSource``."""

import os

from ...problems import Problem
from .file_sources import CsvSource, ImageFolderSource, _csv_has_header
from .images import IMAGE_EXTENSIONS, _count, preview
from .tfrecord_source import _SHARD_NAME, TFRecordSource, _shard_prefix

_NOT_RECORDS = IMAGE_EXTENSIONS + (".json", ".csv", ".txt", ".md", ".py", ".yaml", ".yml", ".gif", ".zip", ".tar", ".gz")
_ROLE_PREFIXES = {"train": ("train",), "validation": ("validation", "valid", "val", "test", "eval", "dev")}


def _is_shard(name):
    lower = name.lower()
    if name.startswith(".") or lower == "num_examples.json":
        return False
    if lower.endswith((".tfrecord", ".tfrecords")):
        return True
    return "-of-" in lower and not lower.endswith(_NOT_RECORDS)


def _role(what):
    w = (what or "").lower()
    if any(s in w for s in ("valid", "test", "eval")):
        return "validation"
    if "train" in w:
        return "train"
    return None


def _pick_shards(root, names, what):
    """The shards of the set ``what`` names when the folder holds several, and a note saying so."""
    groups = {}
    for name in sorted(names):
        groups.setdefault(_shard_prefix(name).lower(), []).append(name)
    chosen, note = sorted(names), None
    if len(groups) > 1:
        role = _role(what)
        for prefix in _ROLE_PREFIXES.get(role, ()):
            if prefix in groups:
                chosen = groups[prefix]
                others = sorted(p for p in groups if p != prefix)
                note = f"the {prefix}-* shards (also here: {', '.join(p + '-*' for p in others)})"
                break
    # A set named -NNNNN-of-NNNNN with shards missing is likely a partial copy: say so.
    counts = {}
    for name in chosen:
        m = _SHARD_NAME.match(name)
        if m:
            counts.setdefault((m.group("prefix"), int(m.group("count"))), set()).add(int(m.group("index")))
    missing = [f"{prefix}: {total - len(found)} of {total} missing" for (prefix, total), found in sorted(counts.items()) if len(found) < total]
    if missing:
        note = ", ".join(filter(None, [note, "shards " + "; ".join(missing)]))
    return [os.path.join(root, n) for n in chosen], note


def open_images(root, what, label_base=None):
    """Open ``root`` (a folder, or a single TFRecord/CSV file) as an ``ImageSource``; ``what`` names it in messages (``--train_data_dir``).

    ``label_base`` (0 or 1) forces the base of integer labels instead of detecting it.
    """
    if not os.path.exists(root):
        raise Problem(root, f"{what} does not exist")
    if os.path.isfile(root):
        name = os.path.basename(root)
        if name.lower().endswith(".csv"):
            source = CsvSource(root, what)
        elif _is_shard(name) or not name.lower().endswith(_NOT_RECORDS):
            source = TFRecordSource(root, what, [root])
        else:
            raise Problem(root, f"{what} is a file, not a folder of images", hint="give the folder holding the TFRecord shards, the path,label CSV, or the class folders")
    else:
        source = _open_folder(root, what)
    if label_base is not None and source.integer_labels:
        source.set_label_base(label_base, True)
    return source


def _open_folder(root, what):
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except OSError as e:
        raise Problem(root, f"{what} cannot be listed: {e.strerror or e}") from None
    files = [e.name for e in entries if not e.name.startswith(".") and _is_file(e)]
    folders = [e.name for e in entries if not e.name.startswith(".") and _is_dir(e)]
    shards = [n for n in files if _is_shard(n)]
    if shards:
        paths, note = _pick_shards(root, shards, what)
        return TFRecordSource(root, what, paths, note)
    csvs = [n for n in files if n.lower().endswith(".csv")]
    labelled = [n for n in csvs if _csv_has_header(os.path.join(root, n))]
    if len(labelled) > 1:
        raise Problem(root, f"{what} holds several path,label CSVs ({preview(labelled)})", hint="keep one CSV per folder")
    if labelled:
        return CsvSource(os.path.join(root, labelled[0]), what)
    if folders:
        return ImageFolderSource(root, what, folders)
    if len(csvs) == 1:
        return CsvSource(os.path.join(root, csvs[0]), what)  # reports its header
    images = [n for n in files if n.lower().endswith(IMAGE_EXTENSIONS)]
    if images:
        raise Problem(root, f"{what} holds {_count(len(images), 'image')} but no class folders", hint="put each class's images in a sub-folder named after the class, or list them in a path,label CSV")
    raise Problem(
        root,
        f"no train-*-of-* / validation-*-of-* shards or *.tfrecord files in {what}",
        hint="expected TFRecord shards, a CSV with a path,label header, or one sub-folder of images per class",
    )


def _is_file(entry):
    try:
        return entry.is_file()
    except OSError:
        return False


def _is_dir(entry):
    try:
        return entry.is_dir()
    except OSError:
        return False
