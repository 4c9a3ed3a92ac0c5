"""Merge layers for the functional API: Add, Subtract, Multiply, Average, Maximum, Minimum,
Concatenate, Dot (Keras names), and their lower-case functional forms (``add([a, b])``...).

Each takes a list of tensors and is differentiable through glassnet's primitive ops (no
backward of its own). Element-wise merges need inputs of one shape (batch size included);
Concatenate needs every axis but ``axis`` to agree.

Example:
    >>> import glassnet as gn
    >>> from glassnet.layers import Dense, Input
    >>> a, b = Input(shape=(4,)), Input(shape=(4,))
    >>> y = Dense(1)(Add()([Dense(4)(a), b]))
    >>> gn.Model([a, b], y).count_params()
    25
"""

import operator

from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.hyperparameters import check_axis, layer_owner
from glassnet.layers.base import Layer
from glassnet.layers.serialization import register_layer
from glassnet.ops.math import maximum as _maximum
from glassnet.ops.math import minimum as _minimum
from glassnet.ops.shape import concat


class _Merge(Layer):
    """Shared checks of the merge layers: a list of inputs, of compatible shapes."""

    min_inputs, max_inputs = 1, None

    def build(self, input_shape):
        if not isinstance(input_shape, list):
            raise GlassnetValueError(
                f"Layer '{self.name}' ({type(self).__name__}): expected a list of inputs, "
                f"received one input of shape {tuple(input_shape)}"
            )
        n = len(input_shape)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            wanted = (f"exactly {self.min_inputs}" if self.max_inputs == self.min_inputs
                      else f"at least {self.min_inputs}")
            raise GlassnetValueError(
                f"Layer '{self.name}' ({type(self).__name__}): expected {wanted} inputs, "
                f"received {n}"
            )
        self._check_shapes([tuple(s) for s in input_shape])

    def _check_shapes(self, shapes):
        first = shapes[0]
        for shape in shapes[1:]:
            if len(shape) != len(first) or any(
                    a is not None and b is not None and a != b
                    for a, b in zip(shape, first, strict=True)):
                raise ShapeError(
                    f"Layer '{self.name}' ({type(self).__name__}): inputs must have the same "
                    f"shape, received {[tuple(s) for s in shapes]}"
                )

    def call(self, inputs):
        if not isinstance(inputs, (list, tuple)):
            raise GlassnetValueError(
                f"Layer '{self.name}' ({type(self).__name__}): expected a list of inputs"
            )
        self._check_shapes([tuple(x.shape) for x in inputs])
        return self._merge(list(inputs))

    def compute_output_shape(self, input_shape):
        if not self.built:
            self._maybe_build(input_shape)
        return self._output_shape([tuple(s) for s in input_shape])

    def _output_shape(self, shapes):
        return tuple(next((s[i] for s in shapes if s[i] is not None), None)
                     for i in range(len(shapes[0])))


class _Fold(_Merge):
    """y = op(...op(op(x_1, x_2), x_3)..., x_n) for a binary op."""

    @staticmethod
    def _op(a, b):
        raise NotImplementedError

    def _merge(self, xs):
        result = xs[0]
        for x in xs[1:]:
            result = self._op(result, x)
        return result


@register_layer
class Add(_Fold):
    """y = x_1 + x_2 + ... + x_n."""

    _op = staticmethod(operator.add)


@register_layer
class Subtract(_Merge):
    """y = x_1 - x_2 (exactly two inputs)."""

    min_inputs = max_inputs = 2

    def _merge(self, xs):
        return xs[0] - xs[1]


@register_layer
class Multiply(_Fold):
    """y = x_1 * x_2 * ... * x_n (element-wise)."""

    _op = staticmethod(operator.mul)


@register_layer
class Average(_Fold):
    """y = (x_1 + ... + x_n) / n."""

    _op = staticmethod(operator.add)

    def _merge(self, xs):
        return super()._merge(xs) * (1.0 / len(xs))


@register_layer
class Maximum(_Fold):
    """y = max(x_1, ..., x_n) element-wise (the gradient goes to the larger input)."""

    _op = staticmethod(_maximum)


@register_layer
class Minimum(_Fold):
    """y = min(x_1, ..., x_n) element-wise."""

    _op = staticmethod(_minimum)


@register_layer
class Concatenate(_Merge):
    """Join the inputs along ``axis`` (default -1, the features); other axes must agree.

    Args:
        axis: the axis to join along (negative counts from the end; 0, the batch axis, is not
            allowed, as in Keras).
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(check_axis(layer_owner(self), "axis", axis))

    def _axis(self, rank):
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None or axis == 0:
            raise GlassnetValueError(
                f"Layer '{self.name}' (Concatenate): axis={self.axis} is not a non-batch axis "
                f"of inputs of rank {rank}"
            )
        return axis

    def _check_shapes(self, shapes):
        axis = self._axis(len(shapes[0]))
        first = shapes[0]
        for shape in shapes[1:]:
            if len(shape) != len(first) or any(
                    i != axis and a is not None and b is not None and a != b
                    for i, (a, b) in enumerate(zip(shape, first, strict=True))):
                raise ShapeError(
                    f"Layer '{self.name}' (Concatenate): inputs must agree on every axis but "
                    f"axis {self.axis}, received {[tuple(s) for s in shapes]}"
                )

    def _merge(self, xs):
        return concat(xs, axis=self._axis(xs[0].ndim))

    def _output_shape(self, shapes):
        axis = self._axis(len(shapes[0]))
        shape = list(super()._output_shape(shapes))
        sizes = [s[axis] for s in shapes]
        shape[axis] = None if None in sizes else sum(sizes)
        return tuple(shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


@register_layer
class Dot(_Merge):
    """Per-sample dot product of two tensors along one axis of each (Keras's batch_dot).

    For x of shape (batch, *a) and y of shape (batch, *b), contracting axis i of x with axis
    j of y (equal sizes):

        z[n, rest_x..., rest_y...] = sum_k x[n, ..., k (axis i), ...] * y[n, ..., k (axis j), ...]

    with the remaining axes of x, then those of y; two 2-D inputs give (batch, 1). With
    ``normalize=True`` each input is first L2-normalised along its axis,
    x / sqrt(max(sum x^2, 1e-12)), so z is the cosine similarity.

    Args:
        axes: an int (the same axis of both inputs) or a pair (axis of x, axis of y); the
            batch axis 0 is not allowed; negative axes count from the end.
        normalize: L2-normalise along the axes first (default False).

    Example:
        >>> import numpy as np
        >>> x = np.arange(10.0).reshape(1, 5, 2)
        >>> y = np.arange(10.0, 20.0).reshape(1, 2, 5)
        >>> Dot(axes=(1, 2))([x, y]).numpy().tolist()
        [[[260.0, 360.0], [320.0, 445.0]]]
        >>> Dot(axes=1)([np.ones((3, 4)), np.ones((3, 4))]).shape
        (3, 1)
    """

    min_inputs = max_inputs = 2

    def __init__(self, axes, normalize=False, **kwargs):
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2:
                raise GlassnetValueError(
                    f"Layer '{self.name}' (Dot): axes must be an int or a pair of ints, "
                    f"got {axes!r}")
            self.axes = tuple(int(a) for a in axes)
        else:
            self.axes = int(axes)
        self.normalize = bool(normalize)

    def _pair(self, shapes):
        axes = self.axes if isinstance(self.axes, tuple) else (self.axes, self.axes)
        result = []
        for axis, shape in zip(axes, shapes, strict=True):
            rank = len(shape)
            if not -rank <= axis < rank or axis % rank == 0:
                raise GlassnetValueError(
                    f"Layer '{self.name}' (Dot): axes={self.axes} must name non-batch axes of "
                    f"inputs of shapes {[tuple(s) for s in shapes]}")
            result.append(axis % rank)
        return result

    def _check_shapes(self, shapes):
        if len(shapes) != 2:
            return
        i, j = self._pair(shapes)
        a, b = shapes[0][i], shapes[1][j]
        batch_a, batch_b = shapes[0][0], shapes[1][0]
        if (a is not None and b is not None and a != b) or (
                batch_a is not None and batch_b is not None and batch_a != batch_b):
            raise ShapeError(
                f"Layer '{self.name}' (Dot): the contracted axes ({i} of the first input, {j} "
                f"of the second) and the batch sizes must agree, received "
                f"{[tuple(s) for s in shapes]}")

    def _merge(self, xs):
        i, j = self._pair([x.shape for x in xs])
        x, y = xs
        if self.normalize:
            x, y = _l2_normalize(x, i), _l2_normalize(y, j)
        # x -> (batch, rest_x, k), y -> (batch, k, rest_y), one batched matmul
        rest_x = [d for a, d in enumerate(x.shape) if a not in (0, i)]
        rest_y = [d for a, d in enumerate(y.shape) if a not in (0, j)]
        x = x.transpose(0, *[a for a in range(1, x.ndim) if a != i], i)
        y = y.transpose(0, j, *[a for a in range(1, y.ndim) if a != j])
        n, k = x.shape[0], x.shape[-1]
        z = x.reshape(n, -1, k) @ y.reshape(n, k, -1)
        return z.reshape(n, *(rest_x + rest_y or [1]))

    def _output_shape(self, shapes):
        i, j = self._pair(shapes)
        rest = [d for a, d in enumerate(shapes[0]) if a not in (0, i)] + [
            d for a, d in enumerate(shapes[1]) if a not in (0, j)]
        return (shapes[0][0] if shapes[0][0] is not None else shapes[1][0], *(rest or [1]))

    def get_config(self):
        axes = list(self.axes) if isinstance(self.axes, tuple) else self.axes
        return {**super().get_config(), "axes": axes, "normalize": self.normalize}


def _l2_normalize(x, axis):
    """x / sqrt(max(sum(x^2, axis), 1e-12)) (Keras's L2 normalisation)."""
    squares = (x * x).sum(axis=axis, keepdims=True)
    return x / _maximum(squares, 1e-12).sqrt()


def dot(inputs, axes, normalize=False, **kwargs):
    """Keras's functional form: ``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes, normalize=normalize, **kwargs)(inputs)


def _functional(cls):
    def merge(inputs, **kwargs):
        return cls(**kwargs)(inputs)

    merge.__name__ = cls.__name__.lower()
    merge.__doc__ = f"Keras's functional form: ``{cls.__name__}(**kwargs)(inputs)``."
    return merge


add, subtract, multiply, average, maximum, minimum, concatenate = (
    _functional(c) for c in (Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate))
