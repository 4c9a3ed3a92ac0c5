"""What ``compile`` sets up, kept in one object: losses, loss weights, metrics, the loss tracker.

``model.compile(...)`` checks its arguments here (:func:`parse_losses`,
:func:`parse_loss_weights`, :func:`check_metric_specs`) and stores a :class:`CompiledState` on
the model as ``model._compiled_state``; :func:`compiled_state` fetches it back or says clearly
that ``compile`` must come first.

Example:
    >>> import glassnet as gn
    >>> model = gn.Sequential([gn.layers.Dense(1, input_shape=(2,))])
    >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    >>> state = compiled_state(model, "fit")
    >>> [metric.name for metric in state.all_metrics()]  # metrics are built on the first batch
    ['loss']
"""

from glassnet import metrics as metrics_module
from glassnet.errors import GlassnetTypeError, GlassnetValueError


class CompiledState:
    """The compiled loss function(s), loss weights, metric specs and the built metrics.

    Args:
        loss: the ``loss`` argument as given to ``compile`` (kept for saving).
        loss_fns: a list of loss callables (one per output, or one for all), a dict
            ``{output index: loss}``, or None.
        loss_weights: a list or dict of floats, or None.
        metric_specs: the ``metrics`` argument (a list or dict), ``[]`` when not given.
        weighted_metric_specs: the ``weighted_metrics`` argument, likewise.
    """

    def __init__(self, loss, loss_fns, loss_weights, metric_specs, weighted_metric_specs):
        self.loss = loss
        self.loss_fns = loss_fns          # list (one per output) or dict or None
        self.loss_weights = loss_weights  # list/dict of floats or None
        self.metric_specs = metric_specs
        self.weighted_metric_specs = weighted_metric_specs
        self.loss_tracker = metrics_module.Mean(name="loss")
        self.metrics = None               # list of (output index, Metric, weighted?)
        self.target_check = None          # deferred label validation (first batch)
        self.params = None                # trainable weights, listed once per fit
        self.in_fit = False
        self.metrics_cache = None         # model.metrics, listed once per fit/evaluate
        self.keys_checked = False         # dict loss keys checked against the output names
        self.output_names = None          # the model's output names (dict keys or layer names)
        self.output_loss_trackers = None  # {output name: Mean '<name>_loss'}, several outputs

    def all_metrics(self):
        """The loss tracker, then the compiled metrics (once built)."""
        per_output = list((self.output_loss_trackers or {}).values())
        return [self.loss_tracker] + per_output + [m for _, m, _ in (self.metrics or [])]

    def has_metric_specs(self):
        return bool(self.metric_specs) or bool(self.weighted_metric_specs)

    def reset(self):
        for metric in self.all_metrics():
            metric.reset_state()


def compiled_state(model, where):
    """``model._compiled_state``, or a clear error saying that ``compile`` must come first."""
    state = getattr(model, "_compiled_state", None)
    if state is None:
        raise GlassnetValueError(
            f"{where}: the model must be compiled first; call "
            f"model.compile(optimizer=..., loss=..., metrics=[...]) before model.{where}()"
        )
    try:
        names = model.output_names
    except (AttributeError, GlassnetValueError):
        names = None
    state.output_names = list(names) if names else None
    return state


def parse_losses(loss):
    """The loss callables of ``compile(loss=...)``: a list, a dict keyed by output, or None."""
    from glassnet import losses as losses_module

    if loss is None:
        return None
    if isinstance(loss, (list, tuple)):
        return [losses_module.get(item) for item in loss]
    if isinstance(loss, dict):  # keyed by output name (or index)
        return {key: losses_module.get(item) for key, item in loss.items() if item is not None}
    return [losses_module.get(loss)]


def parse_loss_weights(loss_weights):
    """``compile(loss_weights=...)`` as a list or dict of floats (None stays None)."""
    if loss_weights is None:
        return None
    try:
        if isinstance(loss_weights, (int, float)):
            return [float(loss_weights)]
        if isinstance(loss_weights, dict):
            return {k: float(w) for k, w in loss_weights.items()}
        if isinstance(loss_weights, (list, tuple)):
            return [float(w) for w in loss_weights]
        raise TypeError
    except (TypeError, ValueError):
        raise GlassnetTypeError(
            f"compile: loss_weights must be a number, a list of numbers (one per output) or "
            f"a dict {{output: number}}, received {loss_weights!r}"
        ) from None


def check_metric_specs(metrics, weighted_metrics):
    """Refuse a bare metric where a list is expected (``metrics='accuracy'``)."""
    for name, specs in (("metrics", metrics), ("weighted_metrics", weighted_metrics)):
        if specs is not None and not isinstance(specs, (list, tuple, dict)):
            raise GlassnetTypeError(
                f"compile: {name} must be a list of metric names or objects, "
                f"received {specs!r}; write {name}=[{specs!r}]"
            )
