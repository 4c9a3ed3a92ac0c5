"""The standard figures of a trained classifier, written into an output folder in one call.

The examples use it to write what the README promises ("every example writes its tables and
figures to examples/output/<name>/"): learning curves, confusion matrix, a sample grid with
predictions and the misclassified images.
"""

import os

from glassnet.viz.classification import (
    plot_confusion_matrix,
    plot_misclassified,
    plot_predictions,
)
from glassnet.viz.curves import plot_history


def classifier_figures(out, history=None, y_true=None, y_pred=None, images=None,
                       class_names=None):
    """Write the learning curves and classification pictures that apply into ``out``.

    Files (each only when its inputs are given):

    * ``learning_curves.png``: :func:`plot_history` of ``history`` (loss, accuracy, ...);
    * ``confusion_matrix.png``: :func:`plot_confusion_matrix` of ``y_true``/``y_pred``;
    * ``predictions.png``: :func:`plot_predictions`, the first 16 ``images`` with predictions;
    * ``misclassified.png``: :func:`plot_misclassified`, up to 25 wrongly predicted images.

    Args:
        out: the output folder (created if needed).
        history: a History or dict of per-epoch lists, or None.
        y_true, y_pred: labels / scores for the confusion matrix, or None.
        images: the images the labels belong to, or None (no image grids).
        class_names: optional class names.

    Returns:
        The list of paths written.

    Raises:
        ImportError: matplotlib is missing (the message names the ``glassnet[viz]`` extra).

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as out:
        ...     paths = classifier_figures(out, {"loss": [0.9, 0.5]}, [0, 1], [0, 0])
        >>> [os.path.basename(p) for p in paths]
        ['learning_curves.png', 'confusion_matrix.png']
    """
    os.makedirs(out, exist_ok=True)
    written = []

    def save(plot, name, *args, **kwargs):
        path = os.path.join(os.fspath(out), name)
        fig = plot(*args, path=path, **kwargs)
        fig.clear()
        written.append(path)

    if history is not None:
        save(plot_history, "learning_curves.png", history)
    if y_true is not None and y_pred is not None:
        save(plot_confusion_matrix, "confusion_matrix.png", y_true, y_pred,
             class_names=class_names)
        if images is not None:
            save(plot_predictions, "predictions.png", images, y_true, y_pred,
                 class_names=class_names)
            save(plot_misclassified, "misclassified.png", images, y_true, y_pred,
                 class_names=class_names)
    return written
