"""Read text lines with a CRNN text recogniser: the upstream AVES2 cv/ocr_recognition/CRNN
component's recognition entry (``python3 tools/test_shadownet.py``), its argument names,
on PyTorch.

    python3 tools/test_shadownet.py --image_path DIR --model_save_dir DIR
        [--char_dict_path DIR] [--ord_map_dict_path DIR] [--result_dir DIR]

image_path: a folder of images (as upstream), one image, or a folder with a sample.txt
(then its labels score the predictions); model_save_dir: crnn-ocr's.
``aves2_runtime.ocr.recognize`` reads the lines.
"""

import os
import sys

# the component's folder, where the runner puts aves2_runtime (the upstream appended the cwd)
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from aves2_runtime.ocr import recognize  # noqa: E402

if __name__ == "__main__":
    sys.exit(recognize.predict_main("Recognise text lines with a CRNN (upstream cv/ocr_recognition/CRNN, tools/test_shadownet.py)."))
