"""Greedy CTC decoding: the best class at every time step, repeats merged, blanks dropped.

(The upstream decoded with ``tf.nn.ctc_beam_search_decoder(merge_repeated=False)``; greedy
best-path decoding is the usual choice for CRNN and needs no beam.)
"""

BLANK = 0


def collapse(path, blank=BLANK):
    """Class indices of one line's best path → the label's indices: ``[0, 3, 3, 0, 3, 5, 5]``
    → ``[3, 3, 5]`` (a blank separates two equal characters)."""
    out, previous = [], None
    for k in path:
        if k != previous and k != blank:
            out.append(k)
        previous = k
    return out


def greedy(log_probs, lengths, blank=BLANK):
    """``log_probs`` [T, B, K] (a torch tensor or a nested list), ``lengths`` [B] valid
    time steps per line → one list of class indices per line."""
    if hasattr(log_probs, "argmax"):
        best = log_probs.argmax(-1).t().tolist()  # [B, T]
    else:
        best = [[max(range(len(step[b])), key=step[b].__getitem__) for step in log_probs] for b in range(len(log_probs[0]))]
    lengths = lengths.tolist() if hasattr(lengths, "tolist") else list(lengths)
    return [collapse(path[: int(n)], blank) for path, n in zip(best, lengths)]
