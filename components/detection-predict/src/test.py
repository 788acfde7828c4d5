"""Detect objects: the upstream AVES2 cv/object_detection/test_objd entry (``test.py``
behind its cmd.sh), its arguments, on torchvision.

    python3 test.py --data_dir DIR --model_dir DIR --output_path DIR
        [--min_score_thresh 0.5] [--split val] [--batch_size 8]

--model_dir is object-detection's output_path (model.pt). For every image (a dataset's
split, as the upstream's ImageSets val list, or a folder of images): <name>.json with
the boxes scoring at least min_score_thresh, and the image with them drawn
(``aves2_runtime.detection.predict``).
"""

import sys

from aves2_runtime.detection import predict

if __name__ == "__main__":
    sys.exit(predict.main("Detect objects (upstream cv/object_detection/test_objd)."))
