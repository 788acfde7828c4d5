"""Text recognition metrics, pure Python.

- sequence accuracy: the share of lines recognised exactly (the upstream's "full
  sequence" accuracy);
- CER, the character error rate: total edit distance (insertions, deletions,
  substitutions) over the total length of the reference labels;
- per-character accuracy, as the upstream's ``evaluation_tools.compute_accuracy(mode=
  'per_char')``: per line, the positions where the prediction has the label's character,
  over the label's length, averaged over the lines.
"""


def edit_distance(reference, hypothesis):
    """Levenshtein distance between two strings (or sequences)."""
    a, b = reference, hypothesis
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def sequence_accuracy(references, hypotheses):
    _same_length(references, hypotheses)
    if not references:
        return 0.0
    return sum(r == h for r, h in zip(references, hypotheses)) / len(references)


def cer(references, hypotheses):
    """Sum of edit distances / sum of reference lengths (0.0 when both are empty)."""
    _same_length(references, hypotheses)
    edits = sum(edit_distance(r, h) for r, h in zip(references, hypotheses))
    chars = sum(len(r) for r in references)
    if chars == 0:
        return 0.0 if edits == 0 else float(edits)
    return edits / chars


def per_char_accuracy(references, hypotheses):
    """The upstream's per-char accuracy: position-wise matches over the label length,
    averaged over lines (an empty label scores 1 when the prediction is empty too)."""
    _same_length(references, hypotheses)
    if not references:
        return 0.0
    scores = []
    for r, h in zip(references, hypotheses):
        if not r:
            scores.append(1.0 if not h else 0.0)
        else:
            scores.append(sum(1 for i, c in enumerate(r) if i < len(h) and h[i] == c) / len(r))
    return sum(scores) / len(scores)


def summary(references, hypotheses):
    """Every metric at once, plus the counts behind them."""
    distances = [edit_distance(r, h) for r, h in zip(references, hypotheses)]
    chars = sum(len(r) for r in references)
    return {
        "sequence_accuracy": sequence_accuracy(references, hypotheses),
        "cer": cer(references, hypotheses),
        "per_char_accuracy": per_char_accuracy(references, hypotheses),
        "lines": len(references),
        "correct_lines": sum(r == h for r, h in zip(references, hypotheses)),
        "reference_characters": chars,
        "edit_distance": sum(distances),
    }


def _same_length(references, hypotheses):
    if len(references) != len(hypotheses):
        raise ValueError(f"{len(references)} references but {len(hypotheses)} hypotheses")
