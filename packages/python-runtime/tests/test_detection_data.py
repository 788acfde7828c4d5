"""aves2_runtime.detection.data: the three layouts, box conversion, and one clear Problem
naming the file for each kind of bad data."""

import io
import json
import os
import shutil
import tempfile
import unittest

import numpy as np
from PIL import Image

from aves2_runtime.detection import data
from aves2_runtime.problems import Problem
from aves2_runtime.vision import tf_example, tfrecord


def jpeg(width=40, height=30):
    buf = io.BytesIO()
    Image.fromarray(np.full((height, width, 3), 120, dtype=np.uint8)).save(buf, format="JPEG")
    return buf.getvalue()


def voc_xml(name, objects, width=40, height=30):
    objs = "".join(
        f"<object><name>{c}</name><difficult>{int(d)}</difficult><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin><xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for c, b, d in ((o + (False,))[:3] for o in objects)
    )
    return f"<annotation><filename>{name}.jpg</filename><size><width>{width}</width><height>{height}</height><depth>3</depth></size>{objs}</annotation>"


def make_voc(root, train, val, label_map=None, main=True):
    """``train`` / ``val``: {id: [(class, (xmin, ymin, xmax, ymax)[, difficult])]}."""
    lists = os.path.join(root, "ImageSets", "Main") if main else os.path.join(root, "ImageSets")
    for d in ("JPEGImages", "Annotations", lists):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    for split, items in (("train", train), ("val", val)):
        with open(os.path.join(lists, f"{split}.txt"), "w") as f:
            f.write("".join(f"{i}\n" for i in items))
        for ident, objects in items.items():
            with open(os.path.join(root, "JPEGImages", f"{ident}.jpg"), "wb") as f:
                f.write(jpeg())
            with open(os.path.join(root, "Annotations", f"{ident}.xml"), "w") as f:
                f.write(voc_xml(ident, objects))
    if label_map:
        with open(os.path.join(root, "ImageSets", "label_map.pbtxt"), "w") as f:
            f.write("".join(f'item {{\n  id: {i}\n  name: "{c}"\n}}\n' for i, c in label_map))
    return root


GOOD = {"a": [("dog", (1, 1, 10, 10))], "b": [("cat", (5, 6, 40, 30)), ("dog", (2, 2, 3, 3), True)]}
VAL = {"c": [("cat", (1, 1, 20, 20))], "d": []}


class VocTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)

    def problem(self, split="train", classes=None):
        with self.assertRaises(Problem) as cm:
            data.open_split(self.root, split, "--tfrecords_dir", classes)
        return cm.exception

    def test_opens_and_converts_boxes(self):
        make_voc(self.root, GOOD, VAL)
        s = data.open_split(self.root, "train", "--tfrecords_dir")
        self.assertEqual((s.layout, s.classes, len(s)), ("Pascal VOC", ["cat", "dog"], 2))  # sorted names: no label map
        b = s.items[1]
        # VOC's 1-based inclusive (5, 6)-(40, 30) is [4, 5, 40, 30] in continuous pixels
        np.testing.assert_array_equal(b.boxes, [[4, 5, 40, 30], [1, 1, 3, 3]])
        self.assertEqual(b.labels.tolist(), [0, 1])
        self.assertEqual(b.difficult.tolist(), [False, True])
        v = data.open_split(self.root, "val", "--tfrecords_dir", s.classes)
        self.assertEqual(v.describe(), "Pascal VOC, val: 2 images, 1 objects (cat 1, dog 0), 1 without objects")

    def test_label_map_order_and_the_upstream_list_place(self):
        make_voc(self.root, GOOD, VAL, label_map=[(2, "cat"), (1, "dog")], main=False)
        s = data.open_split(self.root, "train", "x")
        self.assertEqual(s.classes, ["dog", "cat"])
        self.assertEqual(s.items[0].labels.tolist(), [0])

    def test_a_listed_image_that_is_missing(self):
        make_voc(self.root, GOOD, VAL)
        os.remove(os.path.join(self.root, "JPEGImages", "b.jpg"))
        p = self.problem()
        self.assertEqual((p.path, p.line), (os.path.join(self.root, "ImageSets", "Main", "train.txt"), 2))
        self.assertIn("image b: no JPEGImages/b.jpg", p.message)

    def test_a_missing_annotation(self):
        make_voc(self.root, GOOD, VAL)
        os.remove(os.path.join(self.root, "Annotations", "c.xml"))
        p = self.problem("val", ["cat", "dog"])
        self.assertIn("image c: no annotation Annotations/c.xml", str(p))

    def test_an_empty_annotation_file(self):
        make_voc(self.root, GOOD, VAL)
        open(os.path.join(self.root, "Annotations", "a.xml"), "w").close()
        p = self.problem()
        self.assertEqual(p.path, os.path.join(self.root, "Annotations", "a.xml"))
        self.assertIn("is empty", p.message)

    def test_an_unknown_class(self):
        make_voc(self.root, GOOD, {"c": [("horse", (1, 1, 5, 5))]})
        p = self.problem("val", ["cat", "dog"])
        self.assertEqual(p.path, os.path.join(self.root, "Annotations", "c.xml"))
        self.assertEqual(p.message, 'object 1 (horse): unknown class "horse"')
        self.assertIn("cat, dog", p.hint)

    def test_swapped_corners(self):
        make_voc(self.root, {"a": [("dog", (9, 1, 3, 10))]}, VAL)
        p = self.problem()
        self.assertEqual(str(p), f"{self.root}/Annotations/a.xml: object 1 (dog): xmax < xmin (3 < 9) (the corners are swapped)")

    def test_a_box_outside_the_image(self):
        make_voc(self.root, {"a": [("dog", (1, 1, 41, 10))]}, VAL)
        self.assertIn("object 1 (dog): the box (1, 1, 41, 10) is outside the 40x30 image", str(self.problem()))

    def test_no_lists(self):
        make_voc(self.root, GOOD, VAL)
        os.remove(os.path.join(self.root, "ImageSets", "Main", "val.txt"))
        self.assertIn("no val list", str(self.problem("val", ["cat", "dog"])))

    def test_not_a_dataset(self):
        p = self.problem()
        self.assertIn("holds no Pascal VOC folder", p.message)


class CocoTest(unittest.TestCase):
    def setUp(self):
        self.root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.root)
        os.makedirs(os.path.join(self.root, "annotations"))
        os.makedirs(os.path.join(self.root, "images"))
        with open(os.path.join(self.root, "images", "x.jpg"), "wb") as f:
            f.write(jpeg())

    def write(self, annotations, split="train"):
        path = os.path.join(self.root, "annotations", f"instances_{split}2017.json")
        with open(path, "w") as f:
            json.dump({"images": [{"id": 7, "file_name": "x.jpg", "width": 40, "height": 30}], "annotations": annotations,
                       "categories": [{"id": 3, "name": "cat"}, {"id": 1, "name": "dog"}]}, f)
        return path

    def test_opens(self):
        self.write([{"id": 1, "image_id": 7, "category_id": 3, "bbox": [2, 3, 10, 5]}, {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 4, 4], "iscrowd": 1}])
        s = data.open_split(self.root, "train", "x")
        self.assertEqual((s.layout, s.classes), ("COCO JSON", ["dog", "cat"]))  # category id order
        np.testing.assert_array_equal(s.items[0].boxes, [[2, 3, 12, 8], [0, 0, 4, 4]])
        self.assertEqual(s.items[0].labels.tolist(), [1, 0])
        self.assertEqual(s.items[0].difficult.tolist(), [False, True])

    def test_bad_boxes_and_categories(self):
        path = self.write([{"id": 5, "image_id": 7, "category_id": 9, "bbox": [0, 0, 4, 4]}])
        with self.assertRaises(Problem) as cm:
            data.open_split(self.root, "train", "x")
        self.assertEqual((cm.exception.path, cm.exception.message), (path, "annotation 5: unknown category_id 9"))
        self.write([{"id": 6, "image_id": 7, "category_id": 1, "bbox": [30, 0, 20, 4]}])
        with self.assertRaisesRegex(Problem, r"annotation 6 \(dog\) of x.jpg: the box \(30, 0, 50, 4\) is outside the 40x30 image"):
            data.open_split(self.root, "train", "x")
        self.write([{"id": 8, "image_id": 7, "category_id": 1, "bbox": [10, 0, -4, 4]}])
        with self.assertRaisesRegex(Problem, r"annotation 8 \(dog\) of x.jpg: xmax < xmin \(6 < 10\)"):
            data.open_split(self.root, "train", "x")

    def test_empty_json(self):
        open(os.path.join(self.root, "annotations", "instances_train.json"), "w").close()
        with self.assertRaisesRegex(Problem, "instances_train.json: is empty"):
            data.open_split(self.root, "train", "x")


class RecordsTest(unittest.TestCase):
    def test_the_upstream_create_tfrecord_objd_output(self):
        root = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, root)
        example = tf_example.encode_example({
            "image/encoded": jpeg(), "image/filename": b"p.jpg", "image/width": 40, "image/height": 30,
            "image/object/bbox/xmin": tf_example.Feature("float", [0.25]), "image/object/bbox/xmax": tf_example.Feature("float", [0.75]),
            "image/object/bbox/ymin": tf_example.Feature("float", [0.0]), "image/object/bbox/ymax": tf_example.Feature("float", [0.5]),
            "image/object/class/text": [b"cat"], "image/object/class/label": [2],
        })
        tfrecord.write_records(os.path.join(root, "val.tfrecords"), [example])
        os.makedirs(os.path.join(root, "ImageSets"))
        with open(os.path.join(root, "ImageSets", "label_map.pbtxt"), "w") as f:
            f.write("item { id: 1 name: 'dog' }\nitem { id: 2 name: 'cat' }\n")
        s = data.open_split(root, "val", "x")
        self.assertEqual((s.layout, s.classes, s.items[0].name), ("TFRecord", ["dog", "cat"], "p.jpg"))
        np.testing.assert_allclose(s.items[0].boxes, [[10, 0, 30, 15]])
        self.assertEqual(s.items[0].labels.tolist(), [1])
        self.assertEqual(s.read(0)[:2], b"\xff\xd8")


class LabelMapTest(unittest.TestCase):
    def test_bad_label_maps(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "label_map.pbtxt")
            for text, message in (("", "has no item"), ("item { id: 1 }", "without an id or a name"), ("item { id: 1 name: 'a' }\nitem { id: 2 name: 'a' }", "names a more than once")):
                with open(path, "w") as f:
                    f.write(text)
                with self.assertRaisesRegex(Problem, message):
                    data.read_label_map(path)


if __name__ == "__main__":
    unittest.main()
