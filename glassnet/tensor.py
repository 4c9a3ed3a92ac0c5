"""Tensor, Function and backward: glassnet's define-by-run autodiff engine.

A :class:`Tensor` wraps an ndarray (``.data``) and, when it was produced by an op while
gradients are being recorded, remembers the :class:`Function` that made it (its *creator*).
``backward()`` walks those creators in reverse topological order and asks each one for the
gradients of its inputs. Every op lives in ``glassnet/ops`` as a Function subclass with
``forward`` (on arrays) and ``backward`` (on gradient Tensors) side by side; because backward
is written with Tensor operations, ``backward(create_graph=True)`` records a graph of the
gradient itself, and second derivatives come for free. :func:`grad` returns gradients instead
of storing them in ``.grad`` (like ``torch.autograd.grad``).
"""

import weakref

from glassnet.backend import xp
from glassnet.config import config
from glassnet.errors import AnomalyError, GlassnetError, GlassnetTypeError, ShapeError

_NUMERIC_KINDS = "biuf"
_SCALARS = (int, float, xp.integer, xp.floating)  # "weak" scalars: they take a tensor's dtype

# Callables hook(function, inputs, outputs) run after every op; ``gn.trace`` adds one. Empty
# (and so free) unless a trace is active; suspended while backward() runs.
_op_hooks = []


def _to_array(data, dtype=None):
    """Convert user data to an ndarray: Python floats become float32, NumPy keeps its dtype."""
    if isinstance(data, Tensor):
        data = data.data
    from_python = not isinstance(data, (xp.ndarray, xp.generic))
    if isinstance(data, (str, bytes)):
        raise GlassnetTypeError(f"glassnet.tensor: expected numbers, got a {type(data).__name__}")
    try:
        array = xp.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise GlassnetTypeError(
            f"glassnet.tensor: expected numbers or a (nested) list of numbers, "
            f"got {type(data).__name__} ({error})"
        ) from None
    if array.dtype.kind not in _NUMERIC_KINDS:
        raise GlassnetTypeError(
            f"glassnet.tensor: expected numeric data, got dtype {array.dtype} "
            f"from {type(data).__name__}"
        )
    if dtype is None and from_python and array.dtype == xp.float64:
        array = array.astype(config.default_float)
    return array


class Tensor:
    """An n-dimensional array that can record how it was computed.

    Args:
        data: an ndarray, a number or a nested list of numbers. Wrapped without a copy
            (use :func:`tensor` for a copy).
        requires_grad: whether ``backward()`` should compute a gradient for this tensor.
        name: optional label shown by ``gn.trace`` tables and graphs.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([1.0, 2.0], requires_grad=True)
        >>> (x * x).sum().backward()
        >>> x.grad
        tensor([2., 4.])
    """

    __array_priority__ = 1000  # ndarray (op) Tensor defers to Tensor's reflected operator
    _keras_mask = None  # the timestep mask a layer output carries (see Layer.compute_mask)

    def __init__(self, data, requires_grad=False, name=None):
        self.data = data if isinstance(data, xp.ndarray) else _to_array(data)
        self.grad = None
        self.creator = None
        self.generation = 0
        self.name = name
        self._retain_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # ----------------------------------------------------------------- properties
    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def T(self):
        return self.transpose()

    @property
    def is_leaf(self):
        return self.creator is None

    def __len__(self):
        return len(self.data)

    def __iter__(self):
        """Iterate over the first axis (each item is a differentiable ``self[i]``)."""
        return (self[i] for i in range(len(self.data)))

    def __repr__(self):
        body = xp.array2string(self.data, separator=", ", prefix="tensor(")
        extras = []
        if self.data.dtype not in (config.default_float, xp.int64, xp.bool_):
            extras.append(f"dtype={self.data.dtype}")
        if self.creator is not None:
            extras.append(f"grad_fn={type(self.creator).__name__}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({body}{''.join(', ' + e for e in extras)})"

    # ----------------------------------------------------------------- conversion
    def numpy(self):
        """The underlying ndarray (shared, not copied)."""
        return self.data

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.data.size != 1:
            raise ShapeError(f"item(): expected a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def astype(self, dtype):
        """A differentiable cast to ``dtype``."""
        from glassnet.ops.math import cast

        return cast(self, dtype)

    def float(self):
        return self.astype(config.default_float)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(
                f"The truth value of a tensor with shape {self.shape} is ambiguous; "
                "use .any() or .all()"
            )
        return bool(self.data)

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def __hash__(self):
        return id(self)

    # ----------------------------------------------------------------- operators
    # (they call the op classes directly: one op is the hot path of every model)
    def __add__(self, other):
        return _math.Add()(self, as_tensor(other, like=self))

    def __radd__(self, other):
        return _math.Add()(as_tensor(other, like=self), self)

    def __sub__(self, other):
        return _math.Sub()(self, as_tensor(other, like=self))

    def __rsub__(self, other):
        return _math.Sub()(as_tensor(other, like=self), self)

    def __mul__(self, other):
        return _math.Mul()(self, as_tensor(other, like=self))

    def __rmul__(self, other):
        return _math.Mul()(as_tensor(other, like=self), self)

    def __truediv__(self, other):
        return _math.Div()(self, as_tensor(other, like=self))

    def __rtruediv__(self, other):
        return _math.Div()(as_tensor(other, like=self), self)

    def __matmul__(self, other):
        return _math.MatMul()(self, as_tensor(other, like=self))

    def __rmatmul__(self, other):
        return _math.MatMul()(as_tensor(other, like=self), self)

    def __pow__(self, other):
        return _math.power(self, other)

    def __rpow__(self, other):
        return _math.power(as_tensor(other, like=self), self)

    def __neg__(self):
        return _math.Neg()(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _math.abs(self)

    # comparisons give boolean tensors and no gradient
    def __eq__(self, other):
        return Tensor(self.data == _raw(other))

    def __ne__(self, other):
        return Tensor(self.data != _raw(other))

    def __lt__(self, other):
        return Tensor(self.data < _raw(other))

    def __le__(self, other):
        return Tensor(self.data <= _raw(other))

    def __gt__(self, other):
        return Tensor(self.data > _raw(other))

    def __ge__(self, other):
        return Tensor(self.data >= _raw(other))

    def __getitem__(self, index):
        return _shape.getitem(self, index)

    # ----------------------------------------------------------------- methods
    def exp(self):
        return _math.exp(self)

    def log(self):
        return _math.log(self)

    def sqrt(self):
        return _math.sqrt(self)

    def sin(self):
        return _math.sin(self)

    def cos(self):
        return _math.cos(self)

    def tanh(self):
        return _math.tanh(self)

    def abs(self):
        return _math.abs(self)

    def clip(self, min=None, max=None):
        return _math.clip(self, min, max)

    def sum(self, axis=None, keepdims=False):
        return _reduce.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _reduce.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _reduce.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _reduce.min(self, axis, keepdims)

    def reshape(self, *shape):
        return _shape.reshape(self, *shape)

    view = reshape

    def flatten(self):
        return _shape.reshape(self, -1)

    def transpose(self, *axes):
        return _shape.transpose(self, *axes)

    def permute(self, *axes):
        return _shape.transpose(self, *axes)

    def broadcast_to(self, *shape):
        return _shape.broadcast_to(self, *shape)

    expand = broadcast_to

    def sum_to(self, shape):
        return _shape.sum_to(self, shape)

    def squeeze(self, axis=None):
        return _shape.squeeze(self, axis)

    def unsqueeze(self, axis):
        return _shape.unsqueeze(self, axis)

    def argmax(self, axis=None):
        return Tensor(self.data.argmax(axis=axis))

    def argmin(self, axis=None):
        return Tensor(self.data.argmin(axis=axis))

    def any(self, axis=None):
        return Tensor(self.data.any(axis=axis))

    def all(self, axis=None):
        return Tensor(self.data.all(axis=axis))

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, flag=True):
        """Mark this tensor as one whose gradient ``backward()`` should compute (in place)."""
        if flag and self.data.dtype.kind != "f":
            raise GlassnetTypeError(
                f"requires_grad: only floating-point tensors can require gradients, "
                f"got dtype {self.data.dtype}"
            )
        self.requires_grad = bool(flag)
        return self

    def retain_grad(self):
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep theirs)."""
        self._retain_grad = True
        return self

    def detach(self):
        """A new tensor sharing the data, cut from the graph."""
        return Tensor(self.data)

    def zero_grad(self):
        """Forget the accumulated gradient."""
        self.grad = None

    def set_creator(self, function):
        self.creator = function
        self.generation = function.generation + 1
        self.requires_grad = True

    def backward(self, grad=None, retain_graph=True, create_graph=False):
        """Compute d(self)/d(leaf) for every leaf that requires grad, accumulating into ``.grad``.

        Args:
            grad: dL/d(self); may be omitted only when self has one element (then 1).
            retain_graph: accepted for PyTorch compatibility; glassnet keeps a graph for as long
                as its output tensor lives, so backward may be called again (gradients add up).
            create_graph: record the backward computation itself, so that the gradients are
                differentiable (second derivatives, Hessian-vector products).
        """
        _backward(self, grad, create_graph, capture=None, caller="backward()")


def grad(output, inputs, grad_output=None, create_graph=False):
    """Gradients of ``output`` with respect to ``inputs``, returned instead of stored.

    Like ``torch.autograd.grad``: no ``.grad`` attribute changes, so it can be used inside a
    function that is itself differentiated (gradient penalties, Hessian-vector products).

    Args:
        output: the Tensor to differentiate.
        inputs: a Tensor or a list of Tensors (leaves or intermediate results).
        grad_output: d(L)/d(output); may be omitted when output has one element.
        create_graph: make the returned gradients differentiable.

    Returns:
        A list with one gradient Tensor per input (None where output does not depend on it).

    Example:
        >>> import glassnet as gn
        >>> from glassnet.tensor import grad
        >>> x = gn.tensor(3.0, requires_grad=True)
        >>> (dx,) = grad(x**3, x, create_graph=True)
        >>> dx.item(), grad(dx, x)[0].item(), x.grad
        (27.0, 18.0, None)
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    capture = {id(x): None for x in inputs}
    _backward(output, grad_output, create_graph, capture, caller="grad()")
    return [capture[id(x)] for x in inputs]


def _backward(root, grad, create_graph, capture, caller):
    """Check ``grad`` against ``root``, then run the backward pass with grad mode set."""
    if not root.requires_grad:
        raise GlassnetTypeError(
            f"{caller}: this tensor does not require grad and has no graph; create the "
            "inputs with requires_grad=True (and not inside gn.no_grad())"
        )
    if grad is None:
        if root.data.size != 1:
            raise ShapeError(
                f"{caller}: grad can be omitted only for a tensor with one element, "
                f"but this tensor has shape {root.shape}; pass grad= of the same shape "
                f"(or reduce it first, e.g. y.sum().backward())"
            )
        grad = Tensor(xp.ones_like(root.data))
    else:
        grad = as_tensor(grad, like=root)
        if grad.shape != root.shape:
            raise ShapeError(f"{caller}: grad has shape {grad.shape}, expected {root.shape}")
    hooks = _op_hooks[:]
    _op_hooks.clear()  # ops run by backward itself are not traced
    old, config.enable_grad = config.enable_grad, create_graph
    try:
        _run_backward(root, grad, create_graph, capture)
    finally:
        config.enable_grad = old
        _op_hooks[:] = hooks


def _topological_functions(root):
    """Every Function that leads to ``root``, each before the functions that feed it."""
    order, seen = [], set()
    stack = [(root.creator, False)] if root.creator is not None else []
    while stack:
        function, expanded = stack.pop()
        if expanded:
            order.append(function)
            continue
        if id(function) in seen:
            continue
        seen.add(id(function))
        stack.append((function, True))
        for x in function.inputs:
            if x.creator is not None and id(x.creator) not in seen:
                stack.append((x.creator, False))
    order.reverse()  # post-order reversed: outputs first
    return order


def _accumulate(tensor, grad, owned=None):
    """Add ``grad`` into ``tensor.grad``.

    With ``owned`` (a set of array ids, first-order backward only) a stored gradient must own
    writable memory not shared with another stored gradient, so that optimizers and clipping
    may update ``.grad.data`` in place: views (a broadcast ``sum`` gradient) and arrays already
    handed to another tensor (``a + b`` gives both the same gradient) are copied.
    """
    if tensor.grad is not None:
        tensor.grad = tensor.grad + grad
        return
    if owned is not None:
        data = grad.data
        if data.base is not None or not data.flags.writeable or id(data) in owned:
            grad = Tensor(data.copy())
        owned.add(id(grad.data))
    tensor.grad = grad


def _run_backward(root, grad, create_graph=False, capture=None):
    """Walk the graph from ``root`` back to the leaves, applying each op's backward.

    Gradients go into the ``.grad`` of leaves and of ``retain_grad()`` tensors or, when
    ``capture`` (a dict ``id(tensor) -> None``) is given, are summed into it instead.
    """
    grads = {id(root): grad}
    owned = None if create_graph else {id(grad.data)}

    def deliver(x, gx):
        if capture is None:
            _accumulate(x, gx, owned)
        elif id(x) in capture:
            previous = capture[id(x)]
            capture[id(x)] = gx if previous is None else previous + gx

    if root.creator is None or root._retain_grad or capture is not None:
        deliver(root, grad)
    for function in _topological_functions(root):
        outputs = [ref() for ref in function.outputs]
        gys = [grads.pop(id(y), None) if y is not None else None for y in outputs]
        if all(g is None for g in gys):
            continue
        gys = [
            Tensor(xp.zeros(shape, dtype)) if g is None else g
            for g, (shape, dtype) in zip(gys, function.output_meta, strict=True)
        ]
        try:
            if config.detect_anomaly:  # NaN/inf raise AnomalyError below: NumPy's warnings go
                with xp.errstate(all="ignore"):
                    gxs = function.backward(*gys)
            else:
                gxs = function.backward(*gys)
        except AnomalyError as error:  # an op inside this backward made NaN/inf: name both
            raise AnomalyError(f"in the backward of {type(function).__name__}: {error}") from None
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx in zip(function.inputs, gxs, strict=False):
            if gx is None or not x.requires_grad:
                continue
            if gx.data.dtype != x.data.dtype:
                gx = gx.astype(x.data.dtype)
            if gx.shape != x.shape:
                raise ShapeError(
                    f"{type(function).__name__}.backward returned a gradient of shape "
                    f"{gx.shape} for an input of shape {x.shape}"
                )
            if config.detect_anomaly and not xp.all(xp.isfinite(gx.data)):
                raise AnomalyError(
                    f"detect_anomaly: the backward of {type(function).__name__} produced "
                    f"NaN/inf in the gradient of an input of shape {x.shape}"
                )
            if x.creator is None:
                deliver(x, gx)
            else:
                previous = grads.get(id(x))
                grads[id(x)] = gx if previous is None else previous + gx
                if x._retain_grad or capture is not None:
                    deliver(x, gx)


class Function:
    """A differentiable operation: ``forward`` on arrays and ``backward`` on gradients.

    Subclasses implement ``forward(*arrays) -> array or tuple of arrays`` and
    ``backward(*grad_outputs) -> grad or tuple of grads`` (Tensors, one per input; ``None``
    for an input that takes no gradient). In backward, ``self.inputs`` holds the input
    Tensors and ``self.output()`` returns the (first) output Tensor.
    """

    def __call__(self, *inputs):
        inputs = [x if isinstance(x, Tensor) else as_tensor(x) for x in inputs]
        arrays = [x.data for x in inputs]
        try:
            if config.detect_anomaly:  # NaN/inf raise AnomalyError below: NumPy's warnings go
                with xp.errstate(all="ignore"):
                    ys = self.forward(*arrays)
            else:
                ys = self.forward(*arrays)
        except ValueError as error:  # NumPy's shape errors: name the op and the input shapes
            if isinstance(error, GlassnetError):
                raise
            shapes = ", ".join(str(x.shape) for x in inputs)
            raise ShapeError(f"{type(self).__name__}: {error} (input shapes {shapes})") from None
        if isinstance(ys, tuple):
            outputs = tuple(Tensor(y if isinstance(y, xp.ndarray) else xp.asarray(y)) for y in ys)
        else:
            outputs = (Tensor(ys if isinstance(ys, xp.ndarray) else xp.asarray(ys)),)
        if config.detect_anomaly:
            for y in outputs:
                if y.data.dtype.kind == "f" and not xp.all(xp.isfinite(y.data)):
                    shapes = ", ".join(str(x.shape) for x in inputs)
                    raise AnomalyError(
                        f"detect_anomaly: {type(self).__name__} produced NaN/inf in forward "
                        f"(input shapes {shapes})"
                    )
        if config.enable_grad:
            for x in inputs:
                if x.requires_grad:
                    self._connect(inputs, outputs)
                    break
        for hook in _op_hooks:
            hook(self, inputs, outputs)
        return outputs if len(outputs) > 1 else outputs[0]

    def _connect(self, inputs, outputs):
        """Record the graph edges: strong references to inputs, weak ones to outputs."""
        self.generation = max([x.generation for x in inputs])
        self.inputs = inputs
        self.outputs = tuple([weakref.ref(y) for y in outputs])
        self.output_meta = tuple([(y.data.shape, y.data.dtype) for y in outputs])
        for y in outputs:
            y.set_creator(self)

    def output(self, index=0):
        return self.outputs[index]()

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError(f"{type(self).__name__} has no backward")


def _raw(value):
    return value.data if isinstance(value, Tensor) else value


def as_tensor(value, like=None):
    """Wrap ``value`` as a Tensor (no copy).

    A scalar (Python or NumPy number) takes ``like``'s float dtype, so ``x * 2`` and
    ``x / np.prod(shape)`` keep a float32 ``x`` float32.
    """
    if isinstance(value, Tensor):
        return value
    if like is not None and isinstance(value, _SCALARS) and like.data.dtype.kind == "f":
        return Tensor(xp.asarray(value, dtype=like.data.dtype))
    return Tensor(_to_array(value))


def tensor(data, dtype=None, requires_grad=False, name=None):
    """Create a tensor from data (always a copy).

    Python floats become float32 (glassnet's default); NumPy arrays keep their dtype, so
    float64 input stays float64; ``dtype=`` forces one.

    Args:
        data: a number, nested list of numbers, ndarray or Tensor.
        dtype: optional dtype (``gn.float32``, ``gn.float64``, ``"float64"``...).
        requires_grad: record operations on it for ``backward()``.
        name: optional label for traces.

    Returns:
        A new :class:`Tensor`.

    Example:
        >>> import glassnet as gn
        >>> w = gn.tensor(3.0, requires_grad=True)
        >>> w.dtype
        dtype('float32')
    """
    array = xp.array(_to_array(data, dtype), copy=True)
    return Tensor(array, requires_grad=requires_grad, name=name)


# The ops modules import this one, so they are imported last; the Tensor methods above look
# them up when called.
from glassnet.ops import math as _math  # noqa: E402
from glassnet.ops import reduce as _reduce  # noqa: E402
from glassnet.ops import shape as _shape  # noqa: E402
