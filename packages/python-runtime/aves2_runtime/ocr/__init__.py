"""Text recognition (OCR): a CRNN (conv stack → BiLSTM → CTC) over text-line images, the
family of the crnn-ocr, ocr-evaluate and ocr-predict components (upstream
cv/ocr_recognition/CRNN: tools/train_shadownet.py, evaluate_shadownet.py, test_shadownet.py).

- ``charset``: the character dictionary, char_dict.json / ord_map.json in the upstream's
  format, or built from the labels; index 0 is the CTC blank.
- ``data``: {Train,Validation,Test}/sample.txt ("path label", or the upstream parser's
  ``name, "label"``) checked line by line: missing images, characters the dictionary
  lacks, empty files are one ``Problem`` each.
- ``model``: the CRNN; ``decoding``: greedy CTC; ``metrics``: sequence accuracy, CER and
  the upstream's per-character accuracy (pure Python).
- ``batches``: height-normalised images, width padded per batch, on the device.
- ``train`` (the training session, on ``vision.loop``'s generic epoch loop and
  ``vision.training.Trainer``), ``recognize`` (evaluate and predict), ``checkpoint``.

torch is imported by the modules that need it; ``charset``, ``data`` (less reading
pixels), ``decoding`` and ``metrics`` need only the standard library.
"""
