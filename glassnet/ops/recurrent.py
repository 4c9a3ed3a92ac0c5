"""Recurrent sequence ops: simple_rnn, lstm and gru with Keras's weight layout and formulas.

Inputs are batch-major, ``x`` of shape (N, T, features) like Keras. Each op

1. multiplies the inputs of *all* timesteps by the kernel in one GEMM:
   ``Zx = x.reshape(N*T, in) @ W + b`` (time-major inside, so every step reads one block),
2. runs one loop over timesteps with one recurrent GEMM ``h_{t-1} @ U`` per step,
3. back-propagates through time in one reverse loop (one GEMM per step for dL/dh_{t-1}),
   and forms the weight gradients after the loop with GEMMs:
   ``[dW; db; dU] = [X 1 H_prev]^T dZ`` (one GEMM when all three are needed), ``dx = dZ W^T``.

Formulas (Keras 3; sigma = recurrent_activation, default sigmoid; phi = activation, default tanh):

SimpleRNN: ``h_t = phi(x_t W + h_{t-1} U + b)``.

LSTM, kernel (in, 4u), recurrent_kernel (u, 4u), bias (4u,), gate order i, f, c, o::

    z = x_t W + h_{t-1} U + b = [z_i, z_f, z_c, z_o]
    i = sigma(z_i), f = sigma(z_f), g = phi(z_c), o = sigma(z_o)
    c_t = f * c_{t-1} + i * g,   h_t = o * phi(c_t)

GRU, gate order z (update), r (reset), h (candidate). With ``reset_after=True`` (Keras's
default): kernel (in, 3u), recurrent_kernel (u, 3u), bias (2, 3u) = [input bias; recurrent
bias], and the reset gate multiplies the recurrent part *after* the matrix product::

    x_z, x_r, x_h = x_t W + b[0];   r_z, r_r, r_h = h_{t-1} U + b[1]
    z = sigma(x_z + r_z),  r = sigma(x_r + r_r),  hh = phi(x_h + r * r_h)
    h_t = z * h_{t-1} + (1 - z) * hh

With ``reset_after=False``: bias (3u,), ``hh = phi(x_h + (r * h_{t-1}) U_h)``.

``go_backwards`` processes the sequence in reverse and, like Keras, returns the output sequence
in that processed (reversed) order. ``mask`` (N, T) booleans skip steps like Keras's masking:
at a masked step the state (h, and c for the LSTM) and the output stay those of the previous
step, ``h_t = h_{t-1} + m_t (h_new - h_{t-1})``.

These fused ops compute backward (through time) on arrays: they are first order only
(``higher_order = False``), and a create_graph backward through them raises HigherOrderError.

With the optional accelerator (``glassnet.kernels``, numba), the default activations (tanh,
sigmoid) and float32/float64 arrays of one dtype, the element-wise work of each LSTM/GRU step
runs as one fused pass over the batch rows (:mod:`glassnet.kernels.recurrent`: the same
arithmetic in the same order, so the same results up to the ulps of exp and tanh); the GEMMs
are the same. The gates are then kept side by side, (T, N, k*u), instead of gate-major. Where
NumPy's bundled OpenBLAS is found (:mod:`glassnet.kernels.blas`), the LSTM runs each block of
batch rows through all its timesteps in one kernel, recurrent GEMMs included, and its input
and weight-gradient GEMMs by row blocks in numba's threads too, OpenBLAS held at one thread
meanwhile (its own threads stay asleep); results agree with the per-step path to float
rounding and do not depend on the thread count. The GRU lives in :mod:`glassnet.ops.gru`
(re-exported here).
"""

from glassnet import kernels
from glassnet.backend import xp
from glassnet.errors import GlassnetValueError, ShapeError
from glassnet.ops.activation_arrays import IN_PLACE, sigmoid_, sigmoid_of_exponent_, tanh_
from glassnet.tensor import Function, Tensor, as_tensor

# name -> (in-place activation, derivative expressed with the activation's output y)
ACTIVATIONS = IN_PLACE


def activation_name(activation):
    """Map a Keras activation argument (None, a name or a function) to a supported name."""
    if activation is None:
        return "linear"
    name = activation if isinstance(activation, str) else getattr(activation, "__name__", None)
    name = {"identity": "linear"}.get(name, name)
    if name not in ACTIVATIONS:
        raise GlassnetValueError(
            f"recurrent layers support the activations {', '.join(sorted(ACTIVATIONS))}, "
            f"got {activation!r}"
        )
    return name


def _step_kernels(op, names, *arrays):
    """The step kernels ``names`` of :mod:`glassnet.kernels.recurrent`, or None (NumPy path).

    They run when the accelerator is on, the activations are the defaults (tanh, sigmoid) and
    every array is float32 or float64 of one dtype.
    """
    if op.act is not tanh_ or op.ract is not sigmoid_:
        return None
    dtype = arrays[0].dtype
    if dtype not in (xp.float32, xp.float64) or any(a.dtype != dtype for a in arrays[1:]):
        return None
    found = [kernels.get("recurrent", name) for name in names]
    return None if found[0] is None else found


def _sequence_kernels(names, dtype):
    """The whole-sequence kernels ``names``, the module :mod:`glassnet.kernels.blas` and the
    address of NumPy's GEMM for ``dtype``; None where that BLAS is not found (per-step path).
    Only called once the step kernels were found (so numba is there)."""
    from glassnet.kernels import blas

    gemm_at = blas.gemm_address(dtype)
    if gemm_at is None:
        return None
    return (*(kernels.get("recurrent", name) for name in names), blas, gemm_at)


# ------------------------------------------------------------------------ shared machinery
class _Recurrent(Function):
    """Common forward/backward plumbing: time-major input GEMM and weight-gradient GEMMs."""

    gates = 1  # number of u-wide blocks in the kernel
    higher_order = False  # backward through time on arrays
    higher_order_hint = (
        "write the recurrence step by step with differentiable ops (x_t @ W + h @ U + b, "
        "F.sigmoid, F.tanh, gn.stack over the timesteps) where higher derivatives are needed"
    )

    def __init__(self, return_sequences=False, go_backwards=False, activation="tanh",
                 recurrent_activation="sigmoid", mask=None):
        self.return_sequences, self.go_backwards = return_sequences, go_backwards
        self.mask = mask
        self.act, self.dact = ACTIVATIONS[activation_name(activation)]
        self.ract, self.dract = ACTIVATIONS[activation_name(recurrent_activation)]

    def _check(self, x, w, u):
        name = type(self).__name__.lower()
        if x.ndim != 3:
            raise ShapeError(
                f"{name}: expected a 3-D input (batch, timesteps, features), got shape {x.shape}"
            )
        units = u.shape[0]
        if w.shape != (x.shape[2], self.gates * units) or u.shape != (units, self.gates * units):
            raise ShapeError(
                f"{name}: kernel {w.shape} and recurrent_kernel {u.shape} do not fit an input "
                f"with {x.shape[2]} features: expected ({x.shape[2]}, {self.gates}*units) and "
                f"(units, {self.gates}*units)"
            )
        if x.shape[1] == 0:
            raise ShapeError(f"{name}: the input has no timesteps (shape {x.shape})")
        return units

    def _input_gemm(self, x, w, b):
        """Time-major inputs X (T*N, in) and Zx = X W + b of shape (T, N, gates*u).

        X is kept with a column of ones, [X 1], so that the bias rides in the GEMM,
        Zx = [X 1] [W; b], and db comes out of the weight-gradient GEMM.
        """
        n, t, f = x.shape
        seq = x[:, ::-1] if self.go_backwards else x
        self.x1 = xp.empty((t * n, f + 1), dtype=xp.result_type(x, w))
        self.x1.reshape(t, n, f + 1)[:, :, :f] = seq.transpose(1, 0, 2)
        self.x1[:, f] = 1.0
        self.x2 = self.x1[:, :f]
        self.m = None  # time-major (T, N, 1) 0/1 mask: at 0, the state is carried over
        if self.mask is not None:
            mask = xp.asarray(self.mask, dtype=bool)
            if mask.shape != (n, t):
                raise ShapeError(f"{type(self).__name__.lower()}: expected a mask of shape "
                                 f"({n}, {t}) (batch, timesteps), got {mask.shape}")
            mask = mask[:, ::-1] if self.go_backwards else mask
            self.m = xp.ascontiguousarray(mask.T, dtype=x.dtype)[:, :, None]
        matmul = self._matmul()
        zx = matmul(self.x2, w) if b is None else matmul(self.x1, xp.concatenate([w, b[None]]))
        return zx.reshape(t, n, w.shape[1])

    def _matmul(self):
        """The GEMM of the input projection and weight gradients: with whole-sequence kernels
        :func:`glassnet.kernels.blas.matmul` (numba's threads, BLAS at one), else NumPy's."""
        sequence = getattr(self, "sequence", None)  # (forward, backward, blas module, gemm)
        return xp.matmul if sequence is None else sequence[2].matmul

    def _carry(self, new, previous, s):
        """Masked steps keep the previous state: new <- previous + m_t (new - previous)."""
        if self.m is not None:
            new -= previous
            new *= self.m[s]
            new += previous

    def _split_carry(self, grads, s):
        """Split state gradients into the masked-step carry and the cell's share (in place)."""
        if self.m is None:
            return None
        carries = [g * (1.0 - self.m[s]) for g in grads]
        for g in grads:
            g *= self.m[s]
        return carries

    def _step_mask(self, s, empty):
        """Step s's 0/1 mask (N,) for a kernel, or ``empty`` (a size-0 array) without a mask."""
        return empty if self.m is None else self.m[s, :, 0]

    def _sequence_mask(self, t):
        """The (T, N) 0/1 mask of a whole-sequence kernel, (T, 0) without a mask."""
        if self.m is None:
            return xp.empty((t, 0), dtype=self.x1.dtype)
        return xp.ascontiguousarray(self.m[:, :, 0])

    def _fused_grads(self, gy, gh, dtype):
        """Kernel path: dL/dh_T (a new array); the output gradients (T, N, u), (T, N, 0)
        without return_sequences; the masked steps' carry, zeros (N, u) with a mask, else
        (N, 0). All C-contiguous in ``dtype``."""
        dh, dseq = self._seq_grad(gy, gh)
        dh = xp.array(dh, dtype=dtype)
        carry = xp.empty((dh.shape[0], 0), dtype=dtype) if self.m is None else xp.zeros_like(dh)
        if dseq is None:
            steps = self.x1.shape[0] // dh.shape[0]
            return dh, xp.empty((steps, dh.shape[0], 0), dtype=dtype), carry
        return dh, xp.ascontiguousarray(dseq, dtype=dtype), carry

    def _outputs(self, hs):
        """(sequence or last output, last state) from hs (T+1, N, u) with hs[0] = h0."""
        y = hs[1:].transpose(1, 0, 2) if self.return_sequences else hs[-1]
        return y, hs[-1]

    def _seq_grad(self, gy, gh):
        """dL/dh_T and the per-step output gradients (T, N, u) or None."""
        dh = gh.data.copy()
        if self.return_sequences:
            return dh, gy.data.transpose(1, 0, 2)
        dh += gy.data
        return dh, None

    def _weight_grads(self, dzx, dzh, hprev, w, u, b_shape):
        """dx, dW, dU, db from the input-side and recurrent-side pre-activation gradients."""
        x, wt, ut = self.inputs[0], self.inputs[1], self.inputs[2]
        t, n, k = dzx.shape
        dzx2 = dzx.reshape(t * n, k)
        gx = gw = gu = gb = None
        matmul = self._matmul()
        if x.requires_grad:
            gx = matmul(dzx2, w.T).reshape(t, n, -1).transpose(1, 0, 2)
            gx = Tensor(gx[:, ::-1] if self.go_backwards else gx)
        if dzx is dzh and b_shape == (k,) and all(v.requires_grad for v in self.inputs[1:4]):
            # one GEMM for all three: [X 1 H_prev]^T dZ = [dW; db; dU]
            f = self.x2.shape[1]
            grads = matmul(xp.concatenate([self.x1, hprev.reshape(t * n, -1)], axis=1).T, dzx2)
            return gx, Tensor(grads[:f]), Tensor(grads[f + 1:]), Tensor(grads[f])
        if wt.requires_grad:
            gw = Tensor(matmul(self.x2.T, dzx2))
        if ut.requires_grad:
            gu = Tensor(matmul(hprev.reshape(t * n, -1).T, dzh.reshape(t * n, k)))
        if self.inputs[3].requires_grad:
            ones = xp.ones(t * n, dtype=dzx2.dtype)  # column sums as a GEMV (faster than .sum)
            gb = ones @ dzx2
            if b_shape == (2, k):
                gb = xp.stack([gb, ones @ dzh.reshape(t * n, k)])
            gb = Tensor(gb)
        return gx, gw, gu, gb


# ------------------------------------------------------------------------ SimpleRNN
class SimpleRNNFunction(_Recurrent):
    """h_t = phi(x_t W + h_{t-1} U + b). Outputs (y, h_T). First order only."""

    def forward(self, x, w, u, b, h0):
        self._check(x, w, u)
        zx = self._input_gemm(x, w, b)
        t = zx.shape[0]
        hs = xp.empty((t + 1,) + h0.shape, dtype=zx.dtype)
        hs[0] = h0
        for s in range(t):
            a = zx[s]
            a += hs[s] @ u
            hs[s + 1] = self.act(a)  # zx[s] keeps the new state before masking
            self._carry(hs[s + 1], hs[s], s)
        self.hs, self.h_new = hs, zx
        return self._outputs(hs)

    def backward(self, gy, gh):
        w, u = self.inputs[1].data, self.inputs[2].data
        hs = self.hs
        dh, dseq = self._seq_grad(gy, gh)
        da = xp.empty((hs.shape[0] - 1,) + dh.shape, dtype=dh.dtype)
        for s in range(da.shape[0] - 1, -1, -1):
            if dseq is not None:
                dh += dseq[s]
            carry = self._split_carry([dh], s)
            xp.multiply(dh, self.dact(self.h_new[s]), out=da[s])
            dh = da[s] @ u.T
            if carry:
                dh += carry[0]
        gx, gw, gu, gb = self._weight_grads(da, da, hs[:-1], w, u, self.inputs[3].shape)
        return gx, gw, gu, gb, Tensor(dh)


# ------------------------------------------------------------------------ LSTM
class LSTMFunction(_Recurrent):
    """Keras LSTM over a whole sequence (gates i, f, c, o). Outputs (y, h_T, c_T).

    Each step's pre-activations z = [z_i z_f z_c z_o] come out of the GEMMs side by side
    (N, 4u); they are copied once into gate-major order (4, N, u), so that every gate is one
    contiguous block for the element-wise work of forward and backward (NumPy runs strided
    blocks several times slower). The gradients dz are put back side by side for the GEMMs.

    First order only (backward through time on arrays).
    """

    gates = 4

    def forward(self, x, w, u, b, h0, c0):
        units = self._check(x, w, u)
        self.kernels = _step_kernels(self, ("lstm_forward_step", "lstm_backward_step"),
                                     x, w, u, b, h0, c0)
        self.sequence = None
        if self.kernels is not None and units > 0 and x.shape[0] > 0:
            self.sequence = _sequence_kernels(("lstm_forward_sequence", "lstm_backward_sequence"),
                                              x.dtype)
        if self.kernels is not None:
            return self._forward_fused(x, w, u, b, h0, c0)
        # Default activations: one pass of 1 / (1 + e^(-z)) over all four gates, with
        # tanh(z) = 2 sigmoid(2z) - 1 for the candidate block. The kernels are scaled by -1
        # (by -2 for the candidate block) so that the GEMMs produce the exponents -z directly.
        self.fused = fused = self.act is tanh_ and self.ract is sigmoid_
        if fused:
            scale = xp.full(4 * units, -1.0, dtype=u.dtype)
            scale[2 * units : 3 * units] = -2.0
            w, u, b = w * scale, u * scale, (None if b is None else b * scale)
        zs = self._input_gemm(x, w, b)  # (T, N, 4u)
        t, n = zs.shape[:2]
        acts = xp.empty((t, 4, n, units), dtype=zs.dtype)  # activated gates, gate-major
        hs = xp.empty((t + 1,) + h0.shape, dtype=zs.dtype)
        cs = xp.empty_like(hs)
        tcs = xp.empty((t,) + h0.shape, dtype=zs.dtype)
        hs[0], cs[0] = h0, c0
        for s in range(t):
            z = zs[s]
            z += hs[s] @ u
            a = acts[s]
            xp.copyto(a, z.reshape(n, 4, units).transpose(1, 0, 2))
            i, f, g, o = a
            if fused:
                sigmoid_of_exponent_(a)
                g *= 2.0
                g -= 1.0
            else:
                self.ract(a[:2])
                self.act(g)
                self.ract(o)
            c = cs[s + 1]
            xp.multiply(f, cs[s], out=c)
            c += i * g
            tc = tcs[s]
            if fused:  # tanh(c) = 2 sigmoid(2c) - 1 (NumPy's exp is faster than its tanh)
                xp.multiply(c, -2.0, out=tc)
                sigmoid_of_exponent_(tc)
                tc *= 2.0
                tc -= 1.0
            else:
                tc[...] = c
                self.act(tc)
            xp.multiply(o, tc, out=hs[s + 1])
            self._carry(c, cs[s], s)
            self._carry(hs[s + 1], hs[s], s)
        self.acts, self.hs, self.cs, self.tcs = acts, hs, cs, tcs
        y, h = self._outputs(hs)
        return y, h, cs[-1]

    def _forward_fused(self, x, w, u, b, h0, c0):
        """The kernel path: per step one GEMM and one pass (gates side by side, (N, 4u))."""
        step = self.kernels[0]
        zs = self._input_gemm(x, w, b)  # (T, N, 4u), not scaled
        t, n, k = zs.shape
        acts = xp.empty_like(zs)
        hs = xp.empty((t + 1, n, k // 4), dtype=zs.dtype)
        cs = xp.empty_like(hs)
        tcs = xp.empty_like(hs[1:])
        hs[0], cs[0] = h0, c0
        rec = xp.empty((n, k), dtype=zs.dtype)
        cast, empty = zs.dtype.type, xp.empty(0, dtype=zs.dtype)
        if self.sequence is not None:  # all steps in one kernel, GEMMs by row blocks
            run, blas, gemm_at = self.sequence[0], *self.sequence[2:]
            self.sequence_mask = self._sequence_mask(t)  # backward reuses it
            with blas.one_thread():
                run(zs, xp.ascontiguousarray(u), hs, cs, tcs, acts, self.sequence_mask, rec,
                    gemm_at, blas.block_rows(n, 32), cast(1.0), cast(2.0))
        else:
            for s in range(t):
                xp.matmul(hs[s], u, out=rec)
                step(zs[s], rec, cs[s], hs[s], self._step_mask(s, empty), acts[s], cs[s + 1],
                     tcs[s], hs[s + 1], cast(1.0), cast(2.0))
        self.acts, self.hs, self.cs, self.tcs = acts, hs, cs, tcs
        y, h = self._outputs(hs)
        return y, h, cs[-1]

    def _backward_fused(self, gy, gh, gc):
        step = self.kernels[1]
        w, u = self.inputs[1].data, self.inputs[2].data
        acts, cs, tcs = self.acts, self.cs, self.tcs
        t, n, k = acts.shape
        g, dseq, carry = self._fused_grads(gy, gh, acts.dtype)  # g: dL/dh of the step
        dc = xp.array(gc.data, dtype=acts.dtype)
        cast, empty = acts.dtype.type, xp.empty(0, dtype=acts.dtype)
        dz = xp.empty_like(acts)
        if self.sequence is not None:
            run, blas, gemm_at = self.sequence[1], *self.sequence[2:]
            with blas.one_thread():
                run(g, carry, dseq, self.sequence_mask, dc, acts, cs, tcs, dz,
                    xp.ascontiguousarray(u.T), gemm_at, blas.block_rows(n, 32), cast(1.0))
        else:
            ut = xp.ascontiguousarray(u.T)
            for s in range(t - 1, -1, -1):
                step(g, carry, dseq[s], self._step_mask(s, empty), dc, acts[s], cs[s], tcs[s],
                     dz[s], cast(1.0))
                xp.matmul(dz[s], ut, out=g)  # dL/dh_{t-1}
        if self.m is not None:
            g += carry
        gx, gw, gu, gb = self._weight_grads(dz, dz, self.hs[:-1], w, u, self.inputs[3].shape)
        return gx, gw, gu, gb, Tensor(g), Tensor(dc)

    def _derivatives(self, a, tc, out, tmp):
        """out <- [sigma'(z_i), sigma'(z_f), phi'(z_c), sigma'(z_o)]; tmp <- phi'(c_t)."""
        if self.fused:  # sigma' = y (1 - y), tanh' = 1 - y^2, in scratch arrays
            xp.subtract(1.0, a, out=out)
            out *= a
            xp.multiply(a[2], a[2], out=out[2])
            xp.subtract(1.0, out[2], out=out[2])
            xp.multiply(tc, tc, out=tmp)
            xp.subtract(1.0, tmp, out=tmp)
        else:
            out[0], out[1], out[2], out[3] = (self.dract(a[0]), self.dract(a[1]),
                                              self.dact(a[2]), self.dract(a[3]))
            tmp[...] = self.dact(tc)

    def backward(self, gy, gh, gc):
        if self.kernels is not None:
            return self._backward_fused(gy, gh, gc)
        w, u = self.inputs[1].data, self.inputs[2].data
        acts, cs, tcs = self.acts, self.cs, self.tcs
        t, _, n, units = acts.shape
        dh, dseq = self._seq_grad(gy, gh)
        dc = gc.data.copy()
        dz = xp.empty((t, n, 4 * units), dtype=acts.dtype)  # side by side, for the GEMMs
        ut = xp.ascontiguousarray(u.T)
        d = xp.empty_like(acts[0])  # this step's dz, gate-major
        der = xp.empty_like(acts[0])
        tmp = xp.empty_like(dc)
        for s in range(t - 1, -1, -1):
            if dseq is not None:
                dh += dseq[s]
            carry = self._split_carry([dh, dc], s)
            i, f, g, o = acts[s]
            tc = tcs[s]
            self._derivatives(acts[s], tc, der, tmp)
            xp.multiply(dh, tc, out=d[3])  # dz_o = dh tanh(c_t) sigma'(z_o)
            d[3] *= der[3]
            tmp *= o  # dc_t += dh o tanh'(c_t)
            tmp *= dh
            dc += tmp
            xp.multiply(dc, g, out=d[0])  # dz_i = dc g sigma'(z_i)
            d[0] *= der[0]
            xp.multiply(dc, cs[s], out=d[1])  # dz_f = dc c_{t-1} sigma'(z_f)
            d[1] *= der[1]
            xp.multiply(dc, i, out=d[2])  # dz_c = dc i tanh'(z_c)
            d[2] *= der[2]
            dc *= f  # dc_{t-1}
            xp.copyto(dz[s].reshape(n, 4, units), d.transpose(1, 0, 2))
            dh = dz[s] @ ut  # dh_{t-1}
            if carry:
                dh += carry[0]
                dc += carry[1]
        gx, gw, gu, gb = self._weight_grads(dz, dz, self.hs[:-1], w, u, self.inputs[3].shape)
        return gx, gw, gu, gb, Tensor(dh), Tensor(dc)


# ------------------------------------------------------------------------ GRU
def _state(state, x, units, name):
    if state is None:
        return Tensor(xp.zeros((x.shape[0], units), dtype=x.dtype))
    state = as_tensor(state)
    if state.shape != (x.shape[0], units):
        raise ShapeError(f"{name}: expected an initial state of shape ({x.shape[0]}, {units}), "
                         f"got {state.shape}")
    return state


def _bias(bias, shape, x):
    return Tensor(xp.zeros(shape, dtype=x.dtype)) if bias is None else as_tensor(bias)


def _states_list(initial_state, count, name):
    if initial_state is None:
        return [None] * count
    states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
    if len(states) != count:
        raise GlassnetValueError(f"{name}: expected {count} initial state(s), got {len(states)}")
    return states


def _mask(mask):
    return mask.data if isinstance(mask, Tensor) else mask


def _finish(outputs, return_state):
    if return_state:
        return list(outputs)
    return outputs[0]


def simple_rnn(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
               return_sequences=False, return_state=False, go_backwards=False, mask=None):
    """Fully connected RNN: h_t = activation(x_t W + h_{t-1} U + b).

    Args:
        x: (N, T, in). kernel: (in, u). recurrent_kernel: (u, u). bias: (u,) or None.
        initial_state: h_0 (N, u) (or a one-element list), zeros by default.
        activation: 'tanh' (default), 'relu', 'sigmoid' or 'linear'.
        return_sequences: return all h_t (N, T, u) instead of h_T (N, u).
        return_state: also return the last state: [output, h_T].
        go_backwards: process the sequence in reverse.
        mask: optional boolean (N, T); at a masked (False) step the state and the output
            stay those of the previous step (Keras's masking, e.g. Embedding(mask_zero=True)).

    Returns:
        output, or [output, h_T] with return_state.

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.recurrent import simple_rnn
        >>> x = np.ones((2, 5, 3), np.float32)
        >>> simple_rnn(x, np.zeros((3, 4), np.float32), np.zeros((4, 4), np.float32)).shape
        (2, 4)
    """
    x, kernel, recurrent_kernel = as_tensor(x), as_tensor(kernel), as_tensor(recurrent_kernel)
    units = recurrent_kernel.shape[0]
    (h0,) = _states_list(initial_state, 1, "simple_rnn")
    op = SimpleRNNFunction(return_sequences, go_backwards, activation, mask=_mask(mask))
    out = op(x, kernel, recurrent_kernel, _bias(bias, (units,), x),
             _state(h0, x, units, "simple_rnn"))
    return _finish(out, return_state)


def lstm(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
         recurrent_activation="sigmoid", return_sequences=False, return_state=False,
         go_backwards=False, mask=None):
    """Long short-term memory over a sequence, Keras's layout (gates i, f, c, o).

    c_t = f * c_{t-1} + i * tanh(z_c),  h_t = o * tanh(c_t)  (see the module docstring).

    Args:
        x: (N, T, in). kernel: (in, 4u). recurrent_kernel: (u, 4u). bias: (4u,) or None.
        initial_state: [h_0, c_0] (each (N, u)); zeros by default.
        activation, recurrent_activation: 'tanh' and 'sigmoid' by default.
        return_sequences, return_state, go_backwards: as in Keras.
        mask: optional boolean (N, T), as in :func:`simple_rnn`.

    Returns:
        output, or [output, h_T, c_T] with return_state.

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.recurrent import lstm
        >>> x = np.ones((2, 5, 3), np.float32)
        >>> out, h, c = lstm(x, np.zeros((3, 16), np.float32), np.zeros((4, 16), np.float32),
        ...                  return_state=True)
        >>> out.shape, c.shape
        ((2, 4), (2, 4))
    """
    x, kernel, recurrent_kernel = as_tensor(x), as_tensor(kernel), as_tensor(recurrent_kernel)
    units = recurrent_kernel.shape[0]
    h0, c0 = _states_list(initial_state, 2, "lstm")
    op = LSTMFunction(return_sequences, go_backwards, activation, recurrent_activation,
                      _mask(mask))
    out = op(x, kernel, recurrent_kernel, _bias(bias, (4 * units,), x),
             _state(h0, x, units, "lstm"), _state(c0, x, units, "lstm"))
    return _finish(out, return_state)


from glassnet.ops.gru import GRUFunction, gru  # noqa: E402, F401 - uses the plumbing above
