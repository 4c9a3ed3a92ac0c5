"""The loops behind ``fit``, ``evaluate`` and ``predict``: epochs, batches, callbacks, logs.

One epoch of ``fit`` is, as in Keras 3::

    model.reset_metrics()
    callbacks.on_epoch_begin(epoch)
    for step, data in enumerate(batches):
        callbacks.on_train_batch_begin(step)
        logs = model.train_step(data)          # the model's own, or Trainer's default
        callbacks.on_train_batch_end(step, logs)
    epoch_logs = model.get_metrics_result()    # or the last logs, if the keys differ
    epoch_logs |= {"val_" + k: v for k, v in evaluate-loop(validation data)}
    callbacks.on_epoch_end(epoch, epoch_logs)

A ``train_step`` written by the user may return Tensors or nested dicts: its logs are turned into
plain floats (:func:`pythonify_logs`) before callbacks, the progress bar and History see them.

Example:
    >>> pythonify_logs({"loss": 0.5, "metrics": {"mae": 0.25}})
    {'loss': 0.5, 'mae': 0.25}
"""

import warnings

from glassnet.backend import xp
from glassnet.config import no_grad
from glassnet.errors import GlassnetValueError
from glassnet.tensor import Tensor
from glassnet.training.data_adapters import unpack
from glassnet.training.resolution import align, build_metrics


def resolve_verbose(verbose, where):
    """``'auto'`` is 1 (progress bar); 0, 1 and 2 pass; anything else is refused.

    As in Keras, ``'auto'`` means 1 everywhere: in a terminal, in a log and in a Jupyter
    notebook (where the bar redraws one output line in place, see ``glassnet.callbacks.progbar``).
    """
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2) or isinstance(verbose, bool):
        raise GlassnetValueError(
            f"{where}: verbose must be 'auto', 0, 1 or 2, received {verbose!r}"
        )
    return verbose


def check_model(model, where):
    """An empty, unbuilt Sequential cannot be trained or run: say so before the loop starts."""
    layers = getattr(model, "layers", None)
    if layers is not None and len(layers) == 0 and not getattr(model, "built", False) \
            and type(model).__name__ == "Sequential":
        raise GlassnetValueError(
            f"{where}: the model has no layers and has not been built; add layers "
            f"(model.add(gn.layers.Dense(...))) before calling model.{where}()"
        )


def should_validate(epoch, validation_freq):
    """Validate after 0-based ``epoch``: every ``validation_freq`` epochs or at listed ones."""
    if isinstance(validation_freq, int):
        if validation_freq <= 0:
            raise GlassnetValueError(
                f"fit: validation_freq must be a positive integer, received {validation_freq}"
            )
        return (epoch + 1) % validation_freq == 0
    return (epoch + 1) in validation_freq


def _plain(value):
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, (xp.ndarray, xp.generic)):
        return float(value) if value.size == 1 else value
    return value


def pythonify_logs(logs):
    """Logs with Tensors/NumPy scalars as floats and nested dicts flattened (Keras 3)."""
    if not isinstance(logs, dict):
        return logs
    result = {}
    for key, value in logs.items():
        if isinstance(value, dict):
            result.update(pythonify_logs(value))
        else:
            result[key] = _plain(value)
    return result


def metrics_result_or_logs(model, logs):
    """The model's metric results when their keys match the step's logs, else the logs.

    Keras 3's rule: a custom step that returns other keys than ``model.metrics`` has its last
    logs reported as they are.
    """
    results = model.get_metrics_result()
    if isinstance(logs, dict) and set(logs) != set(results):
        return dict(logs)
    return results


def as_arrays(outputs):
    """What a ``predict_step`` returned, with Tensors as ndarrays (lists and dicts kept)."""
    if isinstance(outputs, Tensor):
        return outputs.data
    if isinstance(outputs, (list, tuple)):
        return [as_arrays(o) for o in outputs]
    if isinstance(outputs, dict):
        return {key: as_arrays(value) for key, value in outputs.items()}
    return xp.asarray(outputs)


def concatenate_outputs(outputs):
    """The per-batch predictions joined along the batch axis (per output / per key)."""
    first = outputs[0]
    if isinstance(first, (list, tuple)):  # (nested structures keep their shape)
        return [concatenate_outputs([o[i] for o in outputs]) for i in range(len(first))]
    if isinstance(first, dict):
        return {key: concatenate_outputs([o[key] for o in outputs]) for key in first}
    return xp.concatenate(outputs)


def prebuild_metrics(model, state, data):
    """Build the compiled metrics before a custom step runs (Keras 3's symbolic build).

    The default steps build them on their first batch; a user's ``train_step`` that loops over
    ``self.metrics`` needs them to exist already. Shapes come from the first batch and from
    ``model.output_shape`` when known, else from one inference-mode forward pass on it.
    """
    if state.metrics is not None or not state.has_metric_specs():
        return
    batch = data.peek()
    if batch is None:
        return
    x, y, _ = unpack(batch)
    if y is None:
        return
    shape = getattr(model, "output_shape", None)
    if getattr(model, "built", False) and isinstance(shape, tuple):
        first = x[0] if isinstance(x, (list, tuple)) else x
        preds = [xp.zeros((len(first),) + tuple(1 if d is None else d for d in shape[1:]))]
        names, targets, _ = align(state, y, preds)
    else:
        with no_grad():
            y_pred = model(x, training=False)
        names, targets, preds = align(state, y, y_pred)
        preds = as_arrays(preds)
    targets = [None if t is None else t.data if isinstance(t, Tensor) else xp.asarray(t)
               for t in targets]
    build_metrics(state, targets, preds, names)
    state.metrics_cache = None


def run_test_loop(model, data, steps, callbacks, where):
    """One pass of ``model.test_step`` over ``data``; returns the logs (evaluate, validation)."""
    custom = model.has_custom_step("test_step")
    if custom:
        prebuild_metrics(model, model._compiled_state, data)
    model.reset_metrics()
    callbacks.on_test_begin()
    logs = None
    for step, batch in enumerate(data.batches(steps)):
        callbacks.on_test_batch_begin(step)
        logs = model.test_step(batch)
        if custom:
            logs = pythonify_logs(logs)
        callbacks.on_test_batch_end(step, logs)
    if logs is None:
        raise GlassnetValueError(f"{where}: the data produced no batches")
    logs = metrics_result_or_logs(model, logs)
    callbacks.on_test_end(logs)
    return logs


def run_epochs(model, train, val, callback_list, initial_epoch, epochs, steps_per_epoch,
               validation_steps, validation_freq):
    """The epoch loop of ``fit``; returns the last epoch's logs."""
    custom = model.has_custom_step("train_step")
    logs = {}
    for epoch in range(int(initial_epoch), epochs):
        model.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        ran = 0
        step_logs = None
        for step, batch in enumerate(train.batches(steps_per_epoch)):
            callback_list.on_train_batch_begin(step)
            step_logs = model.train_step(batch)
            if custom:
                step_logs = pythonify_logs(step_logs)
            callback_list.on_train_batch_end(step, step_logs)
            ran += 1
            if model.stop_training:
                break
        if ran == 0:
            warnings.warn("fit: the training data ran out of batches; interrupting training",
                          stacklevel=3)
            break
        epoch_logs = metrics_result_or_logs(model, step_logs)
        if val is not None and should_validate(epoch, validation_freq):
            val_logs = run_test_loop(model, val, validation_steps, callback_list, "fit")
            epoch_logs.update({f"val_{key}": value for key, value in val_logs.items()})
        callback_list.on_epoch_end(epoch, epoch_logs)
        logs = epoch_logs
        if model.stop_training:
            break
    return logs


def run_predict_loop(model, data, steps, callbacks, where, gather=None):
    """``model.predict_step`` on every batch; the outputs joined along the batch axis.

    ``gather`` (data parallel) turns a rank's outputs for its shard into the whole batch's.
    """
    outputs = []
    callbacks.on_predict_begin()
    for step, batch in enumerate(data.batches(steps)):
        callbacks.on_predict_batch_begin(step)
        result = as_arrays(model.predict_step(batch))
        if gather is not None:
            result = gather(result)
        outputs.append(result)
        callbacks.on_predict_batch_end(step, {"outputs": result})
    callbacks.on_predict_end()
    if not outputs:
        raise GlassnetValueError(f"{where}: the data produced no batches")
    return concatenate_outputs(outputs)
