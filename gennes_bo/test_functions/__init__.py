"""Test functions of the paper that BoTorch lacks, and the paper's domains for those it has."""

from gennes_bo.test_functions.synthetic import (
    PAPER_FUNCTIONS,
    Alpine1,
    Schwefel,
    ShiftedStyblinskiTang,
    Wave1D,
    paper_function,
)

__all__ = ["PAPER_FUNCTIONS", "Alpine1", "Schwefel", "ShiftedStyblinskiTang", "Wave1D", "paper_function"]
