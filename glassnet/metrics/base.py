"""The Metric base class, its state variables, the metric registry, Mean, Sum and the wrapper.

A metric keeps running totals over many batches (a whole epoch), so the value shown after batch
*k* is the metric over batches 1..k, exactly as Keras reports it. State lives in variables made
by :meth:`Metric.add_variable` (Keras 3), created in the subclass's ``__init__`` *after*
``super().__init__()``; :meth:`Metric.reset_state` puts every variable back to its initializer.
"""

from glassnet.backend import xp
from glassnet.errors import ShapeError
from glassnet.registry import Registry, to_snake_case
from glassnet.tensor import Tensor

EPSILON = 1e-7  # keras.backend.epsilon()


def _array(value):
    """A metric input (Tensor, ndarray, list) as an ndarray, without copying when possible."""
    if isinstance(value, Tensor):
        return value.data
    return xp.asarray(value)


class MetricVariable(Tensor):
    """A metric's state: a Tensor (updated in place with ``assign``/``assign_add``/``assign_sub``,
    as every Tensor is) that remembers its initializer, so ``reset_state`` can re-initialize it.

    Example:
        >>> v = MetricVariable(xp.zeros(()), initializer="zeros", name="count")
        >>> v.assign_add(3.0)
        >>> float(v.value)
        3.0
    """

    def __init__(self, data, initializer="zeros", aggregation="sum", name=None):
        super().__init__(data, name=name)
        self.initializer = initializer
        self.aggregation = aggregation


class Metric:
    """Base class: subclasses implement ``update_state`` and ``result``.

    Keras 3's idiom works: create the state in ``__init__`` after ``super().__init__()`` with
    ``self.add_variable(shape, initializer="zeros")`` and update it with ``assign_add``; the
    default ``reset_state`` re-initializes every such variable (a subclass may override it).

    Args:
        name: the key under which the metric appears in logs and History.
        dtype: the state's dtype (default float32; results are float32).
    """

    def __init__(self, name=None, dtype=None):
        self.name = name or to_snake_case(type(self).__name__)
        self.dtype = dtype
        self._variables = []

    @property
    def variables(self):
        """The state variables made by :meth:`add_variable`, in creation order."""
        return list(getattr(self, "_variables", ()))

    def add_variable(self, shape=(), initializer="zeros", dtype=None, aggregation="sum",
                     name=None):
        """Create a state variable (Keras 3): a :class:`MetricVariable` of ``shape``.

        Args:
            shape: the variable's shape (``()`` for a scalar).
            initializer: an initializer name, object or callable ``(shape, dtype)``.
            dtype: default: the metric's dtype, else float32.
            aggregation: accepted for Keras compatibility ("sum", "mean"...).
            name: a label for the variable.

        Returns:
            The new :class:`MetricVariable`.
        """
        from glassnet import initializers

        shape = () if shape is None else (tuple(shape) if hasattr(shape, "__len__")
                                          else (int(shape),))
        dtype = xp.dtype(dtype or self.dtype or "float32")
        init = initializers.get(initializer or "zeros")
        data = xp.array(init(shape, dtype=dtype), dtype=dtype).reshape(shape)
        variable = MetricVariable(data, initializer=initializer or "zeros",
                                  aggregation=aggregation, name=name)
        if not hasattr(self, "_variables"):
            self._variables = []
        self._variables.append(variable)
        return variable

    def add_weight(self, shape=(), initializer="zeros", dtype=None, name=None):
        """tf.keras 2's name for :meth:`add_variable` (a string first argument is the name)."""
        if isinstance(shape, str):
            shape, name = (), shape
        return self.add_variable(shape, initializer, dtype=dtype, name=name)

    def update_state(self, y_true, y_pred, sample_weight=None):
        raise NotImplementedError

    def result(self):
        raise NotImplementedError

    def reset_state(self):
        """Put every variable made by :meth:`add_variable` back to its initializer."""
        from glassnet import initializers

        for variable in self.variables:
            init = initializers.get(variable.initializer)
            variable.assign(init(variable.shape, dtype=variable.dtype))

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Update the state with one batch and return the running result (Keras semantics)."""
        self.update_state(y_true, y_pred, sample_weight)
        return self.result()

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r}>"


# class name and snake_case name (and aliases) -> Metric subclass
REGISTRY = Registry("metric", module="metrics", base=Metric,
                    from_callable=lambda function: MeanMetricWrapper(function))
METRICS = REGISTRY.entries


def register_metric(*aliases):
    """Class decorator: register a metric under its class name, its snake_case name and
    ``aliases``."""
    return REGISTRY.register(aliases=aliases)


def _result(value):
    return Tensor(xp.asarray(value, dtype=xp.float32))


def _divide_no_nan(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (Keras's divide_no_nan)."""
    numerator = xp.asarray(numerator, dtype=xp.float64)
    denominator = xp.asarray(denominator, dtype=xp.float64)
    safe = xp.where(denominator == 0, 1.0, denominator)
    return xp.where(denominator == 0, 0.0, numerator / safe)


def _broadcast_weights(sample_weight, values, name):
    """Sample weights of shape (N,) (or values' shape) broadcast against per-sample values."""
    weights = _array(sample_weight).astype(xp.float64, copy=False)
    while weights.ndim < values.ndim:
        weights = weights[..., None]
    try:
        return xp.broadcast_to(weights, values.shape)
    except ValueError:
        raise ShapeError(
            f"metric {name!r}: sample_weight of shape {_array(sample_weight).shape} does not "
            f"match values of shape {values.shape}"
        ) from None


@register_metric()
class Mean(Metric):
    """The weighted mean of all values seen: sum(w * v) / sum(w).

    Example:
        >>> m = Mean()
        >>> m.update_state([1.0, 3.0])
        >>> float(m.result())
        2.0
    """

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values, sample_weight=None):
        values = _array(values).astype(xp.float64, copy=False)
        if sample_weight is None:
            self.total += float(values.sum())
            self.count += values.size
            return
        weights = _broadcast_weights(sample_weight, values, self.name)
        self.total += float((values * weights).sum())
        self.count += float(weights.sum())

    def result(self):
        return _result(self.total / self.count if self.count else 0.0)


@register_metric()
class Sum(Metric):
    """The weighted sum of all values seen: sum(w * v)."""

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.reset_state()

    def reset_state(self):
        self.total = 0.0

    def update_state(self, values, sample_weight=None):
        values = _array(values).astype(xp.float64, copy=False)
        if sample_weight is not None:
            values = values * _broadcast_weights(sample_weight, values, self.name)
        self.total += float(values.sum())

    def result(self):
        return _result(self.total)


class MeanMetricWrapper(Mean):
    """A :class:`Mean` of a per-sample function ``fn(y_true, y_pred) -> values``.

    Args:
        fn: takes ndarrays and returns one value per sample (or per sample and time step).
        name: the metric's name.
    """

    def __init__(self, fn, name=None, dtype=None, **fn_kwargs):
        self.fn = fn
        self.fn_kwargs = fn_kwargs
        super().__init__(name=name or getattr(fn, "__name__", "mean_metric"), dtype=dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        values = self.fn(_array(y_true), _array(y_pred), **self.fn_kwargs)
        super().update_state(values, sample_weight)
