"""Block-Gibbs sampling and CD-k / PCD training epochs for binary RBMs (CPU, Numba).

Convention: E(v, h) = -b.v - c.h - v.W.h, units in {0, 1} stored as uint8,
``W`` float64 of shape (n_visible, n_hidden) and ``WT`` a contiguous copy of W.T.

A chain starts from a visible state v_0 and then visits h_0, v_1, h_1, v_2, ...:
step 0 draws h_0 ~ p(h | v_0); step t >= 1 draws v_t ~ p(v | h_{t-1}) and then
h_t ~ p(h | v_t).  The chain's state between steps is its hidden layer, and the
probabilities p(h | v_t) computed for the draw of h_t are also the
Rao-Blackwellised hidden statistics that training needs.

Random numbers come from :func:`ebmphys.kernels.rng.philox4x32` keyed by the seed
``(k0, k1)`` with counter

===========  ===============================================================
``c0``       unit // 4 (the four output words serve units 4*c0 .. 4*c0+3)
``c1``       Gibbs step t, counted from the start of the chain
``c2``       chain index
``c3``       ``rng.RBM_HIDDEN`` or ``rng.RBM_VISIBLE``
===========  ===============================================================

Initial visible states drawn from the bias-only distribution use ``c1 = 0`` and
``c3 = rng.INIT_RBM_VISIBLE``.  A unit fires iff its word is below
``rng.threshold(p)``.  Since h_t is a pure function of v_t and t, a chain is
continued exactly from (v_t, t) alone: :func:`start_chains` at step t redraws h_t.

Because units are binary, ``c + v.W`` is a sum of the rows of ``W`` picked by the
active visible units (and ``b + W.h`` of rows of ``WT``), which beats dense
products on sparse binary data and keeps each chain's work in one thread.  The
per-unit physics (``bernoulli``, :func:`ebmphys.kernels.detmath.sigmoid`) are plain
jitted scalar functions that the CUDA twin (:mod:`ebmphys.kernels.rbm_cuda`) calls too.

Training data may also be real-valued in [0, 1] (probabilities, as for
scikit-learn's ``BernoulliRBM``): :func:`train_epoch` then takes the positive
phase in mean field, ``c + v.W`` and ``<v h>`` with the real ``v``.  The choice
is made at compile time from the dtype of the data (:func:`positive_input`,
:func:`positive_accumulate`), so binary (integer) data keep the sums of rows
above, and a real row whose entries are all 0 or 1 gives the same bits as its
binary twin.
"""

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic, overload

from ebmphys.kernels.detmath import sigmoid
from ebmphys.kernels.rng import INIT_RBM_VISIBLE, RBM_HIDDEN, RBM_VISIBLE, philox4x32, threshold

_MASK32 = 0xFFFFFFFF


@njit(cache=True, inline="always")
def bernoulli(p, word):
    """1 with probability ``p`` given one uint32 random word, else 0 (uint8)."""
    return np.uint8(word < threshold(p))


# float32 logistic function (the float32 training option; CPU only): Cody-Waite reduction with a
# two-part ln 2 and a degree-7 Taylor polynomial, all in float32
_F32 = np.float32
_LOG2E_F32 = _F32(1.4426950408889634)
_ROUND_F32 = _F32(12582912.0)  # 1.5 * 2**23: adding it rounds a float32 of magnitude < 2**22 to an integer
_LN2_HI_F32 = _F32(0.693145751953125)  # ln 2 to 16 bits: k * _LN2_HI_F32 is exact for |k| < 2**8
_LN2_LO_F32 = _F32(1.4286068203094173e-06)  # ln 2 - _LN2_HI_F32
_EXP_F32 = tuple(_F32(1.0 / f) for f in (5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0))
_CLAMP_F32 = _F32(40.0)
_ONE_F32 = _F32(1.0)


@intrinsic
def _pow2_f32(typingctx, t):
    """2.0**k as float32 for t = k + 1.5 * 2**23 (k an integer in [-126, 127]), from the bits of t."""
    if t != types.float32:
        return None
    sig = types.float32(types.float32)

    def codegen(context, builder, signature, args):
        bits = builder.bitcast(args[0], ir.IntType(32))
        biased = builder.add(bits, ir.Constant(ir.IntType(32), 127 - 0x4B400000))
        return builder.bitcast(builder.shl(biased, ir.Constant(ir.IntType(32), 23)), ir.FloatType())

    return sig, codegen


@njit(cache=True, inline="always")
def _sigmoid_f32(x):
    """1 / (1 + exp(-x)) in float32 arithmetic, the argument of exp clamped to [-40, 40]: relative error below 3e-7."""
    z = min(max(-x, -_CLAMP_F32), _CLAMP_F32)
    t = z * _LOG2E_F32 + _ROUND_F32
    k = t - _ROUND_F32
    r = (z - k * _LN2_HI_F32) - k * _LN2_LO_F32
    c = _EXP_F32
    p = c[0] * r + c[1]
    p = p * r + c[2]
    p = p * r + c[3]
    p = p * r + c[4]
    p = p * r + c[5]
    p = p * r + c[6]
    p = p * r + c[7]
    return _ONE_F32 / (_ONE_F32 + p * _pow2_f32(t))


def logistic(x):
    """sigmoid(x): :func:`ebmphys.kernels.detmath.sigmoid` for float64 (the CPU/GPU twins' function), a
    float32 evaluation (:func:`_sigmoid_f32`) for float32; chosen at compile time (jitted code only)."""
    raise NotImplementedError("logistic is callable from Numba-compiled code only")


@overload(logistic, jit_options={"cache": True})
def _logistic_overload(x):
    if x == types.float32:
        return lambda x: _sigmoid_f32(x)
    return lambda x: sigmoid(x)


@njit(cache=True, error_model="numpy")
def layer_probabilities(total_input, out):
    """out[u] = sigmoid(total_input[u]) = 1 / (1 + exp(-total_input[u])) (:func:`logistic`).

    float64: :func:`ebmphys.kernels.detmath.sigmoid`, the function the CUDA twin calls per
    unit, so probabilities have the same bits on both targets (plain arithmetic, no fused
    multiply-adds; the loop vectorises).  Accuracy: relative error below 4e-16 for
    x > -36; for x <= -36, where sigmoid(x) < 2.4e-16, absolute error below 5e-18.
    float32 (CPU only): float32 arithmetic throughout, relative error below 3e-7 for
    x > -36.  ``out`` must not overlap ``total_input``.
    """
    for u in range(total_input.shape[0]):
        out[u] = logistic(total_input[u])


@njit(cache=True, error_model="numpy")
def sample_layer(prob, out, step, chain, stream, k0, k1):
    """Draw out[u] ~ Bernoulli(prob[u]) with word u % 4 of counter (u // 4, step, chain, stream).

    The Philox blocks are generated first, in a loop of their own (it vectorises), then compared.
    """
    n = prob.shape[0]
    n_blocks = (n + 3) // 4
    words = np.empty((4, n_blocks), dtype=np.uint64)
    w0s, w1s, w2s, w3s = words[0], words[1], words[2], words[3]
    for block in range(n_blocks):
        w0s[block], w1s[block], w2s[block], w3s[block] = philox4x32(block, step, chain, stream, k0, k1)
    for u in range(n):
        out[u] = bernoulli(prob[u], words[u & 3, u >> 2])


@njit(cache=True)
def active_units(x, idx):
    """Write the indices of the units of ``x`` equal to 1 into idx[:n] and return n (branch-free)."""
    n = 0
    for i in range(x.shape[0]):
        idx[n] = i
        n += x[i]
    return n


@njit(cache=True)
def hidden_input_row(v, W, c, out, vidx):
    """out = c + v.W for one binary visible row ``v``; returns n, with the active visible units in vidx[:n]."""
    nh = W.shape[1]
    n = active_units(v, vidx)
    for j in range(nh):
        out[j] = c[j]
    for a in range(n):
        i = vidx[a]
        for j in range(nh):
            out[j] += W[i, j]
    return n


@njit(cache=True)
def visible_input_row(h, WT, b, out, hidx):
    """out = b + W.h for one binary hidden row ``h``, from the transposed weights ``WT = W.T``."""
    nv = WT.shape[1]
    n = active_units(h, hidx)
    for i in range(nv):
        out[i] = b[i]
    for a in range(n):
        j = hidx[a]
        for i in range(nv):
            out[i] += WT[j, i]


def _real_input_row(v, W, c, out, vidx):
    """out = c + v.W for one real visible row ``v``; returns n, with the units where v != 0 in vidx[:n].

    out[j] = c[j] + sum of v_i * W[i, j] over those units in increasing i (the order
    of :func:`hidden_input_row`, so a row of 0.0s and 1.0s gives its bits).
    """
    nh = W.shape[1]
    n = 0
    for i in range(v.shape[0]):
        if v[i] != 0.0:
            vidx[n] = i
            n += 1
    for j in range(nh):
        out[j] = c[j]
    for a in range(n):
        i = vidx[a]
        vi = out.dtype.type(v[i])  # float64 data enter a float32 epoch rounded, like every other float there
        for j in range(nh):
            out[j] += vi * W[i, j]
    return n


def positive_input(v, W, c, out, vidx):
    """out = c + v.W for one visible data row; returns n, with the units where v != 0 in vidx[:n].

    Integer or boolean rows (units in {0, 1}) use :func:`hidden_input_row`; real rows
    (entries in [0, 1], probabilities) use the weighted sum ``_real_input_row``.
    Chosen at compile time from the dtype of ``v`` (a Numba overload: callable from
    jitted code only).
    """
    raise NotImplementedError("positive_input is callable from Numba-compiled code only")


@overload(positive_input, jit_options={"cache": True})
def _positive_input_overload(v, W, c, out, vidx):
    if isinstance(v.dtype, types.Float):
        return _real_input_row
    return lambda v, W, c, out, vidx: hidden_input_row(v, W, c, out, vidx)


@njit(cache=True)
def start_chain(v, h, ph, W, c, step, chain, k0, k1, in_h, vidx):
    """The hidden half of step ``step`` of a chain at visible row ``v``: ph = p(h | v), h ~ Bernoulli(ph).

    Step 0 starts a chain; at a later step it redraws the h_t that belongs to v_t.
    ``v`` is binary, or real in [0, 1] (a data row of :func:`train_epoch`; see
    :func:`positive_input`).  Returns the number of visible units that are not 0,
    listed in vidx.
    """
    n = positive_input(v, W, c, in_h, vidx)
    layer_probabilities(in_h, ph)
    sample_layer(ph, h, step, chain, RBM_HIDDEN, k0, k1)
    return n


@njit(cache=True)
def gibbs_steps(h, v, ph, W, WT, b, c, step0, n_steps, chain, k0, k1, in_h, in_v, pv, vidx, hidx):
    """Steps step0 .. step0+n_steps-1 (step0 >= 1) of one chain, in place.

    Each step draws v ~ p(v | h), sets ph = p(h | v) and draws h ~ Bernoulli(ph);
    on return ``v`` and ``ph`` belong to the last step, whose active visible
    units are listed in vidx[:n] for the returned n.
    """
    n = 0
    for t in range(n_steps):
        step = (step0 + t) & _MASK32
        visible_input_row(h, WT, b, in_v, hidx)
        layer_probabilities(in_v, pv)
        sample_layer(pv, v, step, chain, RBM_VISIBLE, k0, k1)
        n = hidden_input_row(v, W, c, in_h, vidx)
        layer_probabilities(in_h, ph)
        sample_layer(ph, h, step, chain, RBM_HIDDEN, k0, k1)
    return n


@njit(cache=True)
def start_chains(W, b, c, v, h, step, chain0, k0, k1):
    """The hidden half of step ``step`` for every chain: h ~ p(h | v) for the rows of ``v``, in place in ``h``.

    Serial: one layer per chain is too little work to pay for waking threads.
    """
    nv, nh = W.shape
    for m in range(v.shape[0]):
        in_h = np.empty(nh)
        ph = np.empty(nh)
        vidx = np.empty(nv, dtype=np.int64)
        start_chain(v[m], h[m], ph, W, c, step, (chain0 + m) & _MASK32, k0, k1, in_h, vidx)


@njit(cache=True, parallel=True)
def block_gibbs(W, WT, b, c, h, v, step0, n_steps, chain0, k0, k1):
    """Advance every chain (rows of ``h``, ``v``) by steps step0 .. step0+n_steps-1, in place.

    Chain ``m`` uses chain index ``chain0 + m``; ``h`` must hold the hidden states of step ``step0 - 1``
    (:func:`start_chains`).
    """
    nv, nh = W.shape
    for m in prange(h.shape[0]):
        in_h = np.empty(nh)
        in_v = np.empty(nv)
        ph = np.empty(nh)
        pv = np.empty(nv)
        vidx = np.empty(nv, dtype=np.int64)
        hidx = np.empty(nh, dtype=np.int64)
        gibbs_steps(h[m], v[m], ph, W, WT, b, c, step0, n_steps, (chain0 + m) & _MASK32, k0, k1, in_h, in_v, pv,
                    vidx, hidx)


@njit(cache=True)
def initial_visible(b, n_chains, chain0, k0, k1):
    """Independent draws v ~ prod_i Bernoulli(sigmoid(b_i)) for ``n_chains`` chains (uint8)."""
    prob = np.empty(b.shape[0])
    layer_probabilities(b, prob)
    v = np.empty((n_chains, b.shape[0]), dtype=np.uint8)
    for m in range(n_chains):
        sample_layer(prob, v[m], 0, (chain0 + m) & _MASK32, INIT_RBM_VISIBLE, k0, k1)
    return v


@njit(cache=True, error_model="numpy")
def transpose_into(W, WT):
    """WT[j, i] = W[i, j], eight rows of W at a time (each row of WT gets eight neighbouring entries per pass)."""
    nv, nh = W.shape
    full = nv - nv % 8
    for i0 in range(0, full, 8):
        r0, r1, r2, r3 = W[i0], W[i0 + 1], W[i0 + 2], W[i0 + 3]
        r4, r5, r6, r7 = W[i0 + 4], W[i0 + 5], W[i0 + 6], W[i0 + 7]
        for j in range(nh):
            o = WT[j]
            o[i0], o[i0 + 1], o[i0 + 2], o[i0 + 3] = r0[j], r1[j], r2[j], r3[j]
            o[i0 + 4], o[i0 + 5], o[i0 + 6], o[i0 + 7] = r4[j], r5[j], r6[j], r7[j]
    for i in range(full, nv):
        for j in range(nh):
            WT[j, i] = W[i, j]


@njit(cache=True)
def _accumulate(vidx, n, ph, weight, gW, gb, gc):
    """gW += weight * outer(v, ph), gb += weight * v, gc += weight * ph for a binary row v with active units vidx[:n]."""
    nh = ph.shape[0]
    for a in range(n):
        i = vidx[a]
        for j in range(nh):
            gW[i, j] += weight * ph[j]
        gb[i] += weight
    for j in range(nh):
        gc[j] += weight * ph[j]


def _accumulate_real(v, vidx, n, ph, weight, gW, gb, gc):
    """gW += weight * outer(v, ph), gb += weight * v, gc += weight * ph for a real row v, nonzero units vidx[:n].

    The factor weight * v_i is formed first, so v_i = 1.0 gives the bits of :func:`_accumulate`.
    """
    nh = ph.shape[0]
    for a in range(n):
        i = vidx[a]
        wv = gW.dtype.type(weight * v[i])
        for j in range(nh):
            gW[i, j] += wv * ph[j]
        gb[i] += wv
    for j in range(nh):
        gc[j] += weight * ph[j]


def positive_accumulate(v, vidx, n, ph, weight, gW, gb, gc):
    """Add the positive-phase statistics of data row ``v`` (units where v != 0 in vidx[:n]) with ``weight``.

    Binary rows use :func:`_accumulate`, real rows ``_accumulate_real``; chosen at
    compile time from the dtype of ``v``, as :func:`positive_input`.
    """
    raise NotImplementedError("positive_accumulate is callable from Numba-compiled code only")


@overload(positive_accumulate, jit_options={"cache": True})
def _positive_accumulate_overload(v, vidx, n, ph, weight, gW, gb, gc):
    if isinstance(v.dtype, types.Float):
        return _accumulate_real
    return lambda v, vidx, n, ph, weight, gW, gb, gc: _accumulate(vidx, n, ph, weight, gW, gb, gc)


@njit(cache=True, error_model="numpy")
def train_epoch(
    data, order, batch_size, W, WT, b, c, vel_W, vel_b, vel_c, chains, persistent, k, chain_step, example0,
    learning_rate, momentum, weight_decay, centered, mu, lam, offset_rate, k0, k1,
):
    """One pass of CD-k or PCD-k over ``data[order]`` in minibatches; parameters updated in place.

    Parameters
    ----------
    data : uint8 (n_samples, n_visible) of 0/1, or float64 with entries in [0, 1]
        Real entries are probabilities: the positive phase uses them in mean field
        (``c + v.W`` and ``v p(h | v)`` with the real ``v``), and a CD chain starts
        from h_0 ~ p(h | v) of the real row.  A float row of 0.0s and 1.0s gives
        the bits of the same uint8 row.
    order : int64 (n_samples,), the presentation order of this epoch
    W, b, c : model parameters (updated), float64 or float32: the epoch computes in the precision of
        ``W`` (``WT``, ``vel_*``, ``mu``, ``lam`` must share its dtype; probabilities are the float64
        :func:`ebmphys.kernels.detmath.sigmoid` rounded to it).  float32 halves the memory traffic
        and doubles the width of the vector loops; it runs on the CPU only (the GPU twin is float64).
    WT : contiguous copy of W.T, kept equal to it (updated)
    vel_W, vel_b, vel_c : momentum buffers (updated)
    chains : uint8 (n_chains, n_hidden), hidden states of the persistent chains (PCD only; updated)
    persistent : True for PCD-k, False for CD-k
    k : Gibbs steps per update
    chain_step : index of the next step of the persistent chains (>= 1); chain m has chain index m
    example0 : global index of the first example of this epoch; the CD chain started
        at the example in position p has chain index (example0 + p) mod 2**32
    learning_rate, momentum, weight_decay : optimiser settings, in velocity form
        vel = momentum * vel + learning_rate * gradient, theta += vel; the weight
        gradient includes -weight_decay * W
    centered : use the centred gradient (Melchior et al. 2016) with visible offsets
        ``mu`` and hidden offsets ``lam``; the model itself stays in natural parameters
    lam : hidden offsets, moved towards the batch mean of p(h | v_data) at rate ``offset_rate`` (updated)

    Returns
    -------
    int : the persistent chains' next step index after the epoch.

    Notes
    -----
    The gradient of the mean log-likelihood is <v h>_data - <v h>_model (and the
    bias analogues), with p(h | v) in place of h in both phases.  Positive
    statistics average over the minibatch, negative ones over the CD chains (one
    per example) or the persistent chains.
    """
    n, nv = data.shape
    nh = W.shape[1]
    real = W.dtype.type  # float64, or float32: every float below follows the parameters
    learning_rate, momentum, weight_decay, offset_rate = (real(learning_rate), real(momentum), real(weight_decay),
                                                          real(offset_rate))
    gW = np.zeros((nv, nh), dtype=W.dtype)
    gb = np.zeros(nv, dtype=W.dtype)
    gc = np.zeros(nh, dtype=W.dtype)
    in_h = np.empty(nh, dtype=W.dtype)
    in_v = np.empty(nv, dtype=W.dtype)
    ph = np.empty(nh, dtype=W.dtype)
    mean_ph = np.empty(nh, dtype=W.dtype)
    hs = np.empty(nh, dtype=np.uint8)
    vneg = np.empty(nv, dtype=np.uint8)
    pv = np.empty(nv, dtype=W.dtype)
    vidx = np.empty(nv, dtype=np.int64)
    hidx = np.empty(nh, dtype=np.int64)
    n_chains = chains.shape[0]
    for start in range(0, n, batch_size):
        n_pos = min(batch_size, n - start)
        mean_ph[:] = 0.0
        w_pos = real(1.0 / n_pos)
        for r in range(n_pos):
            v = data[order[start + r]]
            if persistent:
                n_active = positive_input(v, W, c, in_h, vidx)
                layer_probabilities(in_h, ph)
            else:
                n_active = start_chain(v, hs, ph, W, c, 0, (example0 + start + r) & _MASK32, k0, k1, in_h, vidx)
            for j in range(nh):
                mean_ph[j] += w_pos * ph[j]
            positive_accumulate(v, vidx, n_active, ph, w_pos, gW, gb, gc)
            if not persistent:
                n_active = gibbs_steps(hs, vneg, ph, W, WT, b, c, 1, k, (example0 + start + r) & _MASK32, k0, k1,
                                       in_h, in_v, pv, vidx, hidx)
                _accumulate(vidx, n_active, ph, -w_pos, gW, gb, gc)
        if persistent:
            w_neg = real(1.0 / n_chains)
            for m in range(n_chains):
                n_active = gibbs_steps(chains[m], vneg, ph, W, WT, b, c, chain_step, k, m, k0, k1, in_h, in_v, pv,
                                       vidx, hidx)
                _accumulate(vidx, n_active, ph, -w_neg, gW, gb, gc)
            chain_step += k
        if centered:
            for i in range(nv):
                for j in range(nh):
                    gW[i, j] -= mu[i] * gc[j] + gb[i] * lam[j]
            for i in range(nv):
                for j in range(nh):
                    gb[i] -= gW[i, j] * lam[j]
                    gc[j] -= mu[i] * gW[i, j]
            for j in range(nh):
                lam[j] += offset_rate * (mean_ph[j] - lam[j])
        for i in range(nv):
            for j in range(nh):
                vel_W[i, j] = momentum * vel_W[i, j] + learning_rate * (gW[i, j] - weight_decay * W[i, j])
                W[i, j] += vel_W[i, j]
                gW[i, j] = 0.0
            vel_b[i] = momentum * vel_b[i] + learning_rate * gb[i]
            b[i] += vel_b[i]
            gb[i] = 0.0
        for j in range(nh):
            vel_c[j] = momentum * vel_c[j] + learning_rate * gc[j]
            c[j] += vel_c[j]
            gc[j] = 0.0
        transpose_into(W, WT)
    return chain_step
