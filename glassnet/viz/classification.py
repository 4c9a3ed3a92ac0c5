"""Classifier pictures: confusion matrix, decision regions, misclassified images."""

import math

from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.viz._base import new_figure, save_figure, to_numpy


def _labels(values, name):
    """Integer class labels from labels (n,), one-hot or probabilities (n, C) (argmax)."""
    values = to_numpy(values)
    if values.ndim == 2 and values.shape[1] > 1:
        return xp.argmax(values, axis=1)
    if values.ndim == 2:  # (n, 1): binary probabilities or labels
        values = values[:, 0]
        if values.dtype.kind == "f" and ((values > 0) & (values < 1)).any():
            return (values >= 0.5).astype(xp.int64)
    if values.ndim != 1:
        raise ShapeError(
            f"{name}: expected class labels of shape (n,) or one-hot/probabilities of shape "
            f"(n, classes), received shape {values.shape}"
        )
    if values.dtype.kind == "f" and not xp.all(values == xp.round(values)):
        raise GlassnetValueError(f"{name}: expected integer class labels, received {values[:5]}")
    return values.astype(xp.int64)


def confusion_matrix(y_true, y_pred, num_classes=None):
    """Counts of (true class, predicted class) pairs.

    M[i, j] = #{samples whose true class is i and predicted class is j}: rows are true
    classes, columns predictions, the diagonal holds the correct ones (Keras/scikit-learn
    convention).

    Args:
        y_true: true labels, shape (n,), or one-hot (n, C).
        y_pred: predicted labels (n,), or scores/probabilities (n, C) (the argmax is used).
        num_classes: C (default: 1 + the largest label seen).

    Returns:
        An int64 array of shape (C, C).

    Raises:
        ShapeError: y_true and y_pred have different numbers of samples.
        GlassnetValueError: a negative label, or one >= num_classes.

    Example:
        >>> confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2]).tolist()
        [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    """
    true = _labels(y_true, "y_true")
    pred = _labels(y_pred, "y_pred")
    if true.shape != pred.shape:
        raise ShapeError(
            f"y_true and y_pred: expected the same number of samples, received {true.size} "
            f"and {pred.size}"
        )
    largest = int(max(true.max(initial=-1), pred.max(initial=-1)))
    if num_classes is None:
        num_classes = largest + 1
    if min(true.min(initial=0), pred.min(initial=0)) < 0 or largest >= num_classes:
        raise GlassnetValueError(
            f"labels: expected integers in [0, {num_classes - 1}] (num_classes={num_classes}), "
            f"received values from {min(true.min(initial=0), pred.min(initial=0))} to {largest}"
        )
    counts = xp.bincount(true * num_classes + pred, minlength=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes).astype(xp.int64)


def plot_confusion_matrix(y_true, y_pred, class_names=None, normalize=False, path=None):
    """The confusion matrix as a heat map with the count in every cell.

    Args:
        y_true, y_pred: as for :func:`confusion_matrix`.
        class_names: optional names for the classes (default 0 .. C-1); its length sets C.
        normalize: divide each row by its total, so cells read as the fraction of class i
            predicted as j (the diagonal is the per-class recall).
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure (the matrix axes plus its colour bar).

    Example:
        >>> fig = plot_confusion_matrix([0, 1, 1], [0, 1, 0], class_names=["cat", "dog"])
        >>> fig.axes[0].get_title()
        'confusion matrix (accuracy 66.7%)'
    """
    num_classes = None if class_names is None else len(class_names)
    matrix = confusion_matrix(y_true, y_pred, num_classes)
    num_classes = matrix.shape[0]
    names = [str(c) for c in (class_names if class_names is not None else range(num_classes))]
    shown = matrix / xp.maximum(matrix.sum(axis=1, keepdims=True), 1) if normalize else matrix
    size = max(1.2 + 0.5 * num_classes, 3.2)  # room for the title with few classes
    fig, (ax,) = new_figure(1, panel_size=(size + 1.2, size))
    image = ax.imshow(shown, cmap="Blues", vmin=0)
    colorbar = fig.colorbar(image, ax=ax, shrink=0.8)
    if not normalize:  # counts: whole-number ticks on the colour bar
        from matplotlib.ticker import MaxNLocator

        colorbar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    threshold = shown.max() / 2 if shown.size else 0
    for i in range(num_classes):
        for j in range(num_classes):
            text = f"{shown[i, j]:.2f}" if normalize else f"{matrix[i, j]:d}"
            ax.text(j, i, text, ha="center", va="center", fontsize="small",
                    color="white" if shown[i, j] > threshold else "black")
    ax.set_xticks(xp.arange(num_classes), names, rotation=45 if num_classes > 10 else 0)
    ax.set_yticks(xp.arange(num_classes), names)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    accuracy = xp.trace(matrix) / max(matrix.sum(), 1)
    ax.set_title(f"confusion matrix (accuracy {100 * accuracy:.1f}%)")
    return save_figure(fig, path)


def _predict_labels(predict_fn, points):
    predict = getattr(predict_fn, "predict", predict_fn)
    scores = to_numpy(predict(points))
    if scores.ndim == 2 and scores.shape[1] > 1:
        return xp.argmax(scores, axis=1)
    scores = scores.reshape(-1)
    if scores.dtype.kind == "f" and not xp.all(scores == xp.round(scores)):
        return (scores >= 0.5).astype(xp.int64)  # binary probabilities
    return scores.astype(xp.int64)


def plot_decision_boundary(predict_fn, x, y, resolution=200, margin=0.5, title=None, path=None):
    """Decision regions of a 2-D classifier, with the data points on top.

    Args:
        predict_fn: a function (n, 2) array -> labels (n,), binary probabilities (n,) or (n, 1)
            (threshold 0.5), or scores (n, C) (argmax); or a model with ``.predict``.
        x: the points, shape (n, 2).
        y: their labels (n,) or one-hot (n, C).
        resolution: grid points per axis.
        margin: extra room around the data.
        title: optional axes title.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes with the filled regions and one scatter collection of the points.

    Example:
        >>> import numpy as np
        >>> x = np.array([[-1.0, 0.0], [1.0, 0.0]])
        >>> fig = plot_decision_boundary(lambda p: (p[:, 0] > 0).astype(int), x, [0, 1])
        >>> len(fig.axes)
        1
    """
    x = to_numpy(x, xp.float64)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ShapeError(f"x: expected 2-D points of shape (n, 2), received shape {x.shape}")
    labels = _labels(y, "y")
    (x0, y0), (x1, y1) = x.min(axis=0) - margin, x.max(axis=0) + margin
    gx, gy = xp.meshgrid(xp.linspace(x0, x1, int(resolution)), xp.linspace(y0, y1, int(resolution)))
    grid = xp.stack([gx.ravel(), gy.ravel()], axis=1).astype(xp.float32)
    regions = _predict_labels(predict_fn, grid).reshape(gx.shape)
    classes = int(max(regions.max(), labels.max())) + 1
    fig, (ax,) = new_figure(1, panel_size=(5.0, 4.2))
    cmap = "tab10" if classes <= 10 else "tab20"
    ax.contourf(gx, gy, regions, levels=xp.arange(classes + 1) - 0.5, cmap=cmap, alpha=0.3,
                vmin=-0.5, vmax=(10 if classes <= 10 else 20) - 0.5)
    ax.scatter(x[:, 0], x[:, 1], c=labels, cmap=cmap, vmin=-0.5,
               vmax=(10 if classes <= 10 else 20) - 0.5, s=14, edgecolors="black",
               linewidths=0.3)
    accuracy = float(xp.mean(_predict_labels(predict_fn, x.astype(xp.float32)) == labels))
    ax.set_title(title or f"decision regions (training accuracy {100 * accuracy:.1f}%)")
    ax.set_xlabel("x₁")
    ax.set_ylabel("x₂")
    return save_figure(fig, path)


def _as_images(images):
    images = to_numpy(images)
    if images.ndim == 2:  # flattened (n, h*w)
        side = math.isqrt(images.shape[1])
        if side * side != images.shape[1]:
            raise ShapeError(
                f"images: expected (n, h, w), (n, h, w, channels) or flattened square images "
                f"(n, h*w), received shape {images.shape}"
            )
        images = images.reshape(-1, side, side)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (3, 4):
        raise ShapeError(
            f"images: expected (n, h, w) or (n, h, w, channels), received shape {images.shape}"
        )
    return images


def plot_misclassified(images, y_true, y_pred, max_images=25, class_names=None, path=None):
    """A grid of the misclassified images (e.g. MNIST digits), titled "true t, pred p".

    Args:
        images: (n, h, w), (n, h, w, 1 or 3) or flattened square (n, h*w) images.
        y_true: true labels (n,) or one-hot (n, C).
        y_pred: predicted labels (n,) or scores (n, C).
        max_images: at most this many (the first ones in order).
        class_names: optional names for the titles.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes per misclassified image shown (a single message axes if none).

    Example:
        >>> import numpy as np
        >>> fig = plot_misclassified(np.zeros((3, 28, 28)), [1, 2, 3], [1, 0, 3])
        >>> fig.axes[0].get_title()
        'true 2, pred 0'
    """
    images = _as_images(images)
    true, pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if not (len(images) == true.size == pred.size):
        raise ShapeError(
            f"images, y_true, y_pred: expected the same number of samples, received "
            f"{len(images)}, {true.size} and {pred.size}"
        )
    wrong = xp.flatnonzero(true != pred)
    shown = wrong[: int(max_images)]
    name = (lambda c: str(class_names[c])) if class_names is not None else str
    if shown.size == 0:
        fig, (ax,) = new_figure(1, panel_size=(4.0, 1.5))
        ax.text(0.5, 0.5, f"no misclassified images among {true.size}", ha="center",
                va="center")
        ax.set_axis_off()
        return save_figure(fig, path)
    columns = min(shown.size, math.ceil(math.sqrt(shown.size)))
    fig, axes = new_figure(shown.size, columns=columns, panel_size=(1.5, 1.7))
    for ax, i in zip(axes, shown, strict=True):
        ax.imshow(images[i], cmap="gray_r" if images.ndim == 3 else None)
        ax.set_title(f"true {name(true[i])}, pred {name(pred[i])}", fontsize="small")
        ax.set_axis_off()
    fig.suptitle(f"{wrong.size} of {true.size} misclassified"
                 + (f" (first {shown.size} shown)" if shown.size < wrong.size else ""))
    return save_figure(fig, path)


def plot_predictions(images, y_true, y_pred, max_images=16, class_names=None, path=None):
    """A grid of sample images with the model's prediction: titles "pred p" (correct, black) or
    "pred p (true t)" (wrong, red).

    Args:
        images: (n, h, w), (n, h, w, 1 or 3) or flattened square (n, h*w) images.
        y_true: true labels (n,) or one-hot (n, C).
        y_pred: predicted labels (n,) or scores (n, C).
        max_images: show the first this many.
        class_names: optional names for the titles.
        path: optional file name (``.png``/``.svg``).

    Returns:
        The Figure: one axes per image shown; the suptitle counts the correct ones.

    Example:
        >>> import numpy as np
        >>> fig = plot_predictions(np.zeros((2, 28, 28)), [1, 2], [1, 0])
        >>> [ax.get_title() for ax in fig.axes]
        ['pred 1', 'pred 0 (true 2)']
    """
    images = _as_images(images)
    true, pred = _labels(y_true, "y_true"), _labels(y_pred, "y_pred")
    if not (len(images) == true.size == pred.size) or true.size == 0:
        raise ShapeError(
            f"images, y_true, y_pred: expected the same (non-zero) number of samples, "
            f"received {len(images)}, {true.size} and {pred.size}"
        )
    shown = min(int(max_images), true.size)
    name = (lambda c: str(class_names[c])) if class_names is not None else str
    columns = math.ceil(math.sqrt(shown))
    fig, axes = new_figure(shown, columns=columns, panel_size=(1.5, 1.7))
    for i, ax in enumerate(axes):
        ax.imshow(images[i], cmap="gray_r" if images.ndim == 3 else None)
        right = true[i] == pred[i]
        title = f"pred {name(pred[i])}" + ("" if right else f" (true {name(true[i])})")
        ax.set_title(title, fontsize="small", color="black" if right else "tab:red")
        ax.set_axis_off()
    correct = int((true[:shown] == pred[:shown]).sum())
    fig.suptitle(f"{shown} samples: {correct} predicted correctly")
    return save_figure(fig, path)
