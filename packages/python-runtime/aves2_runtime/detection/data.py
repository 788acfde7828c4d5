"""Detection data: a split of a Pascal VOC folder, a COCO JSON, or the upstream's
TFRecords, as one ``DetectionSet`` of ``Item`` s, checked while it is opened.

``open_split(root, split, what, classes=None)`` looks at ``root`` and picks the layout:

- **Pascal VOC** (the upstream AVES2 layout): ``Annotations/<id>.xml``,
  ``JPEGImages/<id>.jpg`` (or the XML's <filename>; .jpeg/.png too) and the ids of each
  split in ``ImageSets/Main/<split>.txt`` (VOC's place) or ``ImageSets/<split>.txt``
  (where the upstream's create_tfrecord_objd read them). The classes are those of
  ``ImageSets/label_map.pbtxt`` (or ``label_map.pbtxt``), in id order, when there is
  one; else the names found in the training split's annotations, sorted.
- **COCO JSON**: ``annotations/instances_<split>*.json`` or ``<split>.json`` (also
  ``<split>/_annotations.coco.json``); the images' file_name relative to the JSON, the
  folder, ``images/``, ``<split>/`` or ``images/<split>/``. Classes: the categories, in
  id order. ``iscrowd`` boxes are kept as "difficult" (ignored by the metrics).
- **TFRecord**: ``<split>.tfrecords`` (or ``.tfrecord``/``.record``): what the upstream's
  create_tfrecord_objd wrote (image/encoded, image/object/bbox/* normalised 0-1,
  image/object/class/text and /label), with ``ImageSets/label_map.pbtxt`` beside it.

Boxes become ``[x1, y1, x2, y2]`` in continuous pixels: VOC's 1-based inclusive
``xmin..xmax`` is ``[xmin - 1, xmax]`` (an xmin of 0, from 0-based tools, is read as 0);
COCO's ``[x, y, w, h]`` is ``[x, y, x + w, y + h]``. Labels are 0-based indices into
``classes`` (the models add the background).

Bad data is a ``Problem`` naming the file (and line, for ImageSets lists): an id whose
annotation or image is missing, an empty or unparsable annotation file, a class that is
not one of the classes, a box with x2 < x1 (or y2 < y1), no area, or outside the image.
An annotation with no objects is an image of background, and allowed.
"""

import json
import os
import re
import xml.etree.ElementTree as ET
from typing import NamedTuple, Optional

import numpy as np

from ..problems import Problem

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".JPG", ".JPEG", ".PNG", ".bmp")
SPLIT_NAMES = {"val": ("val", "validation", "valid", "test"), "train": ("train", "trainval")}


class Item(NamedTuple):
    name: str  # the image id (VOC) or file name
    path: Optional[str]  # the image file; None when the bytes are in a record
    width: int
    height: int
    boxes: np.ndarray  # (N, 4) float32, continuous pixels
    labels: np.ndarray  # (N,) int64, 0-based
    difficult: np.ndarray  # (N,) bool
    source: str  # the annotation file, for messages
    data: Optional[bytes] = None  # the encoded image, for records


class DetectionSet:
    """One split: ``items``, ``classes``; ``read(i)`` gives an image's encoded bytes."""

    def __init__(self, root, what, layout, split, classes, items, note="", origin=None):
        self.root, self.what, self.layout, self.split = root, what, layout, split
        self.classes, self.items, self.note = list(classes), items, note
        self.origin = origin  # where the classes come from, for messages

    def __len__(self):
        return len(self.items)

    def read(self, i):
        item = self.items[i]
        if item.data is not None:
            return item.data
        with open(item.path, "rb") as f:
            return f.read()

    def objects(self):
        return int(sum(len(it.labels) for it in self.items))

    def describe(self):
        empty = sum(1 for it in self.items if not len(it.labels))
        counts = np.bincount(np.concatenate([it.labels for it in self.items] + [np.zeros(0, np.int64)]), minlength=len(self.classes))
        per = ", ".join(f"{c} {int(n):,}" for c, n in zip(self.classes, counts))
        extra = f", {empty:,} without objects" if empty else ""
        return f"{self.layout}, {self.split}: {len(self.items):,} images, {self.objects():,} objects ({per}){extra}{self.note}"

    def truths(self):
        """Ground truth per image, as ``metrics.evaluate`` takes it."""
        return [{"boxes": it.boxes, "labels": it.labels, "difficult": it.difficult} for it in self.items]


# --- layout -------------------------------------------------------------------------------


def layout_of(root):
    """"voc", "coco" or "tfrecord"; a Problem saying what was expected otherwise."""
    if os.path.isfile(root) and root.lower().endswith(".json"):
        return "coco"
    if not os.path.isdir(root):
        raise Problem(root, "does not exist" if not os.path.exists(root) else "is not a folder", hint="give the dataset's folder (Pascal VOC: Annotations/, JPEGImages/, ImageSets/)")
    if os.path.isdir(os.path.join(root, "Annotations")):
        return "voc"
    if _coco_files(root):
        return "coco"
    if _record_files(root):
        return "tfrecord"
    raise Problem(
        root,
        "holds no Pascal VOC folder (Annotations/, JPEGImages/, ImageSets/), COCO JSON (annotations/instances_<split>.json or <split>.json) or <split>.tfrecords",
        hint="see the component's README for the layouts",
    )


def open_split(root, split, what, classes=None, origin=None):
    """The ``split`` ("train", "val") of the dataset at ``root``; ``classes`` (from a
    checkpoint, or the training split) fixes the class list, else the data gives it.
    ``origin`` says where given classes come from, in messages ("the model's")."""
    kind = layout_of(root)
    opener = {"voc": open_voc, "coco": open_coco}.get(kind, open_records)
    return opener(root, split, what, classes, origin)


def find_label_map(root):
    for p in (os.path.join(root, "ImageSets", "label_map.pbtxt"), os.path.join(root, "label_map.pbtxt")):
        if os.path.isfile(p):
            return p
    return None


_ITEM = re.compile(r"item\s*\{(.*?)\}", re.S)


def read_label_map(path):
    """The class names of a TF Object Detection label map (``item { id: 1 name: 'cat' }``), by id."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    found = []
    for body in _ITEM.findall(text):
        ident = re.search(r"\bid\s*:\s*(-?\d+)", body)
        name = re.search(r"\bname\s*:\s*(['\"])(.*?)\1", body)
        if not ident or not name:
            raise Problem(path, f"an item without an id or a name: {' '.join(body.split())}", hint="each item needs id: <n> and name: '<class>'")
        found.append((int(ident.group(1)), name.group(2)))
    if not found:
        raise Problem(path, "has no item { id: .. name: '..' }")
    names = [n for _, n in sorted(found)]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise Problem(path, f"names {', '.join(dup)} more than once")
    return names


def _check_classes(names, source):
    if not names:
        raise Problem(source, "no classes: no annotation names an object", hint="annotate at least one object, or give ImageSets/label_map.pbtxt")
    return names


def _class_index(name, classes, source, where, hint):
    try:
        return classes.index(name)
    except ValueError:
        raise Problem(source, f"{where}: unknown class \"{name}\"", hint=hint) from None


def _check_box(box, width, height, source, where, written=None):
    """``box`` (x1, y1, x2, y2, continuous) inside a width x height image, x2 > x1, y2 > y1.
    ``written``: the box as the file has it, for the messages (VOC's 1-based corners)."""
    x1, y1, x2, y2 = box
    shown = ", ".join(_num(v) for v in (written or box))
    if x2 < x1 or y2 < y1:
        axis = "x" if x2 < x1 else "y"
        lo, hi = (x1, x2) if axis == "x" else (y1, y2)
        raise Problem(source, f"{where}: {axis}max < {axis}min ({_num(hi)} < {_num(lo)})", hint="the corners are swapped")
    tolerance = 1e-3
    if x1 < -tolerance or y1 < -tolerance or x2 > width + tolerance or y2 > height + tolerance:
        raise Problem(source, f"{where}: the box ({shown}) is outside the {width}x{height} image", hint="fix or drop the object")
    if x2 - x1 <= 0 or y2 - y1 <= 0:
        raise Problem(source, f"{where}: the box ({shown}) has no area")
    return [max(x1, 0.0), max(y1, 0.0), min(x2, float(width)), min(y2, float(height))]


def _num(v):
    return f"{v:g}"


def _item(name, path, width, height, boxes, labels, difficult, source, data=None):
    return Item(
        name, path, int(width), int(height),
        np.asarray(boxes, dtype=np.float32).reshape(-1, 4), np.asarray(labels, dtype=np.int64),
        np.asarray(difficult, dtype=bool), source, data,
    )


def image_size(path, source):
    """(width, height) from the image's header; a Problem when it is not an image."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            return im.size
    except Exception as e:  # noqa: BLE001 - any unreadable image is the user's to fix
        raise Problem(path, f"cannot be read as an image ({str(e).splitlines()[0] if str(e) else type(e).__name__})", hint=f"listed by {source}") from None


# --- Pascal VOC ---------------------------------------------------------------------------


def _split_file(root, split):
    for name in SPLIT_NAMES.get(split, (split,)):
        for folder in (os.path.join(root, "ImageSets", "Main"), os.path.join(root, "ImageSets")):
            path = os.path.join(folder, f"{name}.txt")
            if os.path.isfile(path):
                return path
    return None


def _voc_ids(root, split, what):
    path = _split_file(root, split)
    if path is None:
        raise Problem(os.path.join(root, "ImageSets", "Main", f"{split}.txt"), f"{what}: no {split} list (nor ImageSets/{split}.txt)", hint=f"list the image ids of the {split} split, one a line")
    ids = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            words = line.split()
            if words:
                ids.append((words[0], n))
    if not ids:
        raise Problem(path, f"{what}: lists no images")
    return path, ids


def _voc_image(root, ident, filename):
    images = os.path.join(root, "JPEGImages")
    candidates = [os.path.join(images, filename)] if filename else []
    candidates += [os.path.join(images, ident + ext) for ext in IMAGE_EXTENSIONS]
    return next((p for p in candidates if os.path.isfile(p)), None)


def _parse_xml(path):
    if not os.path.isfile(path):
        return None
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.strip():
        raise Problem(path, "is empty", hint="a Pascal VOC annotation is <annotation> with <filename>, <size> and one <object> per box")
    try:
        node = ET.fromstring(raw)
    except ET.ParseError as e:
        raise Problem(path, f"is not valid XML ({e})") from None
    if node.tag != "annotation":
        raise Problem(path, f"is not a Pascal VOC annotation: its root is <{node.tag}>, not <annotation>")
    return node


def _text(node, tag):
    child = node.find(tag)
    return child.text.strip() if child is not None and child.text else None


def _voc_objects(node, path):
    """[(name, (xmin, ymin, xmax, ymax) as written, difficult)]."""
    found = []
    for k, obj in enumerate(node.findall("object"), 1):
        name = _text(obj, "name")
        if not name:
            raise Problem(path, f"object {k}: no <name>")
        box = obj.find("bndbox")
        if box is None:
            raise Problem(path, f"object {k} ({name}): no <bndbox>")
        values = []
        for tag in ("xmin", "ymin", "xmax", "ymax"):
            text = _text(box, tag)
            try:
                values.append(float(text))
            except (TypeError, ValueError):
                raise Problem(path, f"object {k} ({name}): <{tag}> is {text!r}, not a number") from None
        found.append((name, values, (_text(obj, "difficult") or "0") not in ("0", "false", "False")))
    return found


def voc_classes(root, split="train", what="data"):
    """The class list: the label map's, else the sorted names in ``split``'s annotations."""
    label_map = find_label_map(root)
    if label_map:
        return read_label_map(label_map), label_map
    _, ids = _voc_ids(root, split, what)
    names = set()
    for ident, _ in ids:
        node = _parse_xml(os.path.join(root, "Annotations", f"{ident}.xml"))
        if node is not None:
            names.update(n for n, _, _ in _voc_objects(node, os.path.join(root, "Annotations", f"{ident}.xml")))
    return _check_classes(sorted(names), os.path.join(root, "Annotations")), None


def open_voc(root, split, what, classes=None, origin=None):
    label_map = None
    if classes is None:
        classes, label_map = voc_classes(root, "train", what)
        origin = label_map or "from the training annotations"
    hint = f"the classes are {', '.join(classes)}" + (f" ({origin})" if origin else "")
    list_path, ids = _voc_ids(root, split, what)
    items = []
    for ident, line in ids:
        xml_path = os.path.join(root, "Annotations", f"{ident}.xml")
        node = _parse_xml(xml_path)
        if node is None:
            raise Problem(list_path, f"image {ident}: no annotation {os.path.join('Annotations', ident + '.xml')}", line=line, hint="annotate it, or take it off the list")
        image = _voc_image(root, ident, _text(node, "filename"))
        if image is None:
            raise Problem(list_path, f"image {ident}: no {os.path.join('JPEGImages', ident + '.jpg')} (nor .jpeg/.png, nor its <filename>)", line=line, hint="add the image, or take it off the list")
        width, height = image_size(image, list_path)
        boxes, labels, difficult = [], [], []
        for k, (name, (xmin, ymin, xmax, ymax), hard) in enumerate(_voc_objects(node, xml_path), 1):
            where = f"object {k} ({name})"
            labels.append(_class_index(name, classes, xml_path, where, hint))
            if xmax < xmin or ymax < ymin:
                _check_box([xmin, ymin, xmax, ymax], width, height, xml_path, where)
            if xmin < 0 or ymin < 0:  # VOC's corners are 1-based: 0 is a 0-based tool's, below 0 is outside
                _check_box([xmin, ymin, xmax, ymax], width, height, xml_path, where)
            box = [max(xmin - 1, 0.0), max(ymin - 1, 0.0), xmax, ymax]
            boxes.append(_check_box(box, width, height, xml_path, where, (xmin, ymin, xmax, ymax)))
            difficult.append(hard)
        items.append(_item(ident, image, width, height, boxes, labels, difficult, xml_path))
    note = f" (classes from {os.path.relpath(label_map, root)})" if label_map else ""
    return DetectionSet(root, what, "Pascal VOC", split, classes, items, note, origin)


# --- COCO JSON ----------------------------------------------------------------------------


def _coco_files(root):
    if not os.path.isdir(root):
        return {}
    found = {}
    ann = os.path.join(root, "annotations")
    for split, names in SPLIT_NAMES.items():
        for name in names:
            candidates = [os.path.join(root, f"{name}.json"), os.path.join(root, name, "_annotations.coco.json")]
            if os.path.isdir(ann):
                candidates += sorted(os.path.join(ann, f) for f in os.listdir(ann) if f.startswith(f"instances_{name}") and f.endswith(".json"))
            hit = next((p for p in candidates if os.path.isfile(p)), None)
            if hit:
                found[split] = hit
                break
    return found


def _load_json(path):
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.strip():
        raise Problem(path, "is empty", hint="a COCO annotation file has images, annotations and categories")
    try:
        data = json.loads(raw)
    except ValueError as e:
        raise Problem(path, f"is not valid JSON ({e})") from None
    if not isinstance(data, dict) or not isinstance(data.get("images"), list) or not isinstance(data.get("categories"), list):
        raise Problem(path, "is not a COCO annotation file: it needs images and categories lists (and annotations)")
    return data


def coco_classes(data, path):
    cats = sorted((c.get("id"), c.get("name")) for c in data["categories"] if isinstance(c, dict))
    return _check_classes([str(n) for _, n in cats], path), {cid: i for i, (cid, _) in enumerate(cats)}


def _coco_image(root, path, split, file_name):
    bases = [os.path.dirname(path), root, os.path.join(root, "images"), os.path.join(root, split), os.path.join(root, f"{split}2017"), os.path.join(root, "images", split)]
    return next((os.path.join(b, file_name) for b in bases if os.path.isfile(os.path.join(b, file_name))), None)


def open_coco(root, split, what, classes=None, origin=None):
    if os.path.isfile(root):
        path, root = root, os.path.dirname(root)
    else:
        path = _coco_files(root).get(split)
        if path is None:
            raise Problem(root, f"{what}: no COCO JSON for the {split} split", hint=f"annotations/instances_{split}.json or {split}.json")
    data = _load_json(path)
    own, by_id = coco_classes(data, path)
    if classes is None:
        classes, origin = own, f"the categories of {path}"
    hint = f"the classes are {', '.join(classes)}" + (f" ({origin})" if origin else "")
    images = {}
    for k, im in enumerate(data["images"]):
        if not isinstance(im, dict) or "id" not in im or "file_name" not in im:
            raise Problem(path, f"images[{k}] has no id or file_name")
        images[im["id"]] = im
    per_image = {i: [] for i in images}
    for k, a in enumerate(data.get("annotations") or []):
        where = f"annotation {a.get('id', k)}"
        if a.get("image_id") not in images:
            raise Problem(path, f"{where}: image_id {a.get('image_id')} is not one of the images")
        if a.get("category_id") not in by_id:
            raise Problem(path, f"{where}: unknown category_id {a.get('category_id')}", hint=f"categories: {', '.join(f'{c} ({i})' for i, c in zip(sorted(by_id), own))}")
        per_image[a["image_id"]].append((where, a))
    items = []
    for ident, im in images.items():
        file = _coco_image(root, path, split, im["file_name"])
        if file is None:
            raise Problem(path, f"image {ident}: {im['file_name']} is not beside the JSON nor under {root}, images/ or {split}/", hint="add the image, or drop it from the JSON")
        width, height = (int(im["width"]), int(im["height"])) if im.get("width") and im.get("height") else image_size(file, path)
        boxes, labels, difficult = [], [], []
        for where, a in per_image[ident]:
            name = own[by_id[a["category_id"]]]
            labels.append(_class_index(name, classes, path, f"{where} ({name})", hint))
            try:
                x, y, w, h = (float(v) for v in a["bbox"])
            except (KeyError, TypeError, ValueError):
                raise Problem(path, f"{where} ({name}): bbox is {a.get('bbox')!r}, not [x, y, width, height]") from None
            boxes.append(_check_box([x, y, x + w, y + h], width, height, path, f"{where} ({name}) of {im['file_name']}"))
            difficult.append(bool(a.get("iscrowd", 0)))
        items.append(_item(str(im["file_name"]), file, width, height, boxes, labels, difficult, path))
    return DetectionSet(root, what, "COCO JSON", split, classes, items, f" ({os.path.relpath(path, root)})", origin)


# --- the upstream's TFRecords -------------------------------------------------------------


def _record_files(root):
    found = {}
    for split, names in SPLIT_NAMES.items():
        for name in names:
            hit = next((os.path.join(root, name + ext) for ext in (".tfrecords", ".tfrecord", ".record") if os.path.isfile(os.path.join(root, name + ext))), None)
            if hit:
                found[split] = hit
                break
    return found


def open_records(root, split, what, classes=None, origin=None):
    from ..vision import tf_example, tfrecord

    path = _record_files(root).get(split)
    if path is None:
        raise Problem(root, f"{what}: no {split}.tfrecords", hint="the output of the upstream's create_tfrecord_objd: train.tfrecords, val.tfrecords, ImageSets/label_map.pbtxt")
    label_map = find_label_map(root)
    mapped = read_label_map(label_map) if label_map else None
    examples = []
    for k, payload in enumerate(tfrecord.read_records(path)):
        try:
            examples.append(tf_example.decode_example(payload))
        except tf_example.ExampleError as e:
            raise Problem(path, f"record {k}: {e}") from None
    if classes is None:
        if mapped:
            classes, origin = mapped, label_map
        else:
            classes, origin = sorted({t.decode("utf-8") for ex in examples for t in ex.get("image/object/class/text", [])}), f"from {path}"
            _check_classes(classes, path)
    hint = f"the classes are {', '.join(classes)}" + (f" ({origin})" if origin else "")
    items = []
    for k, ex in enumerate(examples):
        data = (ex.get("image/encoded") or [None])[0]
        name = ((ex.get("image/filename") or [b""])[0] or f"record-{k}".encode()).decode("utf-8", "replace")
        if not data:
            raise Problem(path, f"record {k} ({name}): no image/encoded")
        width, height = (ex.get("image/width") or [0])[0], (ex.get("image/height") or [0])[0]
        if not width or not height:
            width, height = _decoded_size(data, path, k)
        texts = [t.decode("utf-8") for t in ex.get("image/object/class/text", [])]
        ids = list(ex.get("image/object/class/label", []))
        coords = [list(ex.get(f"image/object/bbox/{c}", [])) for c in ("xmin", "ymin", "xmax", "ymax")]
        difficult = list(ex.get("image/object/difficult", [])) or [0] * len(coords[0])
        boxes, labels = [], []
        for j in range(len(coords[0])):
            label = texts[j] if j < len(texts) else (mapped[ids[j] - 1] if mapped and j < len(ids) and 0 < ids[j] <= len(mapped) else str(ids[j] if j < len(ids) else "?"))
            where = f"record {k} ({name}), object {j + 1} ({label})"
            labels.append(_class_index(label, classes, path, where, hint))
            x1, y1, x2, y2 = (coords[0][j] * width, coords[1][j] * height, coords[2][j] * width, coords[3][j] * height)
            boxes.append(_check_box([x1, y1, x2, y2], width, height, path, where))
        items.append(_item(name, None, width, height, boxes, labels, [bool(d) for d in difficult[: len(boxes)]], path, data))
    if not items:
        raise Problem(path, f"{what}: holds no records")
    return DetectionSet(root, what, "TFRecord", split, classes, items, f" ({os.path.basename(path)})", origin)


def _decoded_size(data, path, k):
    import io

    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except Exception:  # noqa: BLE001
        raise Problem(path, f"record {k}: image/encoded is not an image") from None


# --- a folder of images (prediction) -------------------------------------------------------


def open_images(root, what):
    """Every image in ``root`` (sorted), with no ground truth: for prediction."""
    if os.path.isfile(root):
        files = [root]
        root = os.path.dirname(root)
    else:
        files = sorted(os.path.join(root, f) for f in os.listdir(root) if f.endswith(IMAGE_EXTENSIONS) and not f.startswith("."))
    if not files:
        raise Problem(root, f"{what}: no images (.jpg, .jpeg, .png) and no Pascal VOC / COCO / TFRecord dataset")
    items = []
    for f in files:
        width, height = image_size(f, what)
        items.append(_item(os.path.splitext(os.path.basename(f))[0], f, width, height, [], [], [], f))
    return DetectionSet(root, what, "images", "all", [], items)
