"""Score a CRNN text recogniser: the upstream AVES2 cv/ocr_recognition/CRNN component's
evaluation entry (``python3 tools/evaluate_shadownet.py``), its argument names, on PyTorch.

    python3 tools/evaluate_shadownet.py --dataset_dir DIR --model_save_dir DIR
        [--char_dict_path DIR] [--ord_map_dict_path DIR] [--result_dir DIR] [--visualize 0]

dataset_dir: the upstream layout (its Test/sample.txt, else Validation/), a folder with a
sample.txt, or the file; model_save_dir: crnn-ocr's. ``aves2_runtime.ocr.recognize``
reads the lines.
"""

import os
import sys

# the component's folder, where the runner puts aves2_runtime (the upstream appended the cwd)
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from aves2_runtime.ocr import recognize  # noqa: E402

if __name__ == "__main__":
    sys.exit(recognize.evaluate_main("Evaluate a CRNN text recogniser (upstream cv/ocr_recognition/CRNN, tools/evaluate_shadownet.py)."))
