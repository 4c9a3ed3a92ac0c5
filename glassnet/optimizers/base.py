"""The Optimizer base class: everything an optimizer does except its own update rule.

An optimizer subclass only says which state it keeps per parameter (``init_state``) and how one
parameter is updated (``update_step``); this base class does the rest, in Keras 3's order::

    lr = learning_rate(iterations)           # float, schedule(step) or callable
    g  = clip(g)                              # clipnorm | clipvalue | global_clipnorm
    w  = w - lr * weight_decay * w            # 'decoupled' weight decay (Keras, AdamW), or
    g  = g + weight_decay * w                 # 'coupled' (L2 in the gradient: PyTorch/MindSpore)
    update_step(g, w, state, lr)              # the optimizer's own rule, in place
    iterations += 1

With the optional accelerator (``glassnet.kernels``, the ``[fast]`` extra) an optimizer that
has a fused kernel does the clipping, the weight decay and ``update_step`` of each parameter
in one pass (``_fused_step``); the global norm of ``global_clipnorm`` (a reduction) is still
taken in NumPy. The results are the same bit for bit: the NumPy code here and in each
``update_step`` is the reference, and runs whenever there is no kernel or the arrays do not
fit one (another dtype than float32/float64, not C-contiguous).

Three ways to apply it (they give identical results):

* Keras: ``opt.apply_gradients(zip(grads, params, strict=True))``
* define-by-run: ``loss.backward(); opt.step(params)`` (or ``opt.step()`` with ``params=`` bound
  at construction), then ``opt.zero_grad()``
* TF: ``opt.minimize(loss_fn, var_list)``

State is kept per parameter in the order the parameters are first seen; ``get_state()`` and
``set_state()`` save and restore it (and ``iterations``) so an interrupted run resumes
bit-for-bit.
"""

import inspect
import math
from typing import NamedTuple

from glassnet import kernels, schedules
from glassnet.backend import xp
from glassnet.errors import GlassnetTypeError, GlassnetValueError, ShapeError
from glassnet.hyperparameters import check_hyper
from glassnet.registry import Registry, lower_case_name
from glassnet.tensor import Tensor


def _as_learning_rate(where, value):
    """A float, a LearningRateSchedule or a callable (lists become a StepList schedule)."""
    if isinstance(value, schedules.LearningRateSchedule):
        return value
    if isinstance(value, (list, tuple, xp.ndarray)):
        return schedules.StepList(value)
    if callable(value):
        return value
    return check_hyper(where, "learning_rate", value, lambda v: 0 <= v < math.inf,
                       "a finite float >= 0, a LearningRateSchedule or a callable")


def _takes_step(fn):
    """Whether a plain callable learning rate wants the step (1 argument) or nothing (Keras)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    required = [p for p in params if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(required) >= 1


class Optimizer:
    """Base class of every optimizer.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` (called with ``iterations``), a list
            of per-step rates (MindSpore style), or a callable taking no argument (Keras) or the
            step.
        params: optional parameters (Tensors) to bind, so that ``step()`` and ``zero_grad()``
            need no argument.
        weight_decay: optional float >= 0.
        weight_decay_mode: ``'decoupled'`` (Keras 3, AdamW: ``w -= lr * weight_decay * w`` before
            the update) or ``'coupled'`` (PyTorch/MindSpore: ``g += weight_decay * w``).
        clipnorm: clip each gradient to this L2 norm: ``g * clipnorm / max(||g||, clipnorm)``.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together so that their global L2 norm is at most
            this: ``g * global_clipnorm / max(sqrt(sum ||g_i||^2), global_clipnorm)``.
            At most one of ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` (as in Keras 3).
        name: optional name (defaults to the lowercase class name).

    Subclasses set ``hyper_names`` (their extra constructor arguments, for ``get_config``) and
    implement ``init_state(variable) -> dict of arrays`` and
    ``update_step(grad, variable, state, learning_rate)`` working in place.
    """

    hyper_names = ()

    def __init__(self, learning_rate, *, params=None, weight_decay=None,
                 weight_decay_mode="decoupled", clipnorm=None, clipvalue=None,
                 global_clipnorm=None, name=None):
        where = type(self).__name__
        self.name = name or where.lower()
        self._learning_rate = _as_learning_rate(where, learning_rate)
        if weight_decay is not None:
            weight_decay = check_hyper(where, "weight_decay", weight_decay, lambda v: v >= 0,
                                       "None or a float >= 0")
        if weight_decay_mode not in ("decoupled", "coupled"):
            raise GlassnetValueError(
                f"{where}: `weight_decay_mode` must be 'decoupled' or 'coupled', "
                f"received weight_decay_mode={weight_decay_mode!r}"
            )
        self.weight_decay = weight_decay
        self.weight_decay_mode = weight_decay_mode
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = {k: v for k, v in clips.items() if v is not None}
        if len(given) > 1:
            raise GlassnetValueError(
                f"{where}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set, "
                f"received {', '.join(f'{k}={v!r}' for k, v in given.items())}"
            )
        for key, value in given.items():
            clips[key] = check_hyper(where, key, value, lambda v: v > 0, "None or a float > 0")
        self.clipnorm = clips["clipnorm"]
        self.clipvalue = clips["clipvalue"]
        self.global_clipnorm = clips["global_clipnorm"]
        self.iterations = 0
        self._params = []        # parameters in the order first seen
        self._states = []        # one dict of arrays per parameter, same order
        self._index = {}         # id(param) -> position
        self._pending = None     # state loaded by set_state() before the params were seen
        self._exclude_ids, self._exclude_names = set(), ()
        self.params = None if params is None else self._as_param_list(params)

    # ------------------------------------------------------------ subclass interface
    def init_state(self, variable):
        """The per-parameter state arrays, created once (zeros of the variable's shape...)."""
        return {}

    def update_step(self, grad, variable, state, learning_rate):
        """Update ``variable`` (an ndarray) and ``state`` in place from ``grad``."""
        raise NotImplementedError

    # ------------------------------------------------------------ learning rate
    @property
    def learning_rate(self):
        """The learning rate at the current ``iterations`` (a float); assignable."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            return float(lr(self.iterations))
        if callable(lr):
            return float(lr(self.iterations) if _takes_step(lr) else lr())
        return lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = _as_learning_rate(type(self).__name__, value)

    lr = learning_rate

    # ------------------------------------------------------------ parameters and state
    @staticmethod
    def _as_param_list(params):
        if isinstance(params, Tensor):
            return [params]
        params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise GlassnetTypeError(
                    f"optimizer: expected glassnet Tensors as parameters, got {type(p).__name__}"
                )
        return params

    def build(self, params):
        """Create the state of every parameter not seen yet (done automatically on first use)."""
        for p in self._as_param_list(params):
            self._state_of(p)

    def _state_of(self, param):
        position = self._index.get(id(param))
        if position is not None and self._params[position] is param:
            return self._states[position]
        if param.data.dtype.kind != "f":
            raise GlassnetTypeError(
                f"{type(self).__name__}: can only update floating-point parameters, got dtype "
                f"{param.data.dtype}"
            )
        state = self.init_state(param.data)
        position = len(self._params)
        if self._pending is not None:
            for key, array in state.items():
                saved = self._pending.get(f"{position}/{key}")
                if saved is not None:
                    if saved.shape != array.shape:
                        raise ShapeError(
                            f"set_state: saved '{position}/{key}' has shape {saved.shape}, "
                            f"parameter {position} needs {array.shape}"
                        )
                    array[...] = saved
        self._index[id(param)] = position
        self._params.append(param)
        self._states.append(state)
        return state

    @property
    def state(self):
        """``{param: {slot name: array}}`` in the order the parameters were first seen."""
        return dict(zip(self._params, self._states, strict=True))

    def variables(self):
        """All state arrays in a stable order: parameter by parameter, slot by slot."""
        return [array for state in self._states for array in state.values()]

    def get_state(self):
        """A flat ``{name: ndarray}`` snapshot (copies): ``'iterations'``, the learning rate
        when it is a plain float, and ``'<param index>/<slot>'`` for every state array."""
        snapshot = {"iterations": xp.array(self.iterations, dtype=xp.int64)}
        if isinstance(self._learning_rate, float):
            snapshot["learning_rate"] = xp.array(self._learning_rate, dtype=xp.float64)
        for i, state in enumerate(self._states):
            for key, array in state.items():
                snapshot[f"{i}/{key}"] = array.copy()
        return snapshot

    def set_state(self, snapshot):
        """Restore :meth:`get_state`'s snapshot. Parameters not seen yet get their saved state
        when first seen (in the same order as in the saved run)."""
        if not isinstance(snapshot, dict):
            raise GlassnetTypeError(f"set_state: the snapshot must be a dict of arrays, "
                                    f"received {type(snapshot).__name__}")
        snapshot = {k: xp.asarray(v) for k, v in snapshot.items()}
        for key, array in snapshot.items():
            if array.dtype.kind not in "biuf":
                raise GlassnetTypeError(f"set_state: {key!r} must be numeric, received an "
                                        f"array of dtype {array.dtype}")
        if "iterations" in snapshot:
            count = snapshot["iterations"]
            if count.shape != () or count.dtype.kind not in "iu" or not 0 <= int(count) < 2**62:
                raise GlassnetValueError(f"set_state: 'iterations' must be an integer in "
                                         f"0..2**62, received {count!r}"[:200])
            self.iterations = int(count)
        if "learning_rate" in snapshot and not callable(self._learning_rate):
            rate = snapshot["learning_rate"]
            if rate.shape != () or rate.dtype.kind != "f" or not math.isfinite(float(rate)):
                raise GlassnetValueError(f"set_state: 'learning_rate' must be a finite float, "
                                         f"received {rate!r}"[:200])
            self._learning_rate = float(rate)
        for i, state in enumerate(self._states):
            for key, array in state.items():
                saved = snapshot.get(f"{i}/{key}")
                if saved is not None:
                    if saved.shape != array.shape:
                        raise ShapeError(
                            f"set_state: saved '{i}/{key}' has shape {saved.shape}, "
                            f"parameter {i} needs {array.shape}"
                        )
                    array[...] = saved
        self._pending = snapshot

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Keep weight decay off these parameters, or off those whose ``name`` contains one of
        ``var_names`` (e.g. ``['bias']``)."""
        self._exclude_ids = {id(p) for p in (var_list or ())}
        self._exclude_names = tuple(var_names or ())

    def _decays(self, param):
        if id(param) in self._exclude_ids:
            return False
        name = param.name or ""
        return not any(part in name for part in self._exclude_names)

    # ------------------------------------------------------------ applying gradients
    def _clip_factors(self, grads):
        """The factor each gradient is multiplied by (clipnorm, global_clipnorm), or None."""
        if self.clipnorm is not None:
            c = self.clipnorm
            return [c / max(math.sqrt(float(xp.vdot(g, g))), c) for g in grads]
        if self.global_clipnorm is not None:
            c = self.global_clipnorm
            norm = math.sqrt(sum(float(xp.vdot(g, g)) for g in grads))
            return [c / max(norm, c)] * len(grads)
        return [None] * len(grads)

    def _clip_one(self, g, factor):
        """One gradient clipped: by value, or multiplied by its :meth:`_clip_factors` factor."""
        if self.clipvalue is not None:
            return xp.clip(g, -self.clipvalue, self.clipvalue)
        return g if factor is None else g * factor

    def _clip(self, grads):
        """All gradients clipped (clipnorm | clipvalue | global_clipnorm)."""
        return [self._clip_one(g, f)
                for g, f in zip(grads, self._clip_factors(grads), strict=True)]

    def _clip_in_kernels(self):
        """Whether the fused kernels may do :meth:`_clip`'s work (not if a subclass changed it)."""
        return type(self)._clip is Optimizer._clip

    def _fused_step(self, grad, variable, state, learning_rate, pre):
        """Apply ``pre`` (a :class:`Prologue`) and :meth:`update_step` in one fused kernel.

        A subclass with a kernel (``glassnet/kernels/optimizers.py``) overrides this; it returns
        False, having changed nothing, when there is no kernel or the arrays do not fit one
        (see :func:`fusable`), and the NumPy reference runs instead.
        """
        return False

    def _update(self, grads, params):
        lr = self.learning_rate
        clean = []
        for g, p in zip(grads, params, strict=True):
            g = g.data if isinstance(g, Tensor) else xp.asarray(g)
            if g.shape != p.data.shape:
                raise ShapeError(
                    f"{type(self).__name__}: gradient of shape {g.shape} for a parameter of "
                    f"shape {p.data.shape}"
                )
            clean.append(g.astype(p.data.dtype, copy=False))
        fuse = type(self)._fused_step is not Optimizer._fused_step and kernels.active()
        fold = fuse and self._clip_in_kernels()    # clip inside the kernels (norms in NumPy)
        factors = self._clip_factors(clean) if fold else [None] * len(clean)
        if not fold:
            clean = self._clip(clean)
        wd = self.weight_decay
        for g, p, factor in zip(clean, params, factors, strict=True):
            state = self._state_of(p)
            w = p.data
            decays = bool(wd) and self._decays(p)
            if fuse:
                pre = Prologue(
                    clipvalue=self.clipvalue if fold and self.clipvalue is not None else math.inf,
                    scale=1.0 if factor is None else factor,
                    coupled=wd if decays and self.weight_decay_mode == "coupled" else 0.0,
                    decay=1.0 - lr * wd if decays and self.weight_decay_mode == "decoupled"
                    else 1.0)
                if self._fused_step(g, w, state, lr, pre):
                    continue
                if fold:
                    g = self._clip_one(g, factor)
            if decays:
                if self.weight_decay_mode == "decoupled":
                    w *= 1.0 - lr * wd
                else:
                    g = g + wd * w
            self.update_step(g, w, state, lr)
        self.iterations += 1

    def apply_gradients(self, grads_and_vars):
        """Keras style: update each variable from its gradient; ``None`` gradients are skipped.

        Args:
            grads_and_vars: iterable of ``(gradient, parameter)``; a gradient may be a Tensor or
                an ndarray.

        Returns:
            The new ``iterations`` count.
        """
        pairs = [(g, p) for g, p in grads_and_vars]
        params = self._as_param_list(p for _, p in pairs)
        kept = [(g, p) for (g, _), p in zip(pairs, params, strict=True) if g is not None]
        if not kept:
            raise GlassnetValueError(
                f"{type(self).__name__}.apply_gradients: no gradients provided for any variable "
                f"(received {len(pairs)} pairs, all with gradient None)"
            )
        self._update([g for g, _ in kept], [p for _, p in kept])
        return self.iterations

    def apply(self, grads, trainable_variables=None):
        """Keras 3's ``apply(grads, trainable_variables)``; variables default to bound ones."""
        variables = self._bound(trainable_variables, "apply")
        return self.apply_gradients(zip(grads, variables, strict=True))

    def _bound(self, params, where):
        if params is None:
            if self.params is None:
                raise GlassnetValueError(
                    f"{type(self).__name__}.{where}: no parameters; pass them "
                    f"(opt.{where}(params)) or bind them at construction (params=...)"
                )
            return self.params
        return self._as_param_list(params)

    def step(self, params=None):
        """Define-by-run style: update the parameters from their ``.grad`` (set by backward).

        Parameters without a gradient are skipped; if none has one, nothing happens. The first
        ``step(params)`` of an optimizer built without ``params=`` binds them, so a following
        ``opt.zero_grad()`` or ``opt.step()`` needs no arguments.
        """
        if params is not None and self.params is None:
            self.params = self._as_param_list(params)
        params = [p for p in self._bound(params, "step") if p.grad is not None]
        if params:
            self._update([p.grad.data for p in params], params)
        return self.iterations

    def zero_grad(self, params=None):
        """Forget the gradients of ``params`` (or of the bound parameters)."""
        for p in self._bound(params, "zero_grad"):
            p.grad = None

    def minimize(self, loss, var_list=None):
        """TF style: compute ``loss()``, backpropagate to ``var_list`` and apply the update.

        The ``var_list`` gradients are cleared first and left in ``.grad`` afterwards (so they
        can be inspected).

        Args:
            loss: a callable returning a scalar Tensor (or that Tensor itself).
            var_list: the parameters (or a callable returning them); defaults to bound params.

        Returns:
            The loss Tensor.
        """
        if callable(var_list) and not isinstance(var_list, Tensor):
            var_list = var_list()
        params = self._bound(var_list, "minimize")
        for p in params:
            p.grad = None
        value = loss() if callable(loss) and not isinstance(loss, Tensor) else loss
        value.backward()
        kept = [p for p in params if p.grad is not None]
        if not kept:
            raise GlassnetValueError(
                f"{type(self).__name__}.minimize: the loss does not depend on any of the "
                f"{len(params)} variables"
            )
        self._update([p.grad.data for p in kept], kept)
        return value

    # ------------------------------------------------------------ config
    def get_config(self):
        """JSON-able constructor arguments (without bound parameters or state)."""
        lr = self._learning_rate
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif callable(lr):
            lr = self.learning_rate  # a plain callable cannot be serialized: its current value
        config = {"name": self.name, "learning_rate": lr}
        for key in self.hyper_names:
            value = getattr(self, key)
            config[key] = float(value) if isinstance(value, xp.floating) else value
        config.update(weight_decay=self.weight_decay, weight_decay_mode=self.weight_decay_mode,
                      clipnorm=self.clipnorm, clipvalue=self.clipvalue,
                      global_clipnorm=self.global_clipnorm)
        return config

    @classmethod
    def from_config(cls, config):
        """Rebuild an optimizer from :meth:`get_config`'s dict."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.deserialize(config["learning_rate"])
        return cls(**config)

    def __repr__(self):
        hypers = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.hyper_names)
        lr = self._learning_rate
        lr = lr if isinstance(lr, float) else type(lr).__name__
        return f"{type(self).__name__}(learning_rate={lr}{', ' if hypers else ''}{hypers})"


class Prologue(NamedTuple):
    """What the base class does to a gradient and its weights before ``update_step``, as the
    fused kernels take it (the neutral value of each field changes nothing)::

        g = clip(g, -clipvalue, clipvalue)    # clipvalue (inf: none)
        g = g * scale                         # clipnorm / global_clipnorm factor (1: none)
        g = g + coupled * w                   # 'coupled' weight decay (0: none)
        w = w * decay                         # 'decoupled' weight decay, 1 - lr * wd (1: none)
    """

    clipvalue: float
    scale: float
    coupled: float
    decay: float

    def scalars(self, cast):
        """``(scale, clip, coupled, decay)`` in a kernel's argument order, cast to its dtype."""
        return cast(self.scale), cast(self.clipvalue), cast(self.coupled), cast(self.decay)


def fusable(grad, variable, *state):
    """Whether a fused kernel takes these arrays: ndarrays of one shape and one dtype (float32
    or float64), all C-contiguous, the gradient not overlapping the weights it updates. A None
    in ``state`` (an optional slot the kernel then skips) is allowed."""
    dtype, shape = variable.dtype, variable.shape
    return (dtype in _KERNEL_DTYPES
            and all(isinstance(a, xp.ndarray) and a.dtype == dtype and a.shape == shape
                    and a.flags.c_contiguous
                    for a in (grad, variable, *state) if a is not None)
            and not xp.may_share_memory(grad, variable))


_KERNEL_DTYPES = (xp.dtype(xp.float32), xp.dtype(xp.float64))

# lower-cased class name ('adam', 'rmsprop') -> Optimizer subclass
REGISTRY = Registry("optimizer", module="optimizers", base=Optimizer, name_forms=lower_case_name)
_REGISTRY = REGISTRY.entries
register = REGISTRY.register  # class decorator: makes an optimizer known to optimizers.get
