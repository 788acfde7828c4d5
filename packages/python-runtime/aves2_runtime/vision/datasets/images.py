"""Encoded images: the extensions taken as images, decoding to RGB, and ``ImageProblem``, the ``Problem`` that
carries an unreadable image out of a DataLoader worker.

Also the short phrases (``preview`` of names, counted nouns) that the messages
and ``describe()`` lines of every layout use.
"""

import io

from PIL import Image

from ...problems import Problem

#: torchvision's ImageFolder extensions (compared lower-case).
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def preview(names, limit=6):
    """``a, b, c`` or the first ``limit`` names and ``...``, as the TS preflight shows class lists."""
    names = list(names)
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


def _count(n, one, many=None):
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


class ImageProblem(Problem):
    """A ``Problem`` that survives a DataLoader worker.

    torch re-raises a worker's exception as ``type(e)(traceback_text)``; built
    that way, this keeps just the original one-line problem from the text.
    """

    def __init__(self, path, message=None, line=None, hint=None):
        if message is None:
            path, message = None, _problem_line(str(path))
        super().__init__(path, message, line=line, hint=hint)

    @classmethod
    def of(cls, problem):
        return cls(problem.path, problem.message, problem.line, problem.hint)

    def __reduce__(self):
        return (ImageProblem, (self.path, self.message, self.line, self.hint))


def _problem_line(text):
    lines = [l for l in text.splitlines() if l.strip()]
    for line in reversed(lines):
        marker = "ImageProblem: "
        if marker in line:
            return line.split(marker, 1)[1]
    return lines[-1] if lines else text


def decode_image(data):
    """Encoded bytes → RGB PIL image (grayscale, palette and alpha become RGB)."""
    image = Image.open(io.BytesIO(data))
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    return image.convert("RGB")
