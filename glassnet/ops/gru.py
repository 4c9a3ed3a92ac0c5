"""The GRU sequence op (its formulas are in :mod:`glassnet.ops.recurrent`'s docstring).

It shares the recurrent plumbing of :mod:`glassnet.ops.recurrent` (the input GEMM for all
timesteps, the loop over time, masks, initial states, the fused step kernels of the optional
accelerator); ``glassnet.ops.recurrent`` re-exports ``GRUFunction`` and ``gru``.
"""

from glassnet.backend import xp
from glassnet.errors import ShapeError
from glassnet.ops.recurrent import (
    _bias,
    _finish,
    _mask,
    _Recurrent,
    _state,
    _states_list,
    _step_kernels,
)
from glassnet.tensor import Tensor, as_tensor


class GRUFunction(_Recurrent):
    """Keras GRU over a whole sequence (gates z, r, h). Outputs (y, h_T). First order only."""

    gates = 3

    def __init__(self, reset_after=True, **kwargs):
        super().__init__(**kwargs)
        self.reset_after = reset_after

    def forward(self, x, w, u, b, h0):
        units = self._check(x, w, u)
        expected = (2, 3 * units) if self.reset_after else (3 * units,)
        if b.shape != expected:
            raise ShapeError(f"gru: expected a bias of shape {expected} (reset_after="
                             f"{self.reset_after}), got {b.shape}")
        names = (("gru_forward_step", "gru_backward_step") if self.reset_after else
                 ("gru_forward_gates", "gru_forward_candidate", "gru_backward_candidate",
                  "gru_backward_reset"))
        self.kernels = _step_kernels(self, names, x, w, u, b, h0)
        gates = self._input_gemm(x, w, b[0] if self.reset_after else b)
        t = gates.shape[0]
        hs = xp.empty((t + 1,) + h0.shape, dtype=gates.dtype)
        hs[0] = h0
        if self.kernels is not None:
            return self._forward_fused(gates, hs, u, b)
        # reset_after: r_h = h_{t-1} U_h + b_h;  otherwise: r * h_{t-1}
        self.aux = xp.empty((t,) + h0.shape, dtype=gates.dtype)
        u2 = 2 * units
        for s in range(t):
            z = gates[s]
            hp = hs[s]
            if self.reset_after:
                rec = hp @ u
                rec += b[1]
                z[:, :u2] += rec[:, :u2]
                self.ract(z[:, :u2])
                self.aux[s] = rec[:, u2:]
                z[:, u2:] += z[:, units:u2] * rec[:, u2:]
            else:
                z[:, :u2] += hp @ u[:, :u2]
                self.ract(z[:, :u2])
                xp.multiply(z[:, units:u2], hp, out=self.aux[s])
                z[:, u2:] += self.aux[s] @ u[:, u2:]
            hh = self.act(z[:, u2:])
            h = hs[s + 1]
            xp.subtract(hp, hh, out=h)
            h *= z[:, :units]
            h += hh
            self._carry(h, hp, s)
        self.acts, self.hs = gates, hs
        return self._outputs(hs)

    def _forward_fused(self, gates, hs, u, b):
        """The kernel path: per step one (two without reset_after) GEMM and pass."""
        t, n, k = gates.shape
        units = k // 3
        self.aux = aux = xp.empty_like(hs[1:])
        cast, empty = gates.dtype.type, xp.empty(0, dtype=gates.dtype)
        if self.reset_after:
            step = self.kernels[0]
            rec = xp.empty((n, k), dtype=gates.dtype)
            for s in range(t):
                xp.matmul(hs[s], u, out=rec)
                step(gates[s], rec, b[1], hs[s], self._step_mask(s, empty), aux[s], hs[s + 1],
                     cast(1.0))
        else:
            step_gates, step_candidate = self.kernels[:2]
            u_zr = xp.ascontiguousarray(u[:, :2 * units])
            u_h = xp.ascontiguousarray(u[:, 2 * units:])
            rec = xp.empty((n, 2 * units), dtype=gates.dtype)
            rec_h = xp.empty_like(hs[0])
            for s in range(t):
                xp.matmul(hs[s], u_zr, out=rec)
                step_gates(gates[s], rec, hs[s], aux[s], cast(1.0))
                xp.matmul(aux[s], u_h, out=rec_h)
                step_candidate(gates[s], rec_h, hs[s], self._step_mask(s, empty), hs[s + 1],
                               cast(1.0))
        self.acts, self.hs = gates, hs
        return self._outputs(hs)

    def _backward_fused(self, gy, gh):
        u = self.inputs[2].data
        gates, hs, aux = self.acts, self.hs, self.aux
        t, n, k = gates.shape
        units = k // 3
        g, dseq, carry = self._fused_grads(gy, gh, gates.dtype)  # g: GEMM part of dL/dh
        res = xp.zeros_like(g)  # the rest of dL/dh
        cast, empty = gates.dtype.type, xp.empty(0, dtype=gates.dtype)
        dzx = xp.empty_like(gates)
        if self.reset_after:
            step = self.kernels[1]
            dzh = xp.empty_like(gates)
            ut = xp.ascontiguousarray(u.T)
            for s in range(t - 1, -1, -1):
                step(g, res, carry, dseq[s], self._step_mask(s, empty), gates[s], aux[s], hs[s],
                     dzx[s], dzh[s], cast(1.0))
                xp.matmul(dzh[s], ut, out=g)
        else:
            step_candidate, step_reset = self.kernels[2:]
            u_zr_t = xp.ascontiguousarray(u[:, :2 * units].T)
            u_h_t = xp.ascontiguousarray(u[:, 2 * units:].T)
            drh = xp.empty_like(g)
            for s in range(t - 1, -1, -1):
                step_candidate(g, res, carry, dseq[s], self._step_mask(s, empty), gates[s],
                               hs[s], dzx[s], cast(1.0))
                xp.matmul(dzx[s, :, 2 * units:], u_h_t, out=drh)
                step_reset(drh, gates[s], hs[s], dzx[s], res, cast(1.0))
                xp.matmul(dzx[s, :, :2 * units], u_zr_t, out=g)
            dzh = dzx
        g += res
        if self.m is not None:
            g += carry
        return self._weight_grads_gru(dzx, dzh, g)

    def backward(self, gy, gh):
        if self.kernels is not None:
            return self._backward_fused(gy, gh)
        u = self.inputs[2].data
        gates, hs, aux = self.acts, self.hs, self.aux
        units = u.shape[0]
        u2 = 2 * units
        dh, dseq = self._seq_grad(gy, gh)
        dzx = xp.empty_like(gates)
        dzh = xp.empty_like(gates) if self.reset_after else dzx
        for s in range(gates.shape[0] - 1, -1, -1):
            if dseq is not None:
                dh += dseq[s]
            carry = self._split_carry([dh], s)
            z, r, hh = gates[s, :, :units], gates[s, :, units:u2], gates[s, :, u2:]
            hp = hs[s]
            d = dzx[s]
            xp.multiply(dh, hp - hh, out=d[:, :units])
            d[:, :units] *= self.dract(z)
            xp.multiply(dh, 1.0 - z, out=d[:, u2:])
            d[:, u2:] *= self.dact(hh)
            if self.reset_after:
                xp.multiply(d[:, u2:], aux[s], out=d[:, units:u2])
                d[:, units:u2] *= self.dract(r)
                e = dzh[s]
                e[:, :u2] = d[:, :u2]
                xp.multiply(d[:, u2:], r, out=e[:, u2:])
                dh = dh * z + e @ u.T
            else:
                drh = d[:, u2:] @ u[:, u2:].T  # dL/d(r * h_{t-1})
                xp.multiply(drh, hp, out=d[:, units:u2])
                d[:, units:u2] *= self.dract(r)
                dh = dh * z + drh * r + d[:, :u2] @ u[:, :u2].T
            if carry:
                dh += carry[0]
        return self._weight_grads_gru(dzx, dzh, dh)

    def _weight_grads_gru(self, dzx, dzh, dh):
        w, u = self.inputs[1].data, self.inputs[2].data
        hs, aux = self.hs, self.aux
        u2 = 2 * u.shape[0]
        b_shape = self.inputs[3].shape
        if self.reset_after:
            gx, gw, gu, gb = self._weight_grads(dzx, dzh, hs[:-1], w, u, b_shape)
        else:
            gx, gw, _, gb = self._weight_grads(dzx, dzx, hs[:-1], w, u, b_shape)
            gu = None
            if self.inputs[2].requires_grad:
                t, n = dzx.shape[:2]
                d2 = dzx.reshape(t * n, -1)
                gu = xp.concatenate([hs[:-1].reshape(t * n, -1).T @ d2[:, :u2],
                                     aux.reshape(t * n, -1).T @ d2[:, u2:]], axis=1)
                gu = Tensor(gu)
        return gx, gw, gu, gb, Tensor(dh)


# ------------------------------------------------------------------------ functional forms
def gru(x, kernel, recurrent_kernel, bias=None, initial_state=None, activation="tanh",
        recurrent_activation="sigmoid", return_sequences=False, return_state=False,
        go_backwards=False, reset_after=True, mask=None):
    """Gated recurrent unit over a sequence, Keras's layout (gates z, r, h).

    reset_after=True: hh = tanh(x_h + b0_h + r * (h_{t-1} U_h + b1_h));
    h_t = z * h_{t-1} + (1 - z) * hh (see the module docstring).

    Args:
        x: (N, T, in). kernel: (in, 3u). recurrent_kernel: (u, 3u).
        bias: (2, 3u) when reset_after (input and recurrent biases), else (3u,); or None.
        initial_state: h_0 (N, u) (or a one-element list); zeros by default.
        reset_after: apply the reset gate after the recurrent matmul (Keras default True).
        mask: optional boolean (N, T), as in :func:`simple_rnn`.

    Returns:
        output, or [output, h_T] with return_state.

    Example:
        >>> import numpy as np
        >>> from glassnet.ops.recurrent import gru
        >>> x = np.ones((2, 5, 3), np.float32)
        >>> gru(x, np.zeros((3, 12), np.float32), np.zeros((4, 12), np.float32),
        ...     return_sequences=True).shape
        (2, 5, 4)
    """
    x, kernel, recurrent_kernel = as_tensor(x), as_tensor(kernel), as_tensor(recurrent_kernel)
    units = recurrent_kernel.shape[0]
    (h0,) = _states_list(initial_state, 1, "gru")
    op = GRUFunction(reset_after, return_sequences=return_sequences, go_backwards=go_backwards,
             activation=activation, recurrent_activation=recurrent_activation,
             mask=_mask(mask))
    shape = (2, 3 * units) if reset_after else (3 * units,)
    out = op(x, kernel, recurrent_kernel, _bias(bias, shape, x), _state(h0, x, units, "gru"))
    return _finish(out, return_state)
