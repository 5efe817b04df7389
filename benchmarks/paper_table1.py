"""The paper's Table 1 as data: mean regret over 10 folds at 1e2, 1e3, 1e4 and 1e5 evaluations.

Source: Faury, Vasile, Calauzènes, Fercoq, "Neural Generative Models for Global Optimization with Gradients",
arXiv 1805.08594, Table 1 (as transcribed in /work/shared/PAPER_NOTES.md). Some cells are garbled in the copy
available to us: the Schwefel d = 30 1e3 column and the Ackley / Styblinski-Tang 1e3-1e4 cells are approximate
(:func:`is_approximate`).
"""

from __future__ import annotations

SOURCE = "Faury et al., arXiv 1805.08594, Table 1"
CHECKPOINTS = (100, 1_000, 10_000, 100_000)
METHODS = ("gennes", "lbfgs", "snes", "acma")

# (function, dim) -> method -> regret at CHECKPOINTS.
TABLE1: dict[tuple[str, int], dict[str, tuple[float, float, float, float]]] = {
    ("rastrigin", 10): {"gennes": (71.3, 41.3, 4.1, 3.9), "lbfgs": (24.3, 13.3, 6.9, 5.4),
                        "snes": (107.2, 48.1, 4.3, 4.2), "acma": (100.9, 40.3, 6.1, 6.0)},
    ("rastrigin", 30): {"gennes": (279.0, 212.1, 72.3, 19.0), "lbfgs": (90.4, 74.5, 60.7, 41.2),
                        "snes": (333.5, 242.4, 40.3, 20.8), "acma": (100.9, 233.2, 37.0, 37.0)},
    ("ackley", 10): {"gennes": (7.9, 2.5, 0.007, 0.005), "lbfgs": (11.9, 8.3, 5.1, 3.2),
                     "snes": (11.4, 1.6, 1e-7, 5e-10), "acma": (10.7, 0.22, 1e-11, 1e-14)},
    ("ackley", 30): {"gennes": (9.4, 5.4, 0.007, 0.006), "lbfgs": (12.9, 11.6, 9.0, 7.2),
                     "snes": (18.7, 10.5, 9e-5, 2e-8), "acma": (18.6, 5.9, 2e-9, 1e-14)},
    ("styblinski_tang", 10): {"gennes": (206.1, 111.1, 7.8, 5.2), "lbfgs": (35.3, 24.0, 9.9, 5.6),
                              "snes": (888.6, 39.3, 11.3, 11.1), "acma": (657.6, 28.9, 24.1, 23.9)},
    ("styblinski_tang", 30): {"gennes": (2371.3, 587.7, 97.2, 21.1), "lbfgs": (169.0, 113.1, 98.2, 67.8),
                              "snes": (19022.0, 647.3, 70.6, 68.9), "acma": (14213.0, 488.2, 131.4, 85.4)},
    ("schwefel", 10): {"gennes": (3011.9, 2186.3, 595.8, 533.6), "lbfgs": (1463.2, 989.8, 718.5, 542.8),
                       "snes": (3087.1, 2587.7, 685.3, 685.3), "acma": (3042.3, 2301.8, 1749.1, 1739.2)},
    ("schwefel", 30): {"gennes": (10100.0, 8381.9, 1235.4, 943.8), "lbfgs": (5021.4, 5040.6, 3842.6, 3331.7),
                       "snes": (20807.0, 10253.4, 2447.8, 2429.4), "acma": (13000.0, 10021.2, 5661.7, 5658.7)},
}

# (function, dim, checkpoint) of the cells marked approximate in our copy of the paper.
APPROXIMATE: frozenset[tuple[str, int, int]] = frozenset(
    {("schwefel", 30, 1_000)}
    | {(function, dim, n) for function in ("ackley", "styblinski_tang") for dim in (10, 30) for n in (1_000, 10_000)}
)


def paper_regret(function: str, dim: int, method: str, n_evals: int) -> float | None:
    """The paper's mean regret of `method` on `function` at `dim` after `n_evals` evaluations (None if absent)."""
    row = TABLE1.get((function, dim), {}).get(method)
    if row is None or n_evals not in CHECKPOINTS:
        return None
    return row[CHECKPOINTS.index(n_evals)]


def is_approximate(function: str, dim: int, n_evals: int) -> bool:
    """Whether the paper's cells of this (function, dim, checkpoint) are approximate in our copy."""
    return (function, dim, n_evals) in APPROXIMATE
