"""Fused recurrent steps: the LSTM and GRU gate math of one timestep in one pass.

The NumPy reference is :mod:`glassnet.ops.recurrent`; its GEMMs (the input projection of all
timesteps, one recurrent GEMM per step, the weight gradients after the loop) stay in NumPy's
BLAS. Between two GEMMs, a step's element-wise work is a dozen NumPy passes over (N, k*u)
arrays; here it is one pass, in parallel over the batch rows (``prange`` over rows: each row
is independent, nothing is reduced across them). Arrays are C-contiguous, one step's slices.

The LSTM also runs whole sequences (``lstm_forward_sequence``, ``lstm_backward_sequence``):
each block of batch rows runs all its timesteps, its recurrent GEMMs included (NumPy's own
GEMM called from the kernel, :mod:`glassnet.kernels.blas`), so the batch is split over the
cores once per sequence rather than twice per step. The GEMMs of a block give the same
products up to float rounding (a GEMM's bits can depend on its row count).

LSTM (default activations only: sigmoid gates, tanh), with z = zx + h_{t-1} U (gates i f c o
side by side, (N, 4u)), exactly the reference's arithmetic::

    i = 1 / (1 + e^(-z_i))   (f, o alike)      g = 2 / (1 + e^(-2 z_c)) - 1
    c = f c_{t-1} + i g      tc = 2 / (1 + e^(-2 c)) - 1     h = o tc
    masked step (m = 0/1):   c <- (c - c_{t-1}) m + c_{t-1},  h <- (h - h_{t-1}) m + h_{t-1}

and backward, with dh the step's incoming dL/dh_t (the recurrent GEMM's dz_{t+1} U^T, plus the
masked step's carry and the output gradient)::

    dz_o = dh tc o (1 - o)      dc += dh o (1 - tc^2)
    dz_i = dc g i (1 - i)       dz_f = dc c_{t-1} f (1 - f)      dz_c = dc i (1 - g^2)
    dc_{t-1} = dc f

GRU (z r h; ``reset_after=True``, Keras's default, and ``False``)::

    z = sigma(x_z + r_z), r = sigma(x_r + r_r),   r_* = h_{t-1} U_* + b_rec (reset_after)
    hh = tanh(x_h + r r_h)  [reset_after]  or  tanh(x_h + (r h_{t-1}) U_h)
    h_t = (h_{t-1} - hh) z + hh

and backward ``dz_z = dh (h_{t-1} - hh) z (1 - z)``, ``dz_h = dh (1 - z) (1 - hh^2)``,
``dz_r = dz_h r_h r (1 - r)`` (reset_after) or ``(dL/d(r h_{t-1})) h_{t-1} r (1 - r)``,
``dh_{t-1} = dh z + ...`` (the recurrent GEMMs add the rest).

The exponential and tanh are :mod:`glassnet.kernels.vmath`'s branch-free ``vexp`` and
``vtanh``, which LLVM vectorizes; results agree with the reference to a few ulps per step.
"""

from numba import njit, prange

from glassnet.kernels import kernel
from glassnet.kernels.blas import NO_TRANS, ROW_MAJOR, gemm
from glassnet.kernels.vmath import vexp, vtanh

__all__ = ["lstm_forward_step", "lstm_backward_step", "lstm_forward_sequence",
           "lstm_backward_sequence", "gru_forward_step",
           "gru_backward_step", "gru_forward_gates", "gru_forward_candidate",
           "gru_backward_candidate", "gru_backward_reset"]


# ------------------------------------------------------------------------ LSTM
# Parallel only for very large steps. A recurrent step's pass alternates with a multi-threaded
# BLAS GEMM many times per batch; the two thread pools (BLAS's and numba's) then wait for each
# other's spinning threads on the same cores: LSTM(128), batch 128, on 2 cores trained 16x
# slower with parallel steps than with serial ones. A step of 4M elements is worth it.
STEP_PARALLEL_SIZE = 1 << 22
step_kernel = kernel(min_parallel_size=STEP_PARALLEL_SIZE)

# Each kernel walks a row's gate blocks through 1-D views (one per line: see kernels.kernel),
# which LLVM vectorizes; indexing the 2-D arrays directly would not be. The row functions'
# ``masked`` and ``seq`` flags must be the constants True or False at each call (the kernels
# branch once and call them with constants): a flag known only at run time leaves its branch
# inside the loop over units, and the loop scalar (LSTM(128) backward on a Zen 5 core: 2.8 ns
# an element that way, 0.6 with constants).
@njit(inline="always", error_model="numpy")
def _lstm_forward_row(zx, rec, c_prev, h_prev, m, acts, c, tc, h, one, two, r, u, masked):
    """Row r of :func:`lstm_forward_step` (u units; ``masked``: m holds the step's mask)."""
    zi = zx[r, :u]
    zf = zx[r, u:2 * u]
    zg = zx[r, 2 * u:3 * u]
    zo = zx[r, 3 * u:]
    ri = rec[r, :u]
    rf = rec[r, u:2 * u]
    rg = rec[r, 2 * u:3 * u]
    ro = rec[r, 3 * u:]
    ai = acts[r, :u]
    af = acts[r, u:2 * u]
    ag = acts[r, 2 * u:3 * u]
    ao = acts[r, 3 * u:]
    cp_r = c_prev[r]
    hp_r = h_prev[r]
    c_r = c[r]
    tc_r = tc[r]
    h_r = h[r]
    mv = m[r] if masked else one
    # Two passes over the units, the second reading back what the first stored (in L1): the
    # gates and c, then tanh(c) and h. One pass chains five exps per unit (tanh(c) waits on
    # three gates), longer than the core's reorder window covers: lstm_forward_step on 128 x
    # 512 took 3.7 against 3.0 ns a unit on a Zen 4 core, the same arithmetic and bits.
    for j in range(u):
        a_i = one / (vexp(-(zi[j] + ri[j])) + one)
        a_f = one / (vexp(-(zf[j] + rf[j])) + one)
        a_g = two * (one / (vexp((zg[j] + rg[j]) * -two) + one)) - one
        ai[j] = a_i
        af[j] = a_f
        ag[j] = a_g
        ao[j] = one / (vexp(-(zo[j] + ro[j])) + one)
        c_r[j] = a_f * cp_r[j] + a_i * a_g
    for j in range(u):
        cv = c_r[j]
        t = two * (one / (vexp(cv * -two) + one)) - one
        hv = ao[j] * t
        if masked:
            cp = cp_r[j]
            hp = hp_r[j]
            c_r[j] = (cv - cp) * mv + cp
            hv = (hv - hp) * mv + hp
        tc_r[j] = t
        h_r[j] = hv


@step_kernel
def lstm_forward_step(zx, rec, c_prev, h_prev, m, acts, c, tc, h, one, two):
    """One LSTM step: acts = [i f g o] (N, 4u), c, tc = tanh(c), h from z = zx + rec.

    ``m``: the step's 0/1 mask (N,), or an empty array (no mask). ``one``, ``two``: 1 and 2
    in the arrays' dtype. Same order of operations as ``LSTMFunction.forward``'s fused path.
    """
    n, k = zx.shape
    u = k // 4
    masked = m.size > 0
    for r in prange(n):
        if masked:
            _lstm_forward_row(zx, rec, c_prev, h_prev, m, acts, c, tc, h, one, two, r, u, True)
        else:
            _lstm_forward_row(zx, rec, c_prev, h_prev, m, acts, c, tc, h, one, two, r, u, False)


@njit(inline="always", error_model="numpy")
def _lstm_backward_row(g, carry, dseq, m, dc, acts, c_prev, tc, dz, one, r, u, masked, seq):
    """Row r of :func:`lstm_backward_step`."""
    g_r = g[r]
    carry_r = carry[r]
    dseq_r = dseq[r]
    dc_r = dc[r]
    ai = acts[r, :u]
    af = acts[r, u:2 * u]
    ag = acts[r, 2 * u:3 * u]
    ao = acts[r, 3 * u:]
    cp_r = c_prev[r]
    tc_r = tc[r]
    di = dz[r, :u]
    df = dz[r, u:2 * u]
    dg = dz[r, 2 * u:3 * u]
    do = dz[r, 3 * u:]
    mv = m[r] if masked else one
    keep = one - mv
    for j in range(u):
        dh = g_r[j]
        if masked:
            dh = dh + carry_r[j]
        if seq:
            dh = dh + dseq_r[j]
        dcv = dc_r[j]
        cc = dcv
        if masked:
            carry_r[j] = dh * keep
            cc = dcv * keep
            dh = dh * mv
            dcv = dcv * mv
        a_i = ai[j]
        a_f = af[j]
        a_g = ag[j]
        a_o = ao[j]
        t = tc_r[j]
        do[j] = dh * t * ((one - a_o) * a_o)
        dcv = dcv + (one - t * t) * a_o * dh
        di[j] = dcv * a_g * ((one - a_i) * a_i)
        df[j] = dcv * cp_r[j] * ((one - a_f) * a_f)
        dg[j] = dcv * a_i * (one - a_g * a_g)
        dcv = dcv * a_f
        if masked:
            dcv = dcv + cc
        dc_r[j] = dcv


@step_kernel
def lstm_backward_step(g, carry, dseq, m, dc, acts, c_prev, tc, dz, one):
    """One LSTM step backward: dz (N, 4u) and dc <- dL/dc_{t-1}, from dh = g (+ carry + dseq).

    ``g``: dL/dh_t from the later step's GEMM (or the output gradient at the last step).
    With a mask ``m`` (N,): dh = g + carry first (``carry`` (N, u): the later masked step's
    share, in/out; (N, 0) without a mask), then the output gradient ``dseq`` (N, u) when
    given (else (N, 0)), then the split: carry <- dh (1 - m), dh <- dh m, and dc alike (its carry is
    added back after dc f). The order of ``LSTMFunction.backward``'s fused path.
    """
    n, k = dz.shape
    u = k // 4
    masked = m.size > 0
    seq = dseq.shape[1] > 0
    for r in prange(n):
        if masked and seq:
            _lstm_backward_row(g, carry, dseq, m, dc, acts, c_prev, tc, dz, one, r, u, True, True)
        elif masked:
            _lstm_backward_row(g, carry, dseq, m, dc, acts, c_prev, tc, dz, one, r, u, True, False)
        elif seq:
            _lstm_backward_row(g, carry, dseq, m, dc, acts, c_prev, tc, dz, one, r, u, False, True)
        else:
            _lstm_backward_row(g, carry, dseq, m, dc, acts, c_prev, tc, dz, one, r, u, False,
                               False)


# Whole sequences by row blocks. Row r of h_t depends only on row r of h_{t-1} (and dh alike),
# so a block of batch rows can run all its timesteps, GEMMs included, without waiting for the
# other blocks: one parallel region per sequence instead of two per step, and no BLAS thread
# pool spinning beside numba's (kernels.blas: NumPy's own GEMM, held at one thread meanwhile).
# The blocks (``block`` rows: kernels.blas.block_rows) depend on the shape and the machine's
# core count, not on set_num_threads, so results do not depend on the thread count.
sequence_kernel = kernel(min_parallel_size=1 << 12)


@njit(inline="always", error_model="numpy")
def _lstm_forward_block(zs, u, hs, cs, tcs, acts, m, rec, gemm_at, lo, rows, one, two, masked):
    """All T steps of rows lo..lo+rows of :func:`lstm_forward_sequence` (``masked``: a
    constant)."""
    t, n, k = zs.shape
    units = k // 4
    size = zs.itemsize
    for s in range(t):
        gemm(gemm_at, ROW_MAJOR, NO_TRANS, NO_TRANS, rows, k, units, one,
             hs.ctypes.data + size * (s * n + lo) * units, units, u.ctypes.data, k,
             one - one, rec.ctypes.data + size * lo * k, k)
        zx = zs[s]
        c_prev = cs[s]
        h_prev = hs[s]
        m_s = m[s]
        a_s = acts[s]
        c = cs[s + 1]
        tc = tcs[s]
        h = hs[s + 1]
        for r in range(lo, lo + rows):
            _lstm_forward_row(zx, rec, c_prev, h_prev, m_s, a_s, c, tc, h, one, two, r, units,
                              masked)


@sequence_kernel
def lstm_forward_sequence(zs, u, hs, cs, tcs, acts, m, rec, gemm_at, block, one, two):
    """All T steps of :func:`lstm_forward_step`, with rec = h_{t-1} U computed per row block.

    ``zs`` (T, N, 4u) input projections; ``u`` (units, 4u) the recurrent kernel; ``hs``, ``cs``
    (T+1, N, units) with the initial state in [0]; ``tcs`` (T, N, units); ``acts`` (T, N, 4u);
    ``m`` (T, N) 0/1 mask or (T, 0); ``rec`` (N, 4u) scratch; ``gemm_at``: the address of the
    dtype's GEMM (:func:`glassnet.kernels.blas.gemm_address`), run inside
    :func:`glassnet.kernels.blas.one_thread`; ``block``: rows per block. All C-contiguous, one
    dtype.
    """
    n = zs.shape[1]
    masked = m.shape[1] > 0
    for b in prange((n + block - 1) // block):
        lo = b * block
        rows = min(n, lo + block) - lo
        if masked:
            _lstm_forward_block(zs, u, hs, cs, tcs, acts, m, rec, gemm_at, lo, rows, one, two,
                                True)
        else:
            _lstm_forward_block(zs, u, hs, cs, tcs, acts, m, rec, gemm_at, lo, rows, one, two,
                                False)


@njit(inline="always", error_model="numpy")
def _lstm_backward_block(g, carry, dseq, m, dc, acts, cs, tcs, dz, ut, gemm_at, lo, rows, one,
                         masked, seq):
    """All T steps, in reverse, of rows lo..lo+rows of :func:`lstm_backward_sequence`
    (``masked``, ``seq``: constants)."""
    t, n, k = dz.shape
    units = k // 4
    size = dz.itemsize
    for s in range(t - 1, -1, -1):
        dseq_s = dseq[s]
        m_s = m[s]
        a_s = acts[s]
        c_prev = cs[s]
        tc = tcs[s]
        dz_s = dz[s]
        for r in range(lo, lo + rows):
            _lstm_backward_row(g, carry, dseq_s, m_s, dc, a_s, c_prev, tc, dz_s, one, r, units,
                               masked, seq)
        gemm(gemm_at, ROW_MAJOR, NO_TRANS, NO_TRANS, rows, units, k, one,
             dz.ctypes.data + size * (s * n + lo) * k, k, ut.ctypes.data, units,
             one - one, g.ctypes.data + size * lo * units, units)


@sequence_kernel
def lstm_backward_sequence(g, carry, dseq, m, dc, acts, cs, tcs, dz, ut, gemm_at, block, one):
    """All T steps of :func:`lstm_backward_step` in reverse, with g <- dz_t U^T per row block.

    ``g`` (N, units): dL/dh_T in, dL/dh_0 out (without the mask's carry, which stays in
    ``carry``, (N, units) or (N, 0)); ``dseq`` (T, N, units) output gradients or (T, N, 0);
    ``m`` (T, N) or (T, 0); ``dc`` (N, units) in/out; ``acts`` (T, N, 4u); ``cs`` (T+1, N,
    units); ``tcs`` (T, N, units); ``dz`` (T, N, 4u) out; ``ut`` (4u, units): U^T; ``gemm_at``,
    ``block`` as in :func:`lstm_forward_sequence`.
    """
    n = dz.shape[1]
    masked = m.shape[1] > 0
    seq = dseq.shape[2] > 0
    for b in prange((n + block - 1) // block):
        lo = b * block
        rows = min(n, lo + block) - lo
        if masked and seq:
            _lstm_backward_block(g, carry, dseq, m, dc, acts, cs, tcs, dz, ut, gemm_at, lo, rows,
                                 one, True, True)
        elif masked:
            _lstm_backward_block(g, carry, dseq, m, dc, acts, cs, tcs, dz, ut, gemm_at, lo, rows,
                                 one, True, False)
        elif seq:
            _lstm_backward_block(g, carry, dseq, m, dc, acts, cs, tcs, dz, ut, gemm_at, lo, rows,
                                 one, False, True)
        else:
            _lstm_backward_block(g, carry, dseq, m, dc, acts, cs, tcs, dz, ut, gemm_at, lo, rows,
                                 one, False, False)


@step_kernel
def gru_forward_step(zx, rec, b1, h_prev, m, aux, h, one):
    """One GRU step with reset_after: zx (N, 3u) <- [z r hh] in place, aux = r_h, h.

    ``rec`` = h_{t-1} U (N, 3u) before the recurrent bias ``b1`` (3u,); ``m`` as in
    :func:`lstm_forward_step`. The order of ``GRUFunction.forward``.
    """
    n, k = zx.shape
    u = k // 3
    masked = m.size > 0
    bz = b1[:u]
    br = b1[u:2 * u]
    bh = b1[2 * u:]
    for r in prange(n):
        xz = zx[r, :u]
        xr = zx[r, u:2 * u]
        xh = zx[r, 2 * u:]
        rz = rec[r, :u]
        rr = rec[r, u:2 * u]
        rh_r = rec[r, 2 * u:]
        hp_r = h_prev[r]
        aux_r = aux[r]
        h_r = h[r]
        mv = m[r] if masked else one
        for j in range(u):
            a_z = one / (vexp(-(xz[j] + (rz[j] + bz[j]))) + one)
            a_r = one / (vexp(-(xr[j] + (rr[j] + br[j]))) + one)
            rh = rh_r[j] + bh[j]
            hh = vtanh(xh[j] + a_r * rh)
            hp = hp_r[j]
            hv = (hp - hh) * a_z + hh
            if masked:
                hv = (hv - hp) * mv + hp
            xz[j] = a_z
            xr[j] = a_r
            xh[j] = hh
            aux_r[j] = rh
            h_r[j] = hv


@step_kernel
def gru_backward_step(g, res, carry, dseq, m, acts, aux, h_prev, dzx, dzh, one):
    """One GRU step backward (reset_after): dzx, dzh (N, 3u), res <- dh z.

    dh = res + g (the later step's dh z plus its GEMM dzh U^T) [+ carry] [+ dseq], split by
    the mask as in :func:`lstm_backward_step`. ``dzh`` (the recurrent side) has dz_h r.
    """
    n, k = dzx.shape
    u = k // 3
    masked = m.size > 0
    seq = dseq.shape[1] > 0
    for r in prange(n):
        g_r = g[r]
        res_r = res[r]
        carry_r = carry[r]
        dseq_r = dseq[r]
        az = acts[r, :u]
        ar = acts[r, u:2 * u]
        ah = acts[r, 2 * u:]
        aux_r = aux[r]
        hp_r = h_prev[r]
        xz = dzx[r, :u]
        xr = dzx[r, u:2 * u]
        xh = dzx[r, 2 * u:]
        hz = dzh[r, :u]
        hr = dzh[r, u:2 * u]
        hh_r = dzh[r, 2 * u:]
        mv = m[r] if masked else one
        for j in range(u):
            dh = res_r[j] + g_r[j]
            if masked:
                dh = dh + carry_r[j]
            if seq:
                dh = dh + dseq_r[j]
            if masked:
                carry_r[j] = dh * (one - mv)
                dh = dh * mv
            a_z = az[j]
            a_r = ar[j]
            hh = ah[j]
            d_z = dh * (hp_r[j] - hh) * (a_z * (one - a_z))
            d_h = dh * (one - a_z) * (one - hh * hh)
            d_r = d_h * aux_r[j] * (a_r * (one - a_r))
            xz[j] = d_z
            xr[j] = d_r
            xh[j] = d_h
            hz[j] = d_z
            hr[j] = d_r
            hh_r[j] = d_h * a_r
            res_r[j] = dh * a_z


@step_kernel
def gru_forward_gates(zx, rec, h_prev, aux, one):
    """GRU step without reset_after, part 1: zx[:, :2u] <- [z r], aux = r h_{t-1}.

    ``rec`` = h_{t-1} U[:, :2u] (N, 2u).
    """
    n, k = zx.shape
    u = k // 3
    for r in prange(n):
        xz = zx[r, :u]
        xr = zx[r, u:2 * u]
        rz = rec[r, :u]
        rr = rec[r, u:]
        hp_r = h_prev[r]
        aux_r = aux[r]
        for j in range(u):
            a_z = one / (vexp(-(xz[j] + rz[j])) + one)
            a_r = one / (vexp(-(xr[j] + rr[j])) + one)
            xz[j] = a_z
            xr[j] = a_r
            aux_r[j] = a_r * hp_r[j]


@step_kernel
def gru_forward_candidate(zx, rec, h_prev, m, h, one):
    """GRU step without reset_after, part 2: zx[:, 2u:] <- hh = tanh(x_h + rec), h.

    ``rec`` = (r h_{t-1}) U_h (N, u); ``m`` as in :func:`lstm_forward_step`.
    """
    n, k = zx.shape
    u = k // 3
    masked = m.size > 0
    for r in prange(n):
        az = zx[r, :u]
        xh = zx[r, 2 * u:]
        rec_r = rec[r]
        hp_r = h_prev[r]
        h_r = h[r]
        mv = m[r] if masked else one
        for j in range(u):
            hh = vtanh(xh[j] + rec_r[j])
            hp = hp_r[j]
            hv = (hp - hh) * az[j] + hh
            if masked:
                hv = (hv - hp) * mv + hp
            xh[j] = hh
            h_r[j] = hv


@step_kernel
def gru_backward_candidate(g, res, carry, dseq, m, acts, h_prev, dz, one):
    """GRU step backward without reset_after, part 1: dz_z, dz_h, and res <- the step's dh.

    dh = res + g (the later step's dh z + drh r plus its GEMM) [+ carry] [+ dseq], split by
    the mask as in :func:`lstm_backward_step`.
    """
    n, k = dz.shape
    u = k // 3
    masked = m.size > 0
    seq = dseq.shape[1] > 0
    for r in prange(n):
        g_r = g[r]
        res_r = res[r]
        carry_r = carry[r]
        dseq_r = dseq[r]
        az = acts[r, :u]
        ah = acts[r, 2 * u:]
        hp_r = h_prev[r]
        dzz = dz[r, :u]
        dzc = dz[r, 2 * u:]
        mv = m[r] if masked else one
        for j in range(u):
            dh = res_r[j] + g_r[j]
            if masked:
                dh = dh + carry_r[j]
            if seq:
                dh = dh + dseq_r[j]
            if masked:
                carry_r[j] = dh * (one - mv)
                dh = dh * mv
            a_z = az[j]
            hh = ah[j]
            dzz[j] = dh * (hp_r[j] - hh) * (a_z * (one - a_z))
            dzc[j] = dh * (one - a_z) * (one - hh * hh)
            res_r[j] = dh


@step_kernel
def gru_backward_reset(drh, acts, h_prev, dz, res, one):
    """GRU step backward without reset_after, part 2: dz_r, and res <- dh z + drh r.

    ``drh`` = dL/d(r h_{t-1}) = dz_h U_h^T (N, u); ``res``: part 1's dh, in/out.
    """
    n, k = dz.shape
    u = k // 3
    for r in prange(n):
        drh_r = drh[r]
        az = acts[r, :u]
        ar = acts[r, u:2 * u]
        hp_r = h_prev[r]
        dzr = dz[r, u:2 * u]
        res_r = res[r]
        for j in range(u):
            a_r = ar[j]
            d = drh_r[j]
            dzr[j] = d * hp_r[j] * (a_r * (one - a_r))
            res_r[j] = res_r[j] * az[j] + d * a_r
