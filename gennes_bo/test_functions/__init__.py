"""Benchmark problems: one registry of named problems (BoTorch's synthetic functions, the paper's and the
project's own), random translations and embeddings, and the digits logistic-regression hyperparameter objective."""

from gennes_bo.test_functions.digits import DigitsLogisticRegression
from gennes_bo.test_functions.embedding import EmbeddedFunction, random_embedding
from gennes_bo.test_functions.registry import (
    PAPER_FUNCTIONS,
    PAPER_PROBLEMS,
    PROBLEMS,
    UnknownProblemError,
    describe_problems,
    get_problem,
    paper_function,
    parse_problem_key,
    problem_key,
    register_problem,
)
from gennes_bo.test_functions.synthetic import (
    Alpine1,
    MichalewiczAnyDim,
    Schwefel,
    ShiftedStyblinskiTang,
    Wave1D,
)
from gennes_bo.test_functions.translation import (
    TRANSLATIONS,
    TranslatedFunction,
    random_translation,
    regret,
    small_translation,
)

__all__ = [
    "PAPER_FUNCTIONS",
    "PAPER_PROBLEMS",
    "PROBLEMS",
    "TRANSLATIONS",
    "Alpine1",
    "DigitsLogisticRegression",
    "EmbeddedFunction",
    "MichalewiczAnyDim",
    "Schwefel",
    "ShiftedStyblinskiTang",
    "TranslatedFunction",
    "UnknownProblemError",
    "Wave1D",
    "describe_problems",
    "get_problem",
    "paper_function",
    "parse_problem_key",
    "problem_key",
    "random_embedding",
    "random_translation",
    "small_translation",
    "register_problem",
    "regret",
]
