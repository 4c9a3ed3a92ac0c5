"""glassnet.viz: pictures of what a network does (matplotlib, an optional extra).

Install with ``pip install 'glassnet[viz]'``. Importing this package does not import matplotlib;
each plotting function imports it when called and raises ``ImportError("glassnet.viz needs
matplotlib: pip install 'glassnet[viz]'")`` when it is missing. Every function builds a
``matplotlib.figure.Figure`` with the object-oriented API (no ``pyplot`` global state: safe
headless and in threads), returns it, and saves it when given ``path=`` (``.png`` or ``.svg``,
chosen by the extension).

Families:
    curves: ``plot_history`` (learning curves), ``plot_curves`` (several runs, distinct styles,
        coinciding runs named in the legend), ``plot_fit_over_time`` (seed 000's sin fit at
        checkpoints), ``plot_schedules`` (learning-rate schedules), ``plot_gradient_norms``.
    functions: ``plot_activations`` (f and f' by autodiff), ``plot_losses`` (seed 002's gallery),
        ``plot_softmax_vs_max`` (seed 003).
    descent: ``plot_descent_1d``, ``plot_lr_comparison`` (seed 002's η = 1.0/0.8/0.4/0.1 table),
        ``plot_surface`` (3-D surface + contour with the path), ``descent_path``.
    classification: ``confusion_matrix``, ``plot_confusion_matrix``,
        ``plot_decision_boundary``, ``plot_misclassified``, ``plot_predictions`` (sample grid).
    report: ``classifier_figures`` (learning curves, confusion matrix, sample grids into a
        folder).   _base: ``integer_ticks``, ``line_style``, ``save_figure``.
    weights: ``plot_histograms``.   graph: ``plot_graph`` (Graphviz dot).

Example:
    >>> from glassnet import viz
    >>> fig = viz.plot_history({"loss": [0.9, 0.4], "val_loss": [1.0, 0.6]})
    >>> fig.axes[0].get_title()
    'loss'
"""

from glassnet.viz._base import MISSING_MATPLOTLIB, integer_ticks, line_style, save_figure
from glassnet.viz.classification import (
    confusion_matrix,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_misclassified,
    plot_predictions,
)
from glassnet.viz.curves import (
    coinciding,
    plot_curves,
    plot_fit_over_time,
    plot_gradient_norms,
    plot_history,
    plot_schedules,
)
from glassnet.viz.descent import descent_path, plot_descent_1d, plot_lr_comparison, plot_surface
from glassnet.viz.functions import (
    LOSS_GALLERY,
    activation_and_derivative,
    plot_activations,
    plot_losses,
    plot_softmax_vs_max,
)
from glassnet.viz.graph import plot_graph, render_dot
from glassnet.viz.report import classifier_figures
from glassnet.viz.weights import plot_histograms

__all__ = [
    "MISSING_MATPLOTLIB",
    "LOSS_GALLERY",
    "activation_and_derivative",
    "classifier_figures",
    "coinciding",
    "confusion_matrix",
    "descent_path",
    "integer_ticks",
    "line_style",
    "plot_activations",
    "plot_confusion_matrix",
    "plot_curves",
    "plot_decision_boundary",
    "plot_descent_1d",
    "plot_fit_over_time",
    "plot_gradient_norms",
    "plot_graph",
    "plot_histograms",
    "plot_history",
    "plot_losses",
    "plot_lr_comparison",
    "plot_misclassified",
    "plot_predictions",
    "plot_schedules",
    "plot_softmax_vs_max",
    "plot_surface",
    "render_dot",
    "save_figure",
]
