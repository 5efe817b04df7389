"""Test functions of the paper that BoTorch lacks, the paper's domains for those it has, random translations,
and the digits logistic-regression hyperparameter objective."""

from gennes_bo.test_functions.digits import DigitsLogisticRegression
from gennes_bo.test_functions.synthetic import (
    PAPER_FUNCTIONS,
    Alpine1,
    Schwefel,
    ShiftedStyblinskiTang,
    Wave1D,
    paper_function,
)
from gennes_bo.test_functions.translation import TranslatedFunction, random_translation, regret

__all__ = [
    "PAPER_FUNCTIONS",
    "Alpine1",
    "DigitsLogisticRegression",
    "Schwefel",
    "ShiftedStyblinskiTang",
    "TranslatedFunction",
    "Wave1D",
    "paper_function",
    "random_translation",
    "regret",
]
