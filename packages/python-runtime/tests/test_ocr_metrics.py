"""aves2_runtime.ocr.metrics and decoding: hand-computed cases."""

import unittest

from aves2_runtime.ocr import decoding, metrics


class EditDistanceTest(unittest.TestCase):
    def test_hand_computed(self):
        self.assertEqual(metrics.edit_distance("", ""), 0)
        self.assertEqual(metrics.edit_distance("abc", ""), 3)
        self.assertEqual(metrics.edit_distance("", "ab"), 2)
        self.assertEqual(metrics.edit_distance("kitten", "sitting"), 3)  # k→s, e→i, +g
        self.assertEqual(metrics.edit_distance("12345", "1245"), 1)  # one deletion
        self.assertEqual(metrics.edit_distance("AB", "BA"), 2)  # no transpositions in Levenshtein
        self.assertEqual(metrics.edit_distance("flaw", "lawn"), 2)

    def test_symmetric(self):
        self.assertEqual(metrics.edit_distance("sitting", "kitten"), 3)


class RecognitionMetricsTest(unittest.TestCase):
    refs = ["3A7K", "1234", "HELLO"]
    hyps = ["3A7K", "124", "HELL0"]

    def test_sequence_accuracy(self):
        self.assertAlmostEqual(metrics.sequence_accuracy(self.refs, self.hyps), 1 / 3)
        self.assertEqual(metrics.sequence_accuracy([], []), 0.0)

    def test_cer_is_edits_over_reference_characters(self):
        # 0 + 1 (a deletion) + 1 (O→0) edits over 4 + 4 + 5 characters
        self.assertAlmostEqual(metrics.cer(self.refs, self.hyps), 2 / 13)
        self.assertEqual(metrics.cer(["AB"], ["ABCD"]), 1.0)  # two insertions over two characters
        self.assertEqual(metrics.cer([""], [""]), 0.0)

    def test_per_char_accuracy_is_the_upstreams(self):
        # position-wise: 4/4, "124" vs "1234" → 1,2 right, 4≠3 → 2/4, "HELL0" vs "HELLO" → 4/5
        self.assertAlmostEqual(metrics.per_char_accuracy(self.refs, self.hyps), (1 + 0.5 + 0.8) / 3)
        self.assertEqual(metrics.per_char_accuracy([""], [""]), 1.0)

    def test_summary(self):
        s = metrics.summary(self.refs, self.hyps)
        self.assertEqual((s["lines"], s["correct_lines"], s["reference_characters"], s["edit_distance"]), (3, 1, 13, 2))

    def test_lengths_must_match(self):
        with self.assertRaises(ValueError):
            metrics.cer(["a"], [])


class GreedyDecodingTest(unittest.TestCase):
    def test_collapse_merges_repeats_and_drops_blanks(self):
        self.assertEqual(decoding.collapse([0, 3, 3, 0, 3, 5, 5, 0]), [3, 3, 5])
        self.assertEqual(decoding.collapse([0, 0, 0]), [])
        self.assertEqual(decoding.collapse([1, 1, 1]), [1])

    def test_greedy_uses_each_lines_own_length(self):
        import torch

        # T=4, B=2, K=3: line 0's path 1,1,0,2 → [1, 2]; line 1's path 2,0,2,1 cut to 3 steps → [2, 2]
        best = torch.tensor([[1, 2], [1, 0], [0, 2], [2, 1]])
        log_probs = torch.nn.functional.one_hot(best, 3).float().log()
        self.assertEqual(decoding.greedy(log_probs, torch.tensor([4, 3])), [[1, 2], [2, 2]])

    def test_greedy_on_nested_lists(self):
        # [T=2][B=1][K=3]
        self.assertEqual(decoding.greedy([[[0.1, 0.8, 0.1]], [[0.9, 0.05, 0.05]]], [2]), [[1]])


if __name__ == "__main__":
    unittest.main()
