"""Yun, Krishnan, Mobahi (2021), Section 2: the tensor formulation and its gradient flow.

Experiment: :func:`ibtheory.papers.yun2021.tensor_identities` (book preset), shared with
the chapter ``book/yun2021.md``.
"""
from __future__ import annotations

import numpy as np

from ibtheory.ledger import Check, claim
from ibtheory.papers.yun2021 import tensor_identities
from ibtheory.papers.yun2021 import tolerances as tol


@claim("yun2021.tensor.data_tensor_equals_network",
       "The data tensors M(x) of diagonal, full-length convolutional and fully connected networks, "
       "built entry by entry from their definitions, give M(x) o (v_1, ..., v_L) = the network output.",
       "Yun et al. 2021, Section 2 (tensor formulation)", seeds=tensor_identities.seeds("book"))
def data_tensor_equals_network(seeds):
    rep = tensor_identities("book", seeds=seeds)
    worst = float(np.max(rep.max_rel_difference))
    families = ", ".join(sorted({f"{k} (M(x) of shape {s})" for k, s in zip(rep.network, rep.shape)}))
    return Check(
        measured=worst, tolerance=tol.TENSOR_IDENTITY,
        details=(f"{len(seeds)} seeds x ({families}), random "
                 f"parameters and inputs: M(x) from the entrywise definitions contracted with v vs the "
                 f"loop implementation, ibtheory.models (FFT for conv), models.tensor_form and explicit "
                 f"circulant products; worst relative difference {worst:.1e}. Round-off of sums of <= 125 "
                 f"products (~1e-16 each); tolerance {tol.TENSOR_IDENTITY:.0e} = ~20x the worst over five reseeds (4.5e-15)."),
        routes=("data_tensor + multilinear", "concrete loops", "ibtheory.models forward",
                "reference.yun2021.conv_output_circulant"))


@claim("yun2021.tensor.flow_equations",
       "For any loss, gradient flow on a linear tensor network is v_l' = M(-X^T r) o (v_1, .., I, .., v_L), "
       "r_i = l'(f(x_i), y_i).",
       "Yun et al. 2021, eq. before Theorem 1", seeds=tensor_identities.seeds("book"))
def flow_equations(seeds):
    from ibtheory.papers.yun2021 import TensorFlowDerivation

    derivation = TensorFlowDerivation(d=2, ks=(2, 2, 2), n=1)
    nonzero = sum(1 for ok in derivation.verify().values() if not ok)
    rep = tensor_identities("book", seeds=seeds)
    err = float(np.max(rep.flow_difference))
    return Check.combine(
        details=(f"SymPy: -grad of sum_i ell(f_i, y_i) minus the tensor form for a symbolic tensor "
                 f"(d=2, k=(2,2,2), n=1, ell undefined): {nonzero} of {len(derivation.residuals)} "
                 f"residuals nonzero. Numerics on {len(seeds)} random 3x2x3x2 tensors: TensorNetwork.grad "
                 f"(einsum VJP, square loss) vs the multilinear form, worst {err:.1e} relative to max|grad| "
                 f"(round-off; tolerance {tol.FLOW_EQUATION:.0e}, ~40x the worst over five reseeds, 2.7e-16)."),
        routes=("SymPy differentiation", "TensorNetwork.grad vs multilinear"),
        symbolic=Check.bound(float(nonzero), 0.5),
        numeric=Check(err, tol.FLOW_EQUATION))
