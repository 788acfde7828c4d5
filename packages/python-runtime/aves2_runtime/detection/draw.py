"""Boxes drawn on an image (PIL): one colour per class, the class name and score above
the box, as the upstream test_objd's visualize_boxes_and_labels_on_image_array did."""

# tab10's colours
COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))


def colour(label):
    return COLOURS[label % len(COLOURS)]


def draw_boxes(image, boxes, width=None):
    """``image`` (PIL, RGB) with every box of ``boxes`` ([{"box": [x1, y1, x2, y2], "label": i,
    "class": name, "score": s}]) drawn on a copy."""
    from PIL import ImageDraw

    out = image.convert("RGB").copy()
    pen = ImageDraw.Draw(out)
    line = width or max(1, round(min(out.size) / 150))
    for b in boxes:
        x1, y1, x2, y2 = b["box"]
        c = colour(b["label"])
        pen.rectangle([x1, y1, max(x2 - 1, x1), max(y2 - 1, y1)], outline=c, width=line)
        text = f"{b['class']}: {round(100 * b['score'])}%"
        left, top, right, bottom = pen.textbbox((0, 0), text)
        tw, th = right - left, bottom - top
        ty = y1 - th - 4 if y1 - th - 4 >= 0 else y1 + line
        pen.rectangle([x1, ty, x1 + tw + 4, ty + th + 4], fill=c)
        pen.text((x1 + 2, ty + 2 - top), text, fill=(255, 255, 255))
    return out
