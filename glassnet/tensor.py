"""Tensor, Function and backward: glassnet's define-by-run autodiff engine.

A :class:`Tensor` wraps an ndarray (``.data``) and, when it was produced by an op while
gradients are being recorded, remembers the :class:`Function` that made it (its *creator*).
``backward()`` walks those creators in reverse topological order and asks each one for the
gradients of its inputs. :func:`grad` returns gradients instead of storing them in ``.grad``
(like ``torch.autograd.grad``).

Every op lives in ``glassnet/ops`` as a Function subclass with ``forward`` (on arrays) and
``backward`` side by side. ``backward(create_graph=True)`` records the backward computation
itself, so its gradients can be differentiated again (Hessian-vector products, gradient
penalties). That is only correct for an op whose backward is itself built from differentiable
ops while the graph is recorded; an op whose backward works on plain arrays declares
``higher_order = False``, and a create_graph backward through it raises
:class:`~glassnet.errors.HigherOrderError` naming it, instead of silently giving a wrong second
derivative. ``gn.gradgradcheck`` checks second derivatives numerically.

This module imports nothing from ``glassnet.ops``: op classes register themselves by name in
:data:`_OPS` when ``glassnet.ops`` is imported (``glassnet/__init__.py`` does), and Tensor's
operators and methods look them up there. The walk itself is :func:`glassnet.graph.
topological_order`, shared with functional models.

(At about 700 lines this module is one concept: Tensor, Function and the backward walk each
need the other two -- a Tensor remembers the Function that made it, a Function makes Tensors,
backward walks both -- so, as in DeZero's core, they are read together.)
"""

import weakref

from glassnet.backend import xp
from glassnet.config import PerThreadList, config, per_thread, using_config
from glassnet.errors import (
    AnomalyError,
    GlassnetError,
    GlassnetTypeError,
    HigherOrderError,
    ShapeError,
)
from glassnet.graph import topological_order

_NUMERIC_KINDS = "biuf"
_SCALARS = (int, float, xp.integer, xp.floating)  # "weak" scalars: they take a tensor's dtype

# Callables hook(function, inputs, outputs) run after every op; ``gn.trace`` adds one. Empty
# (and so free) unless a trace is active; suspended while backward() runs. Per thread: a trace
# records the ops of the thread that opened it only.
_op_hooks = PerThreadList()

# Name -> op class (every public Function subclass defined in glassnet, by class name) or
# functional form (``register_op``) in glassnet.ops; filled as glassnet.ops is imported.
_OPS = {}


def register_op(op, name=None):
    """Record a glassnet op class or functional form under ``name`` (default: its ``__name__``).

    Tensor's operators and methods find their ops here, so that this module needs no import of
    ``glassnet.ops``. Two different glassnet objects may not share a name.

    Example:
        >>> from glassnet.tensor import _OPS
        >>> _OPS["AddFunction"].__module__
        'glassnet.ops.math'
    """
    name = op.__name__ if name is None else name
    existing = _OPS.get(name)
    if existing is not None and (existing.__module__, existing.__qualname__) != (
        op.__module__, op.__qualname__
    ):
        raise GlassnetError(
            f"register_op: the name {name!r} is taken by {existing.__module__}."
            f"{existing.__qualname__}; give {op.__module__}.{op.__qualname__} another name"
        )
    _OPS[name] = op
    return op


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
            extras.append(f"grad_fn={self.creator.op_name}")
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
        return _OPS["cast"](self, dtype)

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
    # (they call the op classes directly, found by name: one op is the hot path of every model)
    def __add__(self, other):
        return _OPS["AddFunction"]()(self, as_tensor(other, like=self))

    def __radd__(self, other):
        return _OPS["AddFunction"]()(as_tensor(other, like=self), self)

    def __sub__(self, other):
        return _OPS["SubFunction"]()(self, as_tensor(other, like=self))

    def __rsub__(self, other):
        return _OPS["SubFunction"]()(as_tensor(other, like=self), self)

    def __mul__(self, other):
        return _OPS["MulFunction"]()(self, as_tensor(other, like=self))

    def __rmul__(self, other):
        return _OPS["MulFunction"]()(as_tensor(other, like=self), self)

    def __truediv__(self, other):
        return _OPS["DivFunction"]()(self, as_tensor(other, like=self))

    def __rtruediv__(self, other):
        return _OPS["DivFunction"]()(as_tensor(other, like=self), self)

    def __matmul__(self, other):
        return _OPS["MatMulFunction"]()(self, as_tensor(other, like=self))

    def __rmatmul__(self, other):
        return _OPS["MatMulFunction"]()(as_tensor(other, like=self), self)

    def __pow__(self, other):
        return _OPS["power"](self, other)

    def __rpow__(self, other):
        return _OPS["power"](as_tensor(other, like=self), self)

    def __neg__(self):
        return _OPS["NegFunction"]()(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _OPS["abs"](self)

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
        return _OPS["getitem"](self, index)

    # ----------------------------------------------------------------- methods
    def exp(self):
        return _OPS["exp"](self)

    def log(self):
        return _OPS["log"](self)

    def sqrt(self):
        return _OPS["sqrt"](self)

    def sin(self):
        return _OPS["sin"](self)

    def cos(self):
        return _OPS["cos"](self)

    def tanh(self):
        return _OPS["tanh"](self)

    def abs(self):
        return _OPS["abs"](self)

    def clip(self, min=None, max=None):
        return _OPS["clip"](self, min, max)

    def sum(self, axis=None, keepdims=False):
        return _OPS["sum"](self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _OPS["mean"](self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _OPS["max"](self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _OPS["min"](self, axis, keepdims)

    def reshape(self, *shape):
        return _OPS["reshape"](self, *shape)

    view = reshape

    def flatten(self):
        return _OPS["reshape"](self, -1)

    def transpose(self, *axes):
        return _OPS["transpose"](self, *axes)

    def permute(self, *axes):
        return _OPS["transpose"](self, *axes)

    def broadcast_to(self, *shape):
        return _OPS["broadcast_to"](self, *shape)

    expand = broadcast_to

    def sum_to(self, shape):
        return _OPS["sum_to"](self, shape)

    def squeeze(self, axis=None):
        return _OPS["squeeze"](self, axis)

    def unsqueeze(self, axis):
        return _OPS["unsqueeze"](self, axis)

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

    # ----------------------------------------------------------------- Keras variable API
    @property
    def value(self):
        """Keras 3's ``variable.value``: the tensor itself."""
        return self

    def assign(self, value):
        """Set every value in place (Keras's ``Variable.assign``; not recorded in any graph)."""
        self.data[...] = _raw(value)

    def assign_add(self, delta):
        """``self += delta`` in place (Keras's ``Variable.assign_add``; not recorded)."""
        self.data += xp.asarray(_raw(delta)).astype(self.data.dtype, copy=False)

    def assign_sub(self, delta):
        """``self -= delta`` in place (Keras's ``Variable.assign_sub``; not recorded)."""
        self.data -= xp.asarray(_raw(delta)).astype(self.data.dtype, copy=False)

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
    try:
        with using_config("enable_grad", create_graph):  # this thread's grad mode only
            _run_backward(root, grad, create_graph, capture)
    finally:
        _op_hooks[:] = hooks


def _topological_functions(root):
    """Every Function that leads to ``root``, each before the functions that feed it."""
    if root.creator is None:
        return []
    # Inputs are walked last first: the order backward has always used, which fixes the order
    # in which a reused tensor's gradients are summed (so results stay bit-identical).
    order = topological_order(
        [root.creator],
        lambda function: [x.creator for x in reversed(function.inputs) if x.creator is not None],
    )
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
        if create_graph and not function.higher_order:
            raise _first_order_only(function)
        try:
            if config.detect_anomaly:  # NaN/inf raise AnomalyError below: NumPy's warnings go
                with xp.errstate(all="ignore"):
                    gxs = function.backward(*gys)
            else:
                gxs = function.backward(*gys)
        except AnomalyError as error:  # an op inside this backward made NaN/inf: name both
            raise AnomalyError(f"in the backward of {function.op_name}: {error}") from None
        if not isinstance(gxs, tuple):
            gxs = (gxs,)
        for x, gx in zip(function.inputs, gxs, strict=False):
            if gx is None or not x.requires_grad:
                continue
            if gx.data.dtype != x.data.dtype:
                gx = gx.astype(x.data.dtype)
            if gx.shape != x.shape:
                raise ShapeError(
                    f"{function.op_name}.backward returned a gradient of shape "
                    f"{gx.shape} for an input of shape {x.shape}"
                )
            if config.detect_anomaly and not xp.all(xp.isfinite(gx.data)):
                raise AnomalyError(
                    f"detect_anomaly: the backward of {function.op_name} produced "
                    f"NaN/inf in the gradient of an input of shape {x.shape}"
                )
            if x.creator is None:
                deliver(x, gx)
            else:
                previous = grads.get(id(x))
                grads[id(x)] = gx if previous is None else previous + gx
                if x._retain_grad or capture is not None:
                    deliver(x, gx)


def _first_order_only(function):
    """The HigherOrderError of a create_graph backward that meets a first-order-only op."""
    cls = type(function)
    hint = cls.higher_order_hint or (
        "compose the computation from differentiable ops (gn.matmul, gn.exp, F.sigmoid ...) "
        "where higher derivatives are needed"
    )
    return HigherOrderError(
        f"{cls.__name__} ({cls.__module__}) is first-order only: its backward computes on "
        f"arrays, so backward(create_graph=True) / grad(..., create_graph=True) through it "
        f"cannot give higher derivatives. Instead: {hint}."
    )


class Function:
    """A differentiable operation: ``forward`` on arrays and ``backward`` on gradients.

    Subclasses implement ``forward(*arrays) -> array or tuple of arrays`` and
    ``backward(*grad_outputs) -> grad or tuple of grads`` (Tensors, one per input; ``None``
    for an input that takes no gradient). In backward, ``self.inputs`` holds the input
    Tensors and ``self.output()`` returns the (first) output Tensor.

    Class attributes:
        higher_order: True (the default) when backward, run while a graph is recorded
            (``config.enable_grad`` is True only during a ``create_graph=True`` backward),
            builds its gradients from differentiable ops, so that they can be differentiated
            again. An op whose backward computes on plain arrays sets it to False; a
            create_graph backward through it then raises :class:`HigherOrderError`.
        higher_order_hint: what to use instead, appended to that error's message.
        op_name: the name traces, reprs and error messages show: the class name without its
            ``Function`` suffix (``MulFunction`` -> ``Mul``).

    Example:
        >>> import glassnet as gn
        >>> y = gn.tensor(2.0, requires_grad=True) * 3
        >>> type(y.creator).__name__, y.creator.op_name, y.creator.higher_order
        ('MulFunction', 'Mul', True)
        >>> gn.ops.recurrent.LSTMFunction.higher_order
        False
    """

    higher_order = True
    higher_order_hint = ""
    op_name = "Function"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.op_name = cls.__name__.removesuffix("Function") or cls.__name__
        if cls.__module__.startswith("glassnet.") and not cls.__name__.startswith("_"):
            register_op(cls)

    def __call__(self, *inputs):
        inputs = [x if isinstance(x, Tensor) else as_tensor(x) for x in inputs]
        arrays = [x.data for x in inputs]
        try:
            if per_thread.detect_anomaly:  # NaN/inf raise AnomalyError below: NumPy's warnings go
                with xp.errstate(all="ignore"):
                    ys = self.forward(*arrays)
            else:
                ys = self.forward(*arrays)
        except ValueError as error:  # NumPy's shape errors: name the op and the input shapes
            if isinstance(error, GlassnetError):
                raise
            shapes = ", ".join(str(x.shape) for x in inputs)
            raise ShapeError(f"{self.op_name}: {error} (input shapes {shapes})") from None
        if isinstance(ys, tuple):
            outputs = tuple(Tensor(y if isinstance(y, xp.ndarray) else xp.asarray(y)) for y in ys)
        else:
            outputs = (Tensor(ys if isinstance(ys, xp.ndarray) else xp.asarray(ys)),)
        if per_thread.detect_anomaly:
            for y in outputs:
                if y.data.dtype.kind == "f" and not xp.all(xp.isfinite(y.data)):
                    shapes = ", ".join(str(x.shape) for x in inputs)
                    raise AnomalyError(
                        f"detect_anomaly: {self.op_name} produced NaN/inf in forward "
                        f"(input shapes {shapes})"
                    )
        if per_thread.enable_grad:
            for x in inputs:
                if x.requires_grad:
                    self._connect(inputs, outputs)
                    break
        for hook in _op_hooks.items:
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
