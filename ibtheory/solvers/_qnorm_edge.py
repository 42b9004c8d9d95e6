r"""The norm-like interpolator near its l1 end: a primal-dual Newton in mixed variables.

Problem of :mod:`ibtheory.solvers._qnorm` (:math:`a_j, b_j > 0`, :math:`c_j = b_j/a_j`,
orthonormal constraint rows :math:`Vz = \tilde y`):

.. math::

    \min_z \sum_j a_j H_L(z_j/b_j)\ \text{s.t.}\ Vz = \tilde y
    \iff
    h_L^{-1}(z_j/b_j) = t_j := c_j (V^\top\nu)_j\ (\forall j),\quad Vz = \tilde y .

**Why the dual route stops.** For small :math:`\alpha` the coordinates in the support
of the l1 limit have :math:`z_j/b_j \sim \alpha^{-L}`, so their dual variable sits at
:math:`t_j = \pm(c_L - g_j)` with a gap :math:`g_j \asymp (z_j/b_j)^{-(L-2)/L}\sim
\alpha^{L-2}` (from :math:`c_L - I_{L-2}(u) \sim 2^{L-2}e^{-(L-2)u}/(L-2)` and
:math:`h_L \sim e^{Lu}/2^L`). A float64 :math:`\nu` resolves :math:`t_j` only to
:math:`\epsilon c_L` in absolute terms, hence :math:`g_j` to a relative
:math:`\epsilon c_L/g_j` and :math:`z_j = b_j h_L(t_j)` to
:math:`\tfrac{L}{L-2}\epsilon c_L/g_j`: about :math:`10^{-7}` at :math:`L = 5,
\alpha = 10^{-3}`. No reformulation of the dual alone helps: the optimum
:math:`\nu` itself is not representable closely enough.

**Mixed variables.** On the near-edge set :math:`S = \{j : c_L - |t_j| < \kappa c_L\}`
the unknown is :math:`z_j` and the equation is written in the dual units,
:math:`r_j = h_L^{-1}(z_j/b_j) - t_j = 0` (:func:`ibtheory.special.h_inv` is
accurate to :math:`\epsilon c_L` in absolute terms, which is all this equation
needs); off :math:`S` the unknown :math:`z_j = b_j h_L(t_j)` is eliminated
(:math:`t_j` is interior there, so :math:`h_L` is well conditioned). Newton's method
on :math:`(z_S, \nu)`:

.. math::

    \begin{pmatrix} \operatorname{diag}(D_S) & -\operatorname{diag}(c_S) V_S^\top \\
                    V_S & V_{\bar S}\operatorname{diag}(W_{\bar S}) V_{\bar S}^\top \end{pmatrix}
    \begin{pmatrix}\delta z_S \\ \delta\nu\end{pmatrix}
    = \begin{pmatrix} -r_S \\ \tilde y - Vz \end{pmatrix},
    \qquad D_j = \frac{1}{b_j h_L'(h_L^{-1}(z_j/b_j))},\quad W_j = b_j c_j h_L'(t_j),

with :math:`h_L' = (1 + q^2)^{L-2}(1 + Lq^2)`. As :math:`\alpha \to 0`,
:math:`D_S \to 0` and the matrix tends to
:math:`\begin{pmatrix}0 & -C_S V_S^\top\\ V_S & \cdot\end{pmatrix}`, nonsingular when
the l1 support has :math:`n` well-conditioned columns: the system stays well
conditioned where the dual Hessian :math:`V\operatorname{diag}(W)V^\top` (with
:math:`W_S \to \infty`) does not. A backtracking line search on the merit
:math:`\|r_S\|^2/c_L^2 + \|\tilde y - Vz\|^2/\|\tilde y\|^2` keeps :math:`|t_j| < c_L`
off :math:`S`. Started from the dual Newton's last point, or from the exact
weighted l1 solution (:func:`l1_start`) when :math:`\alpha` is so small that
:math:`t_S` rounds to :math:`\pm c_L`.

See the book chapter *The limiting optimization problems* (``book/solvers.md``).
"""
from __future__ import annotations

import numpy as np

#: Coordinates with c_L - |t| < KAPPA c_L are solved for z (the t-form equation);
#: beyond, z = b h_L(t) loses at most eps / KAPPA * L/(L-2) ~ 1e-12 relatively.
KAPPA = 1e-3


def _log_h_prime(L, e):
    """log h_L' = (L-2) log(1 + q^2) + log(1 + L q^2), given e = q^2 (no overflow)."""
    return (L - 2) * np.log1p(e) + np.log1p(L * e)


def _near_edge(t, z, cL):
    """The coordinates solved for z: |t| within KAPPA c_L of the edge and |z| not negligible.

    A coordinate near the edge with |z_j| < 1e-6 max|z| (off the support of a degenerate
    l1 limit) stays in the z-form: its precision loss there is harmless to feasibility,
    while its t-form makes the Newton system nearly singular.
    """
    zmax = float(np.max(np.abs(z))) if np.all(np.isfinite(z)) and z.size else 0.0
    return (np.abs(t) > (1.0 - KAPPA) * cL) & (np.abs(z) > 1e-6 * zmax)


def l1_start(A, y, a, b, L, svd):
    r"""The alpha -> 0 start: the weighted l1 solution and its dual, in the solver's variables.

    Near the l1 end :math:`a_j H_L(z_j/b_j) \approx c_L |z_j|/c_j`, so the limit is
    :math:`z = c\odot\zeta` with :math:`\zeta = \arg\min\|\zeta\|_1` s.t.
    :math:`A\,\mathrm{diag}(c)\,\zeta = y`, and its dual :math:`\lambda_1`
    (:math:`|c_j (A^\top\lambda_1)_j| \le 1`) gives :math:`\lambda \approx c_L\lambda_1`, i.e.
    :math:`t \approx \pm c_L` on the support. Returns ``(z0, nu0, S)`` or None when the LP
    is not certified.
    """
    from ..special import blowup_time
    from ._interpolators import min_l1_interpolator
    from ._result import SolverError

    U, sv, Vt = svd
    c = b / a
    try:
        res = min_l1_interpolator(A * c, y)
    except (SolverError, ValueError):
        # ValueError: with weights spread over many decades A*c is numerically rank
        # deficient, and its "y not in the range" would misreport the caller's problem
        return None
    cL = blowup_time(L)
    z0 = c * res.x
    # S = the l1 support. A degenerate LP vertex may put zero coordinates at |t| = c_L
    # too; their alpha > 0 optimum is interior, so they stay in the z-form, started
    # just inside the edge (nu0 shrunk by 1e-6).
    nu0 = (1.0 - 1e-6) * sv * (U.T @ (cL * res.dual))
    return z0, nu0, z0 != 0


def edge_newton(A, y, a, b, L, z0, nu0, S, svd, maxiter=40):
    """Newton's method on the mixed system (module docstring) from ``(z0, nu0)``.

    Returns ``(z, lam, nit)``; raises ``ValueError`` (caught by the caller) when the
    start is outside the domain or the line search fails before any progress.
    """
    from ..special import blowup_time, h, h_inv

    from ._qnorm import q2_from_h

    U, sv, Vt = svd
    yr = (U.T @ y) / sv
    c = b / a
    cL = blowup_time(L)
    S = np.asarray(S, dtype=bool)
    O = ~S
    VS, VO = Vt[:, S], Vt[:, O]
    m, r = int(S.sum()), Vt.shape[0]
    ys = max(float(np.linalg.norm(yr)), 1e-300)

    def state(nu, zS):
        t = c * (Vt.T @ nu)
        if np.any(np.abs(t[O]) >= cL):
            return None
        try:
            hO = h(L, t[O])
        except ValueError:
            return None
        z = np.empty_like(t)
        z[O], z[S] = b[O] * hO, zS
        rS = h_inv(L, zS / b[S]) - t[S]
        rf = yr - Vt @ z
        merit = float(np.sum(rS**2)) / cL**2 + float(np.sum(rf**2)) / ys**2
        return merit, z, t, hO, rS, rf

    nu, zS = np.array(nu0, dtype=float), np.array(z0, dtype=float)[S]
    cur = state(nu, zS)
    if cur is None:
        raise ValueError("start outside the domain |t| < c_L off S")
    floor = (8 * np.finfo(float).eps) ** 2
    flat = 0
    for it in range(1, maxiter + 1):
        merit, z, t, hO, rS, rf = cur
        if merit <= floor:
            break
        with np.errstate(over="ignore", under="ignore"):
            DS = np.exp(-np.log(b[S]) - _log_h_prime(L, q2_from_h(L, zS / b[S])))
            WO = np.exp(np.log(b[O]) + np.log(c[O]) + _log_h_prime(L, q2_from_h(L, hO)))
        K = np.zeros((m + r, m + r))
        K[:m, :m] = np.diag(DS)
        K[:m, m:] = -c[S][:, None] * VS.T
        K[m:, :m] = VS
        K[m:, m:] = (VO * WO) @ VO.T
        try:
            step = np.linalg.solve(K, np.concatenate([-rS, rf]))
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(K, np.concatenate([-rS, rf]), rcond=None)[0]
        if not np.all(np.isfinite(step)):
            break
        dz, dnu = step[:m], step[m:]
        tau, new = 1.0, None
        while tau >= 1e-6:  # a shorter step means a start outside Newton's basin
            trial = state(nu + tau * dnu, zS + tau * dz)
            if trial is not None and trial[0] <= (1.0 - 1e-4 * tau) * merit:
                new = trial
                break
            tau *= 0.5
        if new is None:  # no decrease: the merit is at its round-off floor
            break
        # Near the solution (residuals below ~1e-8), stop after 3 steps that fail to
        # halve the merit: its round-off floor.
        flat = flat + 1 if (new[0] > 0.25 * merit and merit < 1e-16) else 0
        nu, zS, cur = nu + tau * dnu, zS + tau * dz, new
        if flat >= 3:
            break
    z = cur[1]
    return z, U @ (nu / sv), it


#: The dual Newton's answer is refined when its worst KKT residual exceeds this.
REFINE_ABOVE = 1e-12
#: ... and continued in alpha (:func:`continuation`) when the refined point exceeds this.
CONTINUE_ABOVE = 1e-10
#: Continuation: z/b grows by at most 10^(2 MAX_DELTA) per stage (halved on a failed stage).
MAX_DELTA = 3.0


def refine_at_edge(A, y, a, b, L, svd, z, lam, nu, kkt):
    """Best certified point among the dual Newton's and :func:`edge_newton` from two starts.

    Starts: the dual Newton's last point (near-edge set from its t), then the exact
    weighted l1 solution (:func:`l1_start`). Returns ``(z, lam, nit, kkt)`` with the
    smallest worst KKT residual (the dual's own when nothing improves on it).
    """
    from ..special import blowup_time

    from ._qnorm import qnorm_kkt

    best = (z, lam, 0, kkt)
    c, cL = b / a, blowup_time(L)
    starts = []
    if nu is not None and np.all(np.isfinite(nu)):
        t = c * (svd[2].T @ nu)
        S = _near_edge(t, z, cL)
        if np.any(S) and np.all(np.isfinite(z)):
            starts.append(lambda: (z, nu, S))
    starts.append(lambda: l1_start(A, y, a, b, L, svd))
    for make in starts:
        if best[3].meets(REFINE_ABOVE):
            break
        start = make()
        if start is None:
            continue
        try:
            z1, lam1, it1 = edge_newton(A, y, a, b, L, *start, svd)
        except ValueError:
            continue
        k1 = qnorm_kkt(A, y, a, b, L, z1, lam1)
        if np.isfinite(k1.worst) and not (k1.worst >= best[3].worst):
            best = (z1, lam1, it1, k1)
    return best


def continuation(A, y, a, b, L, svd, max_stages=400):
    r"""Follow the solution from a nearly-l2 scale down to the target: ``(z, lam, nit)`` or None.

    The family :math:`a(s) = s^2 a`, :math:`b(s) = s^L b` (:math:`\alpha \to s\alpha`)
    is solved at :math:`s_0` where :math:`\max|z_{\ell_2}|/\min_j b_j(s_0) = 10^3`
    (all :math:`t_j` far from the edge), then at :math:`s_{k+1} = s_k\,10^{-2\delta/L}`
    (:math:`z/b` grows by :math:`10^{2\delta}` per stage, :math:`\delta = 1` halved on a
    failed stage), each by :func:`edge_newton` started at the previous :math:`t` and
    :math:`z_S`. Needed when the l1 limit is degenerate (support smaller than the
    number of constraints, e.g. a sparse target): its LP vertex is then no start.
    """
    from ..special import blowup_time

    from ._qnorm import _dual_newton, _NewtonFailure, qnorm_kkt

    U, sv, Vt = svd
    cL = blowup_time(L)
    zeta = float(np.max(np.abs(Vt.T @ ((U.T @ y) / sv))))
    if zeta == 0.0:
        return None
    s0 = max(1.0, (zeta / (1e3 * float(np.min(b)))) ** (1.0 / L))
    c = b / a
    good, trial, delta = None, np.log10(s0), MAX_DELTA   # log10 of the last solved s, of the next
    z, nu, nit = np.zeros_like(b), np.zeros(Vt.shape[0]), 0
    for _ in range(max_stages):
        s = 10.0**trial
        a_s, b_s, c_s = a * s**2, b * s**L, c * s ** (L - 2)
        nu0 = nu if good is None else nu * 10.0 ** ((good - trial) * (L - 2))  # same t
        S = _near_edge(c_s * (Vt.T @ nu0), z, cL)
        try:
            if good is None:  # the first stage is far from the edge: the dual Newton
                z1, lam1, it, _ = _dual_newton(A, y, a_s, b_s, L, svd=svd)
            else:
                z1, lam1, it = edge_newton(A, y, a_s, b_s, L, z, nu0, S, svd)
            ok = qnorm_kkt(A, y, a_s, b_s, L, z1, lam1).meets(1e-10)
        except (ValueError, _NewtonFailure):
            ok, it = False, 1
        nit += it
        if ok:
            z, nu, good = z1, sv * (U.T @ lam1), trial
            if good <= 0.0:
                return z1, lam1, nit
            delta = min(MAX_DELTA, 2.0 * delta)
        elif good is None or delta < 1e-3:
            return None
        else:
            delta *= 0.5
        trial = max(0.0, good - 2.0 * delta / L)
    return None


def determinacy(A, a, b, L, z, lam):
    r"""Relative error of ``z`` that float64 leaves undetermined near the l1 end.

    On the near-edge set :math:`S = \{j: |t_j| > (1-\kappa)c_L\}` the gradient of the
    objective is :math:`(a_j/b_j)u_j` with :math:`u_j = h_L^{-1}(z_j/b_j)` within a
    relative gap :math:`\gamma_j = 1 - |t_j|/c_L` of :math:`c_L`, and a relative change
    :math:`\delta` of :math:`z_j` changes :math:`u_j` by about
    :math:`\tfrac{L-2}{L}\gamma_j\delta` relatively (from
    :math:`c_L - u \propto h^{-(L-2)/L}`). When the columns :math:`A_S` are dependent
    (an l1 limit with several minimizers, e.g. a duplicated column), the constraint
    leaves :math:`z` free along :math:`\ker A_S`, and only these gradient changes pin it:
    float64 resolves them to :math:`\epsilon`, so :math:`z` is determined only to
    :math:`\tfrac{L}{L-2}\,\epsilon/\max_k\gamma_k` over the coordinates :math:`k`
    that move along :math:`\ker A_S`, which the KKT residuals cannot see. Returns that
    bound (0 when :math:`A_S` has independent columns, the usual case). On the review's
    duplicated-column instance it gives 4.6e-4 at :math:`L = 6,\ \alpha = 10^{-3}`,
    where the error against an mpmath solve is 1.7e-4 (4.8e-7 against 1.5e-7 at
    :math:`L = 5`; 6.2e-7 against 5.8e-7 at :math:`L = 8,\ \alpha = 0.03`).
    """
    from ..special import blowup_time

    cL = blowup_time(L)
    t = (b / a) * (A.T @ lam)
    S = np.flatnonzero(np.abs(t) > (1.0 - KAPPA) * cL)
    if S.size < 2 or L <= 2:
        return 0.0
    AS = A[:, S]
    _, sv, Vt = np.linalg.svd(AS)
    rank = int(np.sum(sv > sv[0] * max(AS.shape) * np.finfo(float).eps)) if sv.size else 0
    if rank >= S.size:
        return 0.0
    N = Vt[rank:].T                                  # orthonormal basis of ker A_S
    moving = np.linalg.norm(N, axis=1) > 1e-8
    gap = float(np.max(np.clip(1.0 - np.abs(t[S][moving]) / cL, 0.0, None)))
    return float("inf") if gap == 0 else L / (L - 2) * np.finfo(float).eps / gap
