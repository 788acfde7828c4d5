"""aves2_runtime.ocr.charset and data: the upstream's char_dict.json / ord_map.json, and
sample.txt read and checked line by line."""

import json
import os
import tempfile
import unittest

from PIL import Image

from aves2_runtime.ocr import charset as charsets
from aves2_runtime.ocr import data
from aves2_runtime.problems import Problem


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def image(path, width=40):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.new("L", (width, 32), 255).save(path)


class CharsetTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def test_classes_start_after_the_blank(self):
        c = charsets.Charset("0123")
        self.assertEqual((c.num_classes, c.encode("30"), c.decode([4, 1, 0, 9])), (5, [4, 1], "30"))
        self.assertEqual(c.missing("12x3y2x"), ["x", "y"])

    def test_writes_the_upstreams_format(self):
        charsets.write(self.dir, charsets.Charset(["b", "a", " "]))
        with open(os.path.join(self.dir, "char_dict.json")) as f:
            text = f.read()
        # establish_char_dict.py: json.dump(sort_keys=True, indent=4)
        self.assertEqual(text, json.dumps({"98_ord": "b", "97_ord": "a", "32_ord": " "}, sort_keys=True, indent=4))
        with open(os.path.join(self.dir, "ord_map.json")) as f:
            self.assertEqual(json.load(f), {"0_index": "98", "1_index": "97", "2_index": "32", "98_ord": "0", "97_ord": "1", "32_ord": "2"})
        # and reads it back in ord_map.json's order, from the folder or the file
        self.assertEqual(charsets.read(self.dir).chars, ["b", "a", " "])
        self.assertEqual(charsets.read(os.path.join(self.dir, "char_dict.json")).chars, ["b", "a", " "])

    def test_without_ord_map_characters_go_by_code_point(self):
        write(os.path.join(self.dir, "char_dict.json"), json.dumps({"66_ord": "B", "49_ord": "1", "233_ord": "\u00e9"}))
        self.assertEqual(charsets.read(self.dir).text, "1B\u00e9")

    def test_reads_the_older_plain_ord_keys(self):
        # the upstream's data/char_dict/char_dict.json and ord_map.json
        write(os.path.join(self.dir, "char_dict.json"), json.dumps({"40": "(", "75": "K"}))
        write(os.path.join(self.dir, "ord_map.json"), json.dumps({"0": "75", "1": "40"}))
        self.assertEqual(charsets.read(self.dir).chars, ["K", "("])

    def test_an_ord_map_from_elsewhere(self):
        write(os.path.join(self.dir, "dict", "char_dict.json"), json.dumps({"65_ord": "A", "66_ord": "B"}))
        write(os.path.join(self.dir, "map", "ord_map.json"), json.dumps({"0_index": "66", "1_index": "65"}))
        self.assertEqual(charsets.read(os.path.join(self.dir, "dict"), os.path.join(self.dir, "map")).chars, ["B", "A"])

    def test_bad_dictionaries_are_one_problem(self):
        cases = [
            ({"65_ord": "AB"}, 'maps to "AB": one character is expected'),
            ({"66_ord": "A"}, "whose code point is 65"),
            ({"x_ord": "A"}, 'key "x_ord" is not "<number>_ord"'),
            ({}, "is empty"),
        ]
        for content, message in cases:
            write(os.path.join(self.dir, "char_dict.json"), json.dumps(content))
            with self.assertRaisesRegex(Problem, message):
                charsets.read(self.dir)
        write(os.path.join(self.dir, "char_dict.json"), "{not json")
        with self.assertRaisesRegex(Problem, "cannot read character dictionary"):
            charsets.read(self.dir)
        with self.assertRaisesRegex(Problem, "has no char_dict.json"):
            charsets.read(os.path.join(self.dir, "nowhere"))

    def test_an_ord_map_that_does_not_fit(self):
        write(os.path.join(self.dir, "char_dict.json"), json.dumps({"65_ord": "A", "66_ord": "B"}))
        write(os.path.join(self.dir, "ord_map.json"), json.dumps({"0_index": "65", "1_index": "67"}))
        with self.assertRaisesRegex(Problem, "does not index the characters of char_dict.json; it has code points char_dict.json lacks: \\[67\\]"):
            charsets.read(self.dir)

    def test_from_labels(self):
        self.assertEqual(charsets.Charset.from_labels(["B2", "A1", "2A"]).text, "12AB")


class SampleTxtTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.train = os.path.join(self.dir, "Train")

    def test_line_formats(self):
        self.assertEqual(data.parse_line("images/0001.png 3A7K\n"), ("images/0001.png", "3A7K"))
        self.assertEqual(data.parse_line("a.png\tHELLO WORLD \r\n"), ("a.png", "HELLO WORLD"))
        # the upstream parser's ICDAR form: name, "label"
        self.assertEqual(data.parse_line('word_1.png, "Tiredness"\n'), ("word_1.png", "Tiredness"))
        self.assertEqual(data.parse_line('word_2.png, "a, b"'), ("word_2.png", "a, b"))
        self.assertIsNone(data.parse_line("   \n"))
        with self.assertRaisesRegex(ValueError, 'has no label'):
            data.parse_line("lonely.png")
        with self.assertRaisesRegex(ValueError, "empty label"):
            data.parse_line('w.png, ""')

    def test_paths_relative_to_the_file_or_its_images_folder(self):
        image(os.path.join(self.train, "images", "a.png"))
        image(os.path.join(self.train, "b.png"))
        image(os.path.join(self.train, "images", "c.png"))
        write(os.path.join(self.train, "sample.txt"), "images/a.png 12\n\nb.png 34\nc.png, \"56\"\n")
        split = data.open_split(self.dir, "Train", required=True)
        self.assertEqual([(os.path.relpath(s.path, self.train), s.label, s.line) for s in split.samples],
                         [("images/a.png", "12", 1), ("b.png", "34", 3), ("images/c.png", "56", 4)])
        self.assertEqual(split.name, "Train")

    def test_a_missing_image_names_its_line(self):
        image(os.path.join(self.train, "a.png"))
        write(os.path.join(self.train, "sample.txt"), "a.png 12\nmissing.png 34\n")
        with self.assertRaises(Problem) as e:
            data.open_split(self.dir, "Train", required=True)
        self.assertEqual((e.exception.path, e.exception.line), (os.path.join(self.train, "sample.txt"), 2))
        self.assertIn("image missing.png not found", e.exception.message)

    def test_an_empty_sample_txt(self):
        write(os.path.join(self.train, "sample.txt"), "\n  \n")
        with self.assertRaisesRegex(Problem, 'sample.txt: is empty: no "path label" lines'):
            data.open_split(self.dir, "Train", required=True)

    def test_a_missing_split(self):
        with self.assertRaisesRegex(Problem, "has no Train/sample.txt"):
            data.open_split(self.dir, "Train", required=True)
        self.assertIsNone(data.open_split(self.dir, "Validation", required=False))

    def test_split_names_in_any_case(self):
        image(os.path.join(self.dir, "validation", "a.png"))
        write(os.path.join(self.dir, "validation", "sample.txt"), "a.png 1\n")
        self.assertEqual(len(data.open_split(self.dir, "Validation", required=True).samples), 1)

    def test_labels_outside_the_dictionary(self):
        for name in ("a.png", "b.png", "c.png"):
            image(os.path.join(self.train, name))
        write(os.path.join(self.train, "sample.txt"), "a.png 12\nb.png 1#2\nc.png #\n")
        split = data.open_split(self.dir, "Train", required=True)
        with self.assertRaises(Problem) as e:
            data.check_labels(split, charsets.Charset("0123456789"), "char_dict.json")
        self.assertEqual(e.exception.line, 2)
        self.assertEqual(e.exception.message, 'label "1#2" has "#" (U+0023), not in char_dict.json; 1 more line too')

    def test_unreadable_images(self):
        write(os.path.join(self.train, "a.png"), "not an image")
        write(os.path.join(self.train, "sample.txt"), "a.png 1\n")
        split = data.open_split(self.dir, "Train", required=True)
        with self.assertRaisesRegex(Problem, "image a.png cannot be read") as e:
            data.check_images(split)
        self.assertEqual(e.exception.line, 1)

    def test_holdout_is_seeded(self):
        for i in range(10):
            image(os.path.join(self.train, f"{i}.png"))
        write(os.path.join(self.train, "sample.txt"), "".join(f"{i}.png {i}\n" for i in range(10)))
        split = data.open_split(self.dir, "Train", required=True)
        train, val = data.holdout(split, 0.2, 7)
        self.assertEqual((len(train.samples), len(val.samples)), (8, 2))
        self.assertEqual(val, data.holdout(split, 0.2, 7)[1])

    def test_what_evaluate_and_predict_read(self):
        image(os.path.join(self.dir, "Test", "images", "t.png"))
        write(os.path.join(self.dir, "Test", "sample.txt"), "images/t.png 9\n")
        self.assertEqual(data.open_for_evaluation(self.dir).name, "Test")
        self.assertEqual(data.open_for_prediction(self.dir).labels(), ["9"])
        loose = os.path.join(self.dir, "loose")
        image(os.path.join(loose, "b.png"))
        image(os.path.join(loose, "a.jpg"))
        write(os.path.join(loose, "notes.txt"), "x")
        split = data.open_for_prediction(loose)
        self.assertEqual([(s.name, s.label) for s in split.samples], [("a.jpg", None), ("b.png", None)])
        self.assertEqual(len(data.open_for_prediction(os.path.join(loose, "b.png")).samples), 1)
        with self.assertRaisesRegex(Problem, "has no images"):
            data.open_for_prediction(tempfile.mkdtemp())
        with self.assertRaisesRegex(Problem, "has no Test/sample.txt, Validation/sample.txt or sample.txt"):
            data.open_for_evaluation(loose)


if __name__ == "__main__":
    unittest.main()
