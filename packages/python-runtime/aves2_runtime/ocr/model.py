"""The CRNN (Shi et al. 2015, the upstream's "ShadowNet"): seven 3x3 convolutions with
batch norm and ReLU, max-pooled 2x2, 2x2, 2x1, 2x1 (height / 16, width / 4), a last
convolution that collapses the remaining height, a stacked bidirectional LSTM over the
columns, and a linear layer to the character classes + the CTC blank (class 0).

The convolution widths are the upstream's (64, 128, 256, 256, 512, 512, 512) scaled by
``cnn_width / 64``: ``cnn_width`` 64 is the upstream's net, 16 a small one for CPUs.
Inputs are grayscale, ``image_height`` high (a multiple of 16), any width: the net emits
one time step per 4 columns, and the LSTM reads each line's own steps only (packed): the
padding of a line shorter than its batch reaches its outputs only through the
convolutions' borders, not through the backward recurrence from the batch's end.
"""

import torch
from torch import nn

STRIDE = 4  # columns per time step


def steps(widths):
    """Time steps the net emits for images ``widths`` columns wide."""
    return widths // STRIDE


def _conv(cin, cout):
    return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class CRNN(nn.Module):
    def __init__(self, num_classes, image_height=32, cnn_width=64, hidden_units=256, hidden_layers=2):
        super().__init__()
        if image_height % 16:
            raise ValueError(f"image_height {image_height} is not a multiple of 16")
        w = [cnn_width * m // 64 for m in (64, 128, 256, 256, 512, 512, 512)]
        self.cnn = nn.Sequential(
            *_conv(1, w[0]), nn.MaxPool2d(2, 2),
            *_conv(w[0], w[1]), nn.MaxPool2d(2, 2),
            *_conv(w[1], w[2]), *_conv(w[2], w[3]), nn.MaxPool2d((2, 1), (2, 1)),
            *_conv(w[3], w[4]), *_conv(w[4], w[5]), nn.MaxPool2d((2, 1), (2, 1)),
            # the remaining image_height / 16 rows → one
            nn.Conv2d(w[5], w[6], (image_height // 16, 1), bias=False), nn.BatchNorm2d(w[6]), nn.ReLU(inplace=True),
        )
        self.rnn = nn.LSTM(w[6], hidden_units, num_layers=hidden_layers, bidirectional=True)
        self.fc = nn.Linear(2 * hidden_units, num_classes)
        for name, value in self.rnn.named_parameters():
            if name.startswith("bias_ih"):  # forget gates open at the start: gradients reach back sooner
                with torch.no_grad():
                    value[hidden_units : 2 * hidden_units].fill_(1.0)

    def forward(self, images, widths=None):
        """``images`` [B, 1, H, W] → log-probabilities [T, B, classes], T = W / 4.
        ``widths`` [B]: each image's own width before padding (default: W)."""
        features = self.cnn(images).squeeze(2).permute(2, 0, 1)  # [T, B, C]
        if widths is None:
            out, _ = self.rnn(features)
        else:
            lengths = steps(widths).clamp(min=1, max=features.shape[0]).cpu()
            packed = nn.utils.rnn.pack_padded_sequence(features, lengths, enforce_sorted=False)
            out, _ = self.rnn(packed)
            out, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=features.shape[0])
        return self.fc(out).log_softmax(-1)


def build(num_classes, args):
    return CRNN(num_classes, args.image_height, args.cnn_width, args.hidden_units, args.hidden_layers)


def describe(args):
    return (f"CRNN: 7 convolutions (widths {args.cnn_width}..{args.cnn_width * 8}), {args.hidden_layers}-layer BiLSTM "
            f"of {args.hidden_units} units, CTC; grayscale lines {args.image_height} px high, at most {args.max_width} px wide")
