"""Counter-based random numbers: every draw is a pure function of (key, counter).

A sequential generator gives shipment k its k-th draw, so a shipment can only
be skipped by drawing for it anyway: every shipment used to draw a service time
at every station, visited or not, to keep common random numbers aligned. A
counter-based generator computes the draw of shipment k directly, from a key
(seed, replication, port) and a counter (k, attempt, purpose, station): a
shipment draws only what it uses, and its draws never depend on what other
shipments draw, so comparisons between scenarios stay exactly coupled.

The generator is Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random
numbers: as easy as 1, 2, 3", SC'11; the Random123 library), a keyed bijection
of 128-bit counters that passes the BigCrush battery; NumPy and JAX ship it. The
implementation is checked against Random123's known-answer vectors
(``tests/test_streams.py``).

Normal and exponential variates come from the ziggurat method (Marsaglia and
Tsang 2000; the 128-layer normal of Doornik 2005), which needs no transcendental
function for about 99% of draws: in scalar code a logarithm or an exponential
costs more than the Philox block itself. Each attempt of a rejection method
(ziggurat, Marsaglia and Tsang's gamma) uses a counter of its own, so a draw is
still a function of (key, shipment, purpose, station) alone. Uniform,
triangular and empirical times are inverse transforms.

Blocks in bulk: the counter of a draw's first block is known before the draw,
so :func:`sim.inputs.draw_port` computes a chunk of shipments' blocks together
(:func:`blocks`), a loop of independent counters that the compiler runs in SIMD
lanes (about 3 ns a block, against 15 ns one at a time), then turns each block
into its variate (:func:`variate_from`). The one-at-a-time :func:`variate`
computes the same block itself; a test checks that the two agree to the bit.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

inline = njit(cache=True, inline="always")

# Philox4x32 round multipliers and Weyl key increments (Random123)
M0 = np.uint64(0xD2511F53)
M1 = np.uint64(0xCD9E8D57)
W0 = np.uint64(0x9E3779B9)
W1 = np.uint64(0xBB67AE85)
LOW32 = np.uint64(0xFFFFFFFF)
SHIFT32 = np.uint64(32)
SHIFT5 = np.uint64(5)
SHIFT6 = np.uint64(6)
ROUNDS = 10
ZIGGURAT = 16  # the attempt word of a ziggurat's first block; plain uniforms use 0

# distribution kinds, as encoded by sim.plan.encode
NONE, EXPONENTIAL, LOGNORMAL, GAMMA, DETERMINISTIC, UNIFORM, TRIANGULAR, VALUES, QUANTILES = range(
    9
)


@inline
def philox(c0, c1, c2, c3, k0, k1):
    """Philox4x32-10 of the counter (c0, c1, c2, c3) under the key (k0, k1).

    Every argument and result is a uint64 holding 32 bits: numba has no
    32x32->64-bit multiply, and a uint64 product of two 32-bit values is exact.
    """
    for _ in range(ROUNDS):
        p0 = M0 * c0
        p1 = M1 * c2
        c0, c1, c2, c3 = (
            (p1 >> SHIFT32) ^ c1 ^ k0,
            p1 & LOW32,
            (p0 >> SHIFT32) ^ c3 ^ k1,
            p0 & LOW32,
        )
        k0 = (k0 + W0) & LOW32
        k1 = (k1 + W1) & LOW32
    return c0, c1, c2, c3


@inline
def uniform53(high, low):
    """A uniform on (0, 1) from two 32-bit words: 53 bits, never 0 or 1."""
    # through int64: x86 has no direct uint64-to-double conversion, and it costs ~5 ns
    high27 = np.int64(high >> SHIFT5)
    low26 = np.int64(low >> SHIFT6)
    return (high27 * 67108864.0 + low26 + 0.5) * (1.0 / 9007199254740992.0)


@inline
def uniform32(word):
    """A uniform on (0, 1) from one 32-bit word: enough to compare with a probability."""
    return (np.int64(word) + 0.5) * (1.0 / 4294967296.0)


@inline
def _block(k0, k1, shipment, attempt, purpose, station):
    """The counter block (shipment, attempt, purpose, station), each word 32 bits."""
    return philox(
        np.uint64(shipment) & LOW32,
        np.uint64(attempt) & LOW32,
        np.uint64(purpose) & LOW32,
        np.uint64(station) & LOW32,
        k0,
        k1,
    )


@inline
def uniform(k0, k1, shipment, attempt, purpose, station):
    """The uniform of one shipment (or epoch) for one purpose and attempt."""
    w0, w1, _, _ = _block(k0, k1, shipment, attempt, purpose, station)
    return uniform53(w0, w1)


# --- the normal quantile: Wichura's algorithm AS 241 (PPND16), accurate to about 1e-16 ---

_A = (
    3.3871328727963666080e0,
    1.3314166789178437745e2,
    1.9715909503065514427e3,
    1.3731693765509461125e4,
    4.5921953931549871457e4,
    6.7265770927008700853e4,
    3.3430575583588128105e4,
    2.5090809287301226727e3,
)
_B = (
    1.0,
    4.2313330701600911252e1,
    6.8718700749205790830e2,
    5.3941960214247511077e3,
    2.1213794301586595867e4,
    3.9307895800092710610e4,
    2.8729085735721942674e4,
    5.2264952788528545610e3,
)
_C = (
    1.42343711074968357734e0,
    4.63033784615654529590e0,
    5.76949722146069140550e0,
    3.64784832476320460504e0,
    1.27045825245236838258e0,
    2.41780725177450611770e-1,
    2.27238449892691845833e-2,
    7.74545014278341407640e-4,
)
_D = (
    1.0,
    2.05319162663775882187e0,
    1.67638483018380384940e0,
    6.89767334985100004550e-1,
    1.48103976427480074590e-1,
    1.51986665636164571966e-2,
    5.47593808499534494600e-4,
    1.05075007164441684324e-9,
)
_E = (
    6.65790464350110377720e0,
    5.46378491116411436990e0,
    1.78482653991729133580e0,
    2.96560571828504891230e-1,
    2.65321895265761230930e-2,
    1.24266094738807843860e-3,
    2.71155556874348757815e-5,
    2.01033439929228813265e-7,
)
_F = (
    1.0,
    5.99832206555887937690e-1,
    1.36929880922735805310e-1,
    1.48753612908506148525e-2,
    7.86869131145613259100e-4,
    1.84631831751005468180e-5,
    1.42151175831644588870e-7,
    2.04426310338993978564e-15,
)


@inline
def _polynomial(c, x):
    return (
        (((((c[7] * x + c[6]) * x + c[5]) * x + c[4]) * x + c[3]) * x + c[2]) * x + c[1]
    ) * x + c[0]


@inline
def normal_quantile(p):
    """The standard normal quantile of p in (0, 1) (AS 241)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _polynomial(_A, r) / _polynomial(_B, r)
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        value = _polynomial(_C, r) / _polynomial(_D, r)
    else:
        r -= 5.0
        value = _polynomial(_E, r) / _polynomial(_F, r)
    return -value if q < 0.0 else value


# --- ziggurats ------------------------------------------------------------------

NORMAL_LAYERS = 128
NORMAL_TAIL = 3.442619855899  # where the normal's tail starts (Doornik 2005)
NORMAL_AREA = 9.91256303526217e-3  # each layer's area: (R phi(R) + P(X >= R)) sqrt(2 pi)
EXPONENTIAL_LAYERS = 256
EXPONENTIAL_TAIL = 7.69711747013104972  # Marsaglia and Tsang (2000)
EXPONENTIAL_AREA = 3.949659822581572e-3


def _ziggurat(
    layers: int, tail: float, area: float, density, inverse
) -> tuple[np.ndarray, np.ndarray]:
    """Layer edges x[0..layers] (x[0] = area / f(tail): the base strip with the tail folded
    in; x[1] = tail; x[layers] = 0) and the ratios x[i + 1] / x[i] under which a draw
    falls inside the layer's rectangle."""
    x = np.zeros(layers + 1)
    x[0] = area / density(tail)
    x[1] = tail
    for i in range(2, layers):
        x[i] = inverse(area / x[i - 1] + density(x[i - 1]))
    return x, x[1:] / x[:-1]


NORMAL_EDGES, NORMAL_RATIOS = _ziggurat(
    NORMAL_LAYERS,
    NORMAL_TAIL,
    NORMAL_AREA,
    lambda x: math.exp(-0.5 * x * x),
    lambda f: math.sqrt(-2.0 * math.log(f)),
)
EXPONENTIAL_EDGES, EXPONENTIAL_RATIOS = _ziggurat(
    EXPONENTIAL_LAYERS,
    EXPONENTIAL_TAIL,
    EXPONENTIAL_AREA,
    lambda x: math.exp(-x),
    lambda f: -math.log(f),
)
"""The tables: global arrays, which numba freezes into the compiled code as constants."""

SHIFT12 = np.uint64(12)
LOW7 = np.uint64(0x7F)
LOW8 = np.uint64(0xFF)
BIT8 = np.uint64(0x100)


@inline
def normal(k0, k1, shipment, purpose, station):
    """A standard normal variate by the 128-layer ziggurat (Doornik 2005)."""
    w0, w1, w2, w3 = _block(k0, k1, shipment, ZIGGURAT, purpose, station)
    return normal_from(w0, w1, w2, w3, k0, k1, shipment, purpose, station)


@inline
def normal_from(w0, w1, w2, w3, k0, k1, shipment, purpose, station):
    """:func:`normal`, given its first counter block (attempt ``ZIGGURAT``).

    The first attempt's rectangle test (~99% of draws) is inlined where a normal
    is drawn; the rest (:func:`_normal_rest`) is an ordinary compiled call.
    """
    u = 2.0 * uniform53(w0, w1) - 1.0
    i = w2 & LOW7
    if abs(u) < NORMAL_RATIOS[i]:
        return u * NORMAL_EDGES[i]
    return _normal_rest(k0, k1, shipment, purpose, station, u, i, w3)


@njit(cache=True)
def _normal_rest(k0, k1, shipment, purpose, station, u, i, w3):
    """The ziggurat after a first attempt outside its layer's rectangle."""
    edges, ratios = NORMAL_EDGES, NORMAL_RATIOS
    attempt = ZIGGURAT + 1
    while True:
        if i == 0:  # the base strip beyond the tail's start: Marsaglia's tail method
            while True:
                v0, v1, v2, v3 = _block(k0, k1, shipment, attempt, purpose, station)
                attempt += 1
                x = math.log(uniform53(v0, v1)) / NORMAL_TAIL
                y = math.log(uniform53(v2, v3))
                if -2.0 * y >= x * x:
                    return x - NORMAL_TAIL if u < 0.0 else NORMAL_TAIL - x
        x = u * edges[i]  # the wedge between the rectangle and the curve
        f0 = math.exp(-0.5 * (edges[i] * edges[i] - x * x))
        f1 = math.exp(-0.5 * (edges[i + 1] * edges[i + 1] - x * x))
        if f1 + uniform32(w3) * (f0 - f1) < 1.0:
            return x
        w0, w1, w2, w3 = _block(k0, k1, shipment, attempt, purpose, station)
        attempt += 1
        u = 2.0 * uniform53(w0, w1) - 1.0
        i = w2 & LOW7
        if abs(u) < ratios[i]:  # inside the layer's rectangle
            return u * edges[i]


@inline
def exponential(k0, k1, shipment, purpose, station):
    """A standard exponential variate by the 256-layer ziggurat (Marsaglia and Tsang 2000)."""
    w0, w1, w2, w3 = _block(k0, k1, shipment, ZIGGURAT, purpose, station)
    return exponential_from(w0, w1, w2, w3, k0, k1, shipment, purpose, station)


@inline
def exponential_from(w0, w1, w2, w3, k0, k1, shipment, purpose, station):
    """:func:`exponential`, given its first counter block; first test inlined as in
    :func:`normal_from`."""
    u = uniform53(w0, w1)
    i = w2 & LOW8
    if u < EXPONENTIAL_RATIOS[i]:
        return u * EXPONENTIAL_EDGES[i]
    return _exponential_rest(k0, k1, shipment, purpose, station, u, i, w3)


@njit(cache=True)
def _exponential_rest(k0, k1, shipment, purpose, station, u, i, w3):
    """The ziggurat after a first attempt outside its layer's rectangle."""
    edges, ratios = EXPONENTIAL_EDGES, EXPONENTIAL_RATIOS
    attempt = ZIGGURAT + 1
    while True:
        if i == 0:  # beyond the tail's start the exponential starts afresh
            v0, v1, _, _ = _block(k0, k1, shipment, attempt, purpose, station)
            return EXPONENTIAL_TAIL - math.log(uniform53(v0, v1))
        x = u * edges[i]
        f0 = math.exp(-edges[i])
        f1 = math.exp(-edges[i + 1])
        if f1 + uniform32(w3) * (f0 - f1) < math.exp(-x):
            return x
        w0, w1, w2, w3 = _block(k0, k1, shipment, attempt, purpose, station)
        attempt += 1
        u = uniform53(w0, w1)
        i = w2 & LOW8
        if u < ratios[i]:
            return u * edges[i]


# --- variates -------------------------------------------------------------------


@inline
def first_block(kind, station):
    """The (attempt, station) words of a draw's first counter block.

    A ziggurat's attempts count from ``ZIGGURAT``, below which lie the plain
    uniforms of inverse transforms (attempt 0). Gamma's first block is its first
    attempt's normal, at station word + ``GAMMA_STRIDE``; its second (:func:`gamma_from`)
    is that attempt's uniform, at attempt word 1.
    """
    if kind == GAMMA:
        return ZIGGURAT, (station + GAMMA_STRIDE) & 0xFFFFFFFF
    if kind in (EXPONENTIAL, LOGNORMAL):
        return ZIGGURAT, station
    return 0, station


@njit(cache=True)
def variate(
    kinds, params, table_lo, table_hi, table_x, table_p, d, k0, k1, shipment, purpose, station
):
    """One draw of distribution d of a port's bank (see ``sim.plan.encode``) for one shipment
    and purpose: the kind and up to three parameters of each distribution, and the rows
    of the tables holding an empirical distribution's values or quantile table."""
    kind = kinds[d]
    attempt, word = first_block(kind, station)
    w0, w1, w2, w3 = _block(k0, k1, shipment, attempt, purpose, word)
    if kind in (VALUES, QUANTILES):
        return empirical(kind, uniform53(w0, w1), table_lo[d], table_hi[d], table_x, table_p)
    v0, v1 = np.uint64(0), np.uint64(0)
    if kind == GAMMA:
        v0, v1, _, _ = _block(k0, k1, shipment, GAMMA_FIRST, purpose, station)
    p0, p1, p2 = params[d, 0], params[d, 1], params[d, 2]
    return variate_from(
        kind, p0, p1, p2, w0, w1, w2, w3, v0, v1, k0, k1, shipment, purpose, station
    )


@inline
def variate_from(kind, p0, p1, p2, w0, w1, w2, w3, v0, v1, k0, k1, shipment, purpose, station):
    """One draw of a law given by its kind and parameters (not an empirical one: see
    :func:`empirical`), from the first counter block of the draw (w0..w3, at
    :func:`first_block`) and, for gamma, two words of its second (v0, v1). A caller may
    compute these for many draws at once (:func:`blocks`: Philox over independent
    counters runs in SIMD lanes, about five times faster than one block at a time).

    Scalars only: with the bank's arrays as arguments of this inlined function, the
    pass that turns a chunk's blocks into times measured 530 cycles a shipment, with
    scalars 310 (numba inlines into its caller's IR; the arrays' reference counting
    is the likely cost).
    """
    if kind == DETERMINISTIC:
        return p0
    if kind == EXPONENTIAL:
        return p0 * exponential_from(w0, w1, w2, w3, k0, k1, shipment, purpose, station)
    if kind == LOGNORMAL:
        return math.exp(p0 + p1 * normal_from(w0, w1, w2, w3, k0, k1, shipment, purpose, station))
    if kind == GAMMA:
        return gamma_from(p0, p1, w0, w1, w2, w3, v0, v1, k0, k1, shipment, purpose, station)
    u = uniform53(w0, w1)
    if kind == UNIFORM:
        return p0 + (p1 - p0) * u
    if u < (p1 - p0) / (p2 - p0):  # TRIANGULAR
        return p0 + math.sqrt(u * (p2 - p0) * (p1 - p0))
    return p2 - math.sqrt((1.0 - u) * (p2 - p0) * (p2 - p1))


@njit(cache=True)
def empirical(kind, u, lo, hi, table_x, table_p):
    """The draw at uniform u of an empirical law, rows lo:hi of the tables: one of the
    values (kind VALUES), or linear between the published percentiles (QUANTILES)."""
    if kind == VALUES:
        return table_x[lo + int(u * (hi - lo))]
    j = lo + 1
    while j < hi - 1 and table_p[j] <= u:
        j += 1
    share = (u - table_p[j - 1]) / (table_p[j] - table_p[j - 1])
    return table_x[j - 1] + share * (table_x[j] - table_x[j - 1])


@njit(cache=True)
def blocks(counters, k0, k1, m, out):
    """The counter blocks of the first m counters (the columns of ``counters``, 4 x 32
    bits) into the columns of ``out``: independent counters, which the compiler runs in
    SIMD lanes."""
    for i in range(m):
        w0, w1, w2, w3 = philox(
            np.uint64(counters[0, i]),
            np.uint64(counters[1, i]),
            np.uint64(counters[2, i]),
            np.uint64(counters[3, i]),
            k0,
            k1,
        )
        out[0, i] = w0
        out[1, i] = w1
        out[2, i] = w2
        out[3, i] = w3


GAMMA_FIRST = 1
GAMMA_STRIDE = 1 << 20
"""Gamma's attempt j (from ``GAMMA_FIRST``) draws its uniform at attempt word j and its
normal at station word + j * GAMMA_STRIDE."""


@inline
def gamma_from(shape, scale, w0, w1, w2, w3, v0, v1, k0, k1, shipment, purpose, station):
    """Marsaglia and Tsang (2000), the first attempt from its two blocks: the normal's
    (w0..w3, attempt ``ZIGGURAT`` at station word + ``GAMMA_STRIDE``) and the uniform's
    (v0, v1, attempt word 1); attempt j draws both at j. Shapes below 1 are boosted
    (G(a) = G(a + 1) U^(1/a)) by the uniform at attempt word 0."""
    z = normal_from(w0, w1, w2, w3, k0, k1, shipment, purpose, station + GAMMA_STRIDE)
    accepted, dv = _marsaglia_tsang(shape, z, uniform53(v0, v1))
    if not accepted:
        dv = _gamma_retry(shape, k0, k1, shipment, purpose, station)
    value = dv * scale
    if shape < 1.0:
        value *= uniform(k0, k1, shipment, 0, purpose, station) ** (1.0 / shape)
    return value


@inline
def _marsaglia_tsang(shape, z, u):
    """One attempt with normal z and uniform u: (accepted, the gamma(a) variate d v)."""
    a = shape + 1.0 if shape < 1.0 else shape
    d = a - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    v = 1.0 + c * z
    if v <= 0.0:
        return False, 0.0
    v = v * v * v
    z2 = z * z
    if u < 1.0 - 0.0331 * z2 * z2:  # the squeeze: no logarithm for most draws
        return True, d * v
    return math.log(u) < 0.5 * z2 + d - d * v + d * math.log(v), d * v


@njit(cache=True)
def _gamma_retry(shape, k0, k1, shipment, purpose, station):
    """Attempts 2, 3, ... of :func:`gamma_from`, until one is accepted."""
    attempt = GAMMA_FIRST + 1
    while True:
        z = normal(k0, k1, shipment, purpose, station + attempt * GAMMA_STRIDE)
        u = uniform(k0, k1, shipment, attempt, purpose, station)
        accepted, dv = _marsaglia_tsang(shape, z, u)
        if accepted:
            return dv
        attempt += 1
