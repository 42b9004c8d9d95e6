"""Yun, Krishnan, Mobahi (2021): convolutional networks with short filters (Theorem 1) and Corollary 4 (derived).

Experiments: :func:`ibtheory.papers.yun2021.short_conv_flows` and
:func:`ibtheory.papers.yun2021.conv_single_point` (book presets), shared with the chapter
``book/yun2021.md``.
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.yun2021 import ConvPointDerivation, ShortConvDerivation, conv_single_point, short_conv_flows
from ibtheory.papers.yun2021 import tolerances as tol


@claim("yun2021.conv.short_filter_tensor",
       "A convolutional network with filters w_l of length k_l <= d (k_L = d) is the tensor network of the "
       "full-filter data tensor restricted to [k_1] x ... x [k_L]; its gradient is the restriction of the "
       "full-length gradient.",
       "Yun et al. 2021, Section 2 (M_conv with k_l <= d); derived here", seeds=short_conv_flows.seeds("book"))
def short_filter_tensor(seeds):
    rep = short_conv_flows("book", seeds=seeds)
    D = ShortConvDerivation()
    ok = D.verify()
    return Check.combine(
        details=(f"SymPy (d = {D.d}, ks = {D.ks}, symbolic real entries): {sum(ok.values())}/{len(ok)} residuals "
                 f"simplify to 0 (output = restricted tensor, gradient = restricted full gradient, contraction "
                 f"= truncated cross-correlation). Numerically, {len(seeds)} seeds x ks in "
                 f"{sorted(set(rep.ks.tolist()))}: FFT model (ShortConvolutional) vs TensorNetwork(short_conv_tensor) "
                 f"outputs and gradients {np.max(rep.tensor_error):.1e} (round-off; tolerance "
                 f"{tol.SHORT_CONV_TENSOR:.0e}), vs central finite differences {np.max(rep.fd_error):.1e} (h = 1e-6: "
                 f"truncation + round-off; tolerance {tol.SHORT_CONV_FD:.0e})."),
        routes=("SymPy", "ShortConvolutional (zero-padded FFT)", "TensorNetwork on the entrywise tensor",
                "finite differences"),
        sympy=Check.bound(float(len(ok) - sum(ok.values())), 0.5),
        tensor=Check(float(np.max(rep.tensor_error)), tol.SHORT_CONV_TENSOR),
        finite_differences=Check(float(np.max(rep.fd_error)), tol.SHORT_CONV_FD))


@claim("yun2021.thm1.short_filters",
       "Theorem 1 on convolutional networks with filters shorter than the signal: along the exponential-loss "
       "flow the filters approach singular vectors of M_conv(-u), i.e. sigma w_l = P_k(u xcorr conv(other "
       "filters)); the residual decays.",
       "Yun et al. 2021, Theorem 1 (M_conv with k_l < d)", seeds=short_conv_flows.seeds("book"))
def short_filters_theorem1(seeds):
    rep = short_conv_flows("book", seeds=seeds)
    parts, text = {}, []
    for ks in sorted(set(rep.ks.tolist())):
        m = rep.ks == ks
        fit, fit_u = rep.fit("residual", ks), rep.fit("u_increment", ks)
        parts[f"decays_{ks.replace(', ', '_').strip('()')}"] = Check.bound(fit.ci[1], 0.0)
        text.append(f"ks = {ks}: residual {np.median(rep.residual[m][:, 0]):.2g} -> "
                    f"{np.min(rep.final_residual[m]):.1e}..{np.max(rep.final_residual[m]):.1e}, exponent "
                    f"{fit.slope:.2f} [{fit.ci[0]:.2f}, {fit.ci[1]:.2f}]; increments of u: exponent "
                    f"{fit_u.slope:.2f} [{fit_u.ci[0]:.2f}, {fit_u.ci[1]:.2f}] (hypothesis, monitored)")
    parts["residual_routes"] = Check(float(np.max(rep.routes_difference)), tol.SHORT_CONV_ROUTES)
    parts["drift"] = Check.bound(float(np.max(rep.drift)), tol.LOGTIME_DRIFT_LONG)
    parts["converged"] = Check.bound(float(np.sum(rep.outcome != "converged")), 0.5)
    return Check.combine(
        details=(f"{len(seeds)} separable instances (n = 4, d = 6), init N(0, 0.3^2), log-time flow to s = "
                 f"{rep.s[-1]:.0e} (final log-losses <= {np.max(rep.final_log_loss):.2g}); pooled fits from s = "
                 f"{rep.s_fit_from:g} must have CIs below 0 (the theorem gives no rate; the approach is slow, "
                 f"a small power of s). " + "; ".join(text) + f". The two routes of the residual (data tensor, "
                 f"FFT cross-correlations) differ by <= {np.max(rep.routes_difference):.1e}; drift <= "
                 f"{np.max(rep.drift):.1e} (tolerance {tol.LOGTIME_DRIFT_LONG:.0e}, runs to s = 1e6)."),
        routes=("logtime_flow of ShortConvolutional", "singular_vector_residual on short_conv_tensor",
                "conv_stationarity_residual (FFT)"),
        **parts)


@claim("yun2021.cor4.conv_single_point",
       "Corollary 4 (derived; the slides omit it): a 2-layer full-length convolutional network on one point "
       "(x, y) with |F w1|^2 - |F w2|^2 > 0 converges in direction to filters on the dominant frequency pair "
       "J = argmax |x_hat| set by the initialization, and beta -> y * (component of x at J).",
       "Yun et al. 2021, Corollary 4 (derived here from Theorem 3 with tied singular values)",
       seeds=conv_single_point.seeds("book"))
def cor4_single_point(seeds):
    rep = conv_single_point("book", seeds=seeds)
    D = ConvPointDerivation()
    ok = D.verify()
    return Check.combine(
        details=(f"{len(seeds)} random points (d = 6; dominant frequencies {', '.join(rep.frequencies)}; "
                 f"{int(rep.tied.sum())} tied pairs), labels {tuple(rep.label.astype(int))}, lambda >= "
                 f"{np.min(rep.init_margin):.3f}. SymPy (d = {D.d}): {sum(ok.values())}/{len(ok)} Fourier "
                 f"identities of M(x) hold. The log-time flow to t = e^1000 (final log-losses <= "
                 f"{np.max(rep.final_log_loss):.0f}) lies on the exact path to {np.max(rep.path_error):.1e} "
                 f"(tolerance {tol.COR4_PATH:.0e}); the path at nu = 40/(s_1 - s_next) (SVD route) matches "
                 f"cor4_limit (FFT route) to {np.max(rep.limit_angle):.1e} rad in w1, w2 and beta (tolerance "
                 f"{tol.COR4_LIMIT:.0e}); the predicted beta matches fourier_max_margin to "
                 f"{np.max(rep.solver_angle):.1e} rad (tolerance {tol.COR4_SOLVER:.0e}). Reported: the flow's own "
                 f"beta is still {np.min(rep.flow_beta_angle):.1e}..{np.max(rep.flow_beta_angle):.1e} rad away at "
                 f"t = e^1000 (other frequencies decay like a power of log t), while within the dominant pair its "
                 f"w1 is {np.max(rep.flow_plane_angle):.1e} rad from the predicted split."),
        routes=("logtime_flow of Convolutional (FFT)", "closed-form path on the SVD of M(x)",
                "cor4_limit (FFT)", "fourier_max_margin (SOCP)", "SymPy"),
        sympy=Check.bound(float(len(ok) - sum(ok.values())), 0.5),
        path=Check(float(np.max(rep.path_error)), tol.COR4_PATH),
        limit=Check(float(np.max(rep.limit_angle)), tol.COR4_LIMIT),
        solver=Check(float(np.max(rep.solver_angle)), tol.COR4_SOLVER),
        converged=Check.bound(float(np.sum(rep.outcome != "converged")), 0.5))
