"""``glassnet predict MODEL INPUT``: a model's outputs and predicted class for an image or array.

INPUT is one of:

* a PNG or JPEG image (read with Pillow, which ``pip install "glassnet[viz]"`` brings): made
  grayscale; a light background (the border brighter than mid-grey) is inverted, because MNIST
  digits are white on black; an image that is not 28x28 is cropped to its ink, scaled so its
  longer side is 20 pixels and centred in 28x28 by its centre of mass, as MNIST's digits were.
  A 28x28 image is used pixel for pixel (after the inversion, if any).
* a ``.npy`` array (read with ``allow_pickle=False``): one sample or ``(N, ...)`` samples.
* a ``.csv`` file of numbers: one sample per row (784 values), or one 28x28 grid.

Pixels are scaled as in training: 0-255 values are divided by 255; floats already in [0, 1] are
kept. The command prints what the model outputs, per class, without changing it: probabilities
for a softmax output, per-class scores for sigmoid outputs (seed 003's MLP: they need not sum
to 1), logits otherwise -- and the argmax, the predicted class. ``--softmax`` turns scores or
logits into probabilities (softmax over the outputs) for display; the argmax is the same.
"""

import os

from glassnet.backend import xp
from glassnet.commands.common import (
    UsageError,
    fit_to_input,
    input_shape_of,
    open_model,
    output_kind,
    print_json,
    require_path,
    scale_pixels,
    softmax,
)
from glassnet.errors import FileFormatError, GlassnetValueError

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
KINDS = {
    "probabilities": "probabilities (the outputs sum to 1)",
    "scores": "per-class scores in [0, 1] (e.g. sigmoid outputs; they need not sum to 1)",
    "logits": "logits (not normalized; --softmax shows them as probabilities)",
}
MISSING_PILLOW = ('reading images needs Pillow: pip install "glassnet[viz]" (or pip install '
                  'pillow), or pass the pixels as a .npy or .csv file')


def mnist_like(pixels):
    """A grayscale image (2-D array, 0-255, white digit on black) as a 28x28 MNIST digit.

    A 28x28 image is returned unchanged. Otherwise: crop to the ink (pixels above 10% of the
    maximum), scale the longer side to 20 pixels, and paste so the centre of mass lands at the
    centre of a black 28x28 image, as MNIST was made.

    Example:
        >>> import numpy as np
        >>> mnist_like(np.zeros((100, 60))).shape  # no ink: a black 28x28 image
        (28, 28)
    """
    pixels = xp.asarray(pixels, dtype=xp.float64)
    if pixels.shape == (28, 28):
        return pixels
    if not pixels.size or pixels.max() <= 0:
        return xp.zeros((28, 28))
    from PIL import Image  # resizing; read_image has already checked that Pillow is there

    ink = pixels > 0.1 * pixels.max()
    rows, cols = xp.nonzero(ink)
    crop = pixels[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    height, width = crop.shape
    scale = 20 / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.fromarray(crop.astype(xp.uint8)).resize(size, Image.Resampling.LANCZOS)
    small = xp.asarray(image, dtype=xp.float64)
    total = small.sum() or 1.0
    centre_y = (small.sum(axis=1) * xp.arange(small.shape[0])).sum() / total
    centre_x = (small.sum(axis=0) * xp.arange(small.shape[1])).sum() / total
    top = int(round(14 - centre_y))
    left = int(round(14 - centre_x))
    top = min(max(top, 0), 28 - small.shape[0])
    left = min(max(left, 0), 28 - small.shape[1])
    digit = xp.zeros((28, 28))
    digit[top:top + small.shape[0], left:left + small.shape[1]] = small
    return digit


def read_image(path):
    """An image file as MNIST-like 28x28 pixels (0-255); returns ``(pixels, notes)``."""
    try:
        from PIL import Image, UnidentifiedImageError
    except ImportError as error:
        raise ImportError(MISSING_PILLOW) from error
    try:
        with Image.open(path) as image:
            image.load()
            original = image.size
            gray = xp.asarray(image.convert("L"), dtype=xp.float64)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise FileFormatError(f"INPUT {path!r}: not a readable PNG/JPEG image ({error})") from None
    notes = [f"{original[0]}x{original[1]} image, converted to grayscale"]
    border = xp.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if border.mean() > 127:
        gray = 255 - gray
        notes.append("light background: inverted to a white digit on black, as in MNIST")
    if gray.shape != (28, 28):
        gray = mnist_like(gray)
        notes.append("cropped to the digit, scaled to 20 pixels and centred in 28x28 as MNIST")
    return gray, notes


def read_array(path):
    """A ``.npy`` or ``.csv`` file as an array; returns ``(array, notes)``."""
    extension = os.path.splitext(path)[1].lower()
    if extension == ".npy":
        with open(path, "rb") as stream:
            magic = stream.read(6)
        if magic != b"\x93NUMPY":
            raise FileFormatError(f"INPUT {path!r}: not a .npy file (expected it to start with "
                                  f"b'\\x93NUMPY', found {magic!r})")
        try:
            array = xp.load(path, allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            why = ("it holds Python objects, which glassnet never unpickles"
                   if "pickle" in str(error) else str(error))
            raise FileFormatError(
                f"INPUT {path!r}: not a readable .npy array of numbers ({why})") from None
        return array, [f".npy array of shape {array.shape}, dtype {array.dtype}"]
    try:
        array = xp.loadtxt(path, delimiter=",", ndmin=2, dtype=xp.float64)
    except ValueError as error:
        raise FileFormatError(
            f"INPUT {path!r}: expected comma-separated numbers only (no header), one sample "
            f"per row or one 28x28 grid ({error})") from None
    if array.shape == (28, 28):
        return array, ["CSV: one 28x28 grid"]
    return array, [f"CSV: {array.shape[0]} row(s) of {array.shape[1]} values"]


def read_input(path):
    """INPUT as an array of samples (not yet shaped for a model); returns ``(array, notes)``."""
    path = require_path(path, "INPUT")
    extension = os.path.splitext(path)[1].lower()
    if extension in IMAGE_EXTENSIONS:
        return read_image(path)
    if extension in (".npy", ".csv"):
        return read_array(path)
    raise UsageError(f"INPUT {path!r}: expected a .png, .jpg/.jpeg image, a .npy array or a "
                     f".csv file, received a {extension or 'file without extension'}")


def predict(args):
    """Run ``glassnet predict``; returns the result dict (also printed)."""
    if args.top is not None and args.top < 1:
        raise UsageError(f"--top must be at least 1, received {args.top}")
    model, model_file, _ = open_model(args.model, compile=False)
    array, notes = read_input(args.input)
    shape = input_shape_of(model, f"MODEL {model_file!r}")
    x = fit_to_input(array, shape, f"INPUT {args.input!r}")
    x, scaling = scale_pixels(x)
    notes.append(scaling)
    outputs = model.predict(x, verbose=0)
    if isinstance(outputs, (list, tuple, dict)) or outputs.ndim != 2:
        raise GlassnetValueError(f"MODEL {model_file!r}: expected one output of class scores "
                                 "(N, classes), received several or another shape")
    kind = output_kind(outputs)
    shown, shown_kind = outputs.astype(xp.float64), kind
    if args.softmax and kind != "probabilities":
        shown, shown_kind = softmax(outputs), "probabilities"
        notes.append(f"--softmax: the model's {kind} shown as probabilities (softmax)")
    elif args.softmax:
        notes.append("--softmax: the outputs already are probabilities; shown unchanged")
    predicted = outputs.argmax(axis=-1)
    top = min(args.top or outputs.shape[-1], outputs.shape[-1])
    samples = []
    for row, cls in zip(shown, predicted, strict=True):
        order = xp.argsort(-row, kind="stable")[:top]
        samples.append({"predicted_class": int(cls),
                        "top": [[int(k), float(row[k])] for k in order],
                        "outputs": [float(v) for v in row]})
    result = {"model": model_file, "input": args.input, "input_shape": list(x.shape[1:]),
              "output_kind": kind, "shown": shown_kind, "notes": notes, "samples": samples}
    if args.json:
        print_json(result)
        return result
    print(f"{args.input} -> {len(samples)} sample(s) shaped {tuple(x.shape[1:])} for "
          f"{model_file}")
    for note in notes:
        print(f"  - {note}")
    print(f"The model outputs {KINDS[kind]}; shown: {shown_kind}.")
    for index, sample in enumerate(samples):
        heading = f"sample {index}: " if len(samples) > 1 else ""
        print(f"{heading}predicted class {sample['predicted_class']}")
        for cls, value in sample["top"]:
            bar = "#" * int(round(40 * min(max(value, 0.0), 1.0))) if shown_kind != "logits" \
                else ""
            print(f"  {cls:>3}  {value:9.4f}  {bar}")
    return result
