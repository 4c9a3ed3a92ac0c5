"""Training: the :class:`Trainer` mixin behind ``Model.compile/fit/evaluate/predict``.

Files by concern:

- :mod:`~glassnet.training.trainer`: ``Trainer`` (``class Model(Trainer, Layer)``), the Keras 3
  methods with their signatures, and the default ``train_step``/``test_step``/``predict_step``;
- :mod:`~glassnet.training.compile_state`: what ``compile`` stores (``CompiledState``);
- :mod:`~glassnet.training.resolution`: which loss each output gets, label checks, the total
  loss, ``'accuracy'`` resolution and the compiled metrics;
- :mod:`~glassnet.training.data_adapters`: arrays and iterables to batches, validation split,
  class weights, input checks;
- :mod:`~glassnet.training.arguments`: the checks of fit/evaluate/predict's arguments (each
  method's first line);
- :mod:`~glassnet.training.loop`: the epoch, test and predict loops and their callbacks;
- :mod:`~glassnet.training.tape`: ``GradientTape`` for tf.keras-style custom steps.

The module-level functions (``fit(model, ...)``, ``train_step(model, data)``...) are the
Trainer's methods called with the model first, kept for code that used them that way.

Example:
    >>> import glassnet as gn, numpy as np
    >>> model = gn.Sequential([gn.layers.Dense(1, input_shape=(3,))])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = fit(model, np.ones((8, 3)), np.ones((8, 1)), epochs=2, verbose=0)
    >>> len(history.history["loss"])
    2
"""

from glassnet.training.compile_state import CompiledState
from glassnet.training.data_adapters import DEFAULT_BATCH_SIZE, ArrayData, IterableData
from glassnet.training.resolution import CompiledLoss, CompiledMetrics, loss_kind
from glassnet.training.tape import GradientTape
from glassnet.training.trainer import Trainer

compile = Trainer.compile  # noqa: A001 - the Keras name
fit = Trainer.fit
evaluate = Trainer.evaluate
predict = Trainer.predict
train_step = Trainer.train_step
test_step = Trainer.test_step
predict_step = Trainer.predict_step
train_on_batch = Trainer.train_on_batch
test_on_batch = Trainer.test_on_batch
predict_on_batch = Trainer.predict_on_batch
compute_loss = Trainer.compute_loss
get_logs = Trainer.get_metrics_result


def get_metrics(model):
    """Keras's ``model.metrics``: the loss tracker then the compiled metrics (built lazily)."""
    return Trainer.metrics.fget(model)


def metrics_names(model):
    """The names of :func:`get_metrics`."""
    return [metric.name for metric in get_metrics(model)]


__all__ = [
    "DEFAULT_BATCH_SIZE", "ArrayData", "CompiledLoss", "CompiledMetrics", "CompiledState",
    "GradientTape", "IterableData", "Trainer", "compile", "compute_loss", "evaluate", "fit",
    "get_logs", "get_metrics", "loss_kind", "metrics_names", "predict", "predict_on_batch",
    "predict_step", "test_on_batch", "test_step", "train_on_batch", "train_step",
]
