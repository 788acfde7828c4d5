"""JSON-safe, atomic file writes.

A killed run leaves the previous file or none, never half of one.
"""

import json
import math
import os


def to_jsonable(value):
    """Plain JSON data: numpy/torch scalars become numbers, NaN/inf become None.

    ``json.dumps`` would otherwise write NaN/Infinity, which is not JSON.
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    if hasattr(value, "item") and callable(value.item):  # numpy / torch scalar
        return to_jsonable(value.item())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


def atomic_write(path, write):
    """Call ``write(tmp_path)`` then rename the temp file over ``path``.

    The temp file sits in the same directory, so the rename is atomic.
    """
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def atomic_write_text(path, text):
    def write(tmp):
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    atomic_write(path, write)


def atomic_write_json(path, data):
    text = json.dumps(to_jsonable(data), indent=2, allow_nan=False)
    atomic_write_text(path, text + "\n")
