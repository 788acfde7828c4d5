"""Train a CRNN text recogniser: the upstream AVES2 cv/ocr_recognition/CRNN component's
training entry (``python3 tools/train_shadownet.py``), its argument names, on PyTorch.

    python3 tools/train_shadownet.py --dataset_dir DIR --model_save_dir DIR
        [--char_dict_path DIR] [--ord_map_dict_path DIR] [--weights_path DIR]
        [--tboard_save_dir DIR] [--decode_outputs 0] [--epochs 50] [--batch_size 32] ...

dataset_dir is the upstream layout: Train/ and Validation/ sample.txt ("path label"
lines) with their images. The run (data checks, CTC training on the shared epoch loop,
checkpoints, resume, DDP, AMP) is ``aves2_runtime.ocr.train``'s.
"""

import os
import sys

# the component's folder, where the runner puts aves2_runtime (the upstream appended the cwd)
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from aves2_runtime.ocr import train  # noqa: E402

if __name__ == "__main__":
    sys.exit(train.main("Train a CRNN text recogniser (upstream cv/ocr_recognition/CRNN, tools/train_shadownet.py)."))
