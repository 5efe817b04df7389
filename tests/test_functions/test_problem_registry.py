"""The problem registry: lookup, dimensions, errors, registration, record keys, known optima and translations."""

from __future__ import annotations

import pytest
import torch
from botorch.test_functions import Ackley, Branin, Hartmann, Michalewicz, Rastrigin
from botorch.test_functions.synthetic import SyntheticTestFunction
from torch import Tensor

from gennes_bo.cli import main
from gennes_bo.test_functions import (
    PAPER_FUNCTIONS,
    PROBLEMS,
    ShiftedStyblinskiTang,
    UnknownProblemError,
    describe_problems,
    get_problem,
    paper_function,
    parse_problem_key,
    problem_key,
    random_translation,
    register_problem,
    registry,
)

# The large-batch BO suite: each with its optimum moved at random per seed.
LARGE_BATCH = [("hartmann", 6), ("ackley", 10), ("levy", 20), ("rastrigin", 10), ("griewank", 10),
               ("michalewicz", 10)]
CASES = [(name, dim) for name, entry in PROBLEMS.items() for dim in (entry.dims or (1, 3, 7))]


class Sphere(SyntheticTestFunction):
    """`sum x_i^2` on `[-1, 2]^d`: a user's problem."""

    def __init__(self, dim: int = 2, noise_std: float | None = None, negate: bool = False,
                 dtype: torch.dtype = torch.double) -> None:
        self.dim = dim
        self.continuous_inds = list(range(dim))
        self._bounds = [(-1.0, 2.0)] * dim
        self._optimal_value = 0.0
        self._optimizers = [tuple(0.0 for _ in range(dim))]
        super().__init__(noise_std=noise_std, negate=negate, dtype=dtype)

    def _evaluate_true(self, X: Tensor) -> Tensor:
        return X.pow(2).sum(dim=-1)


@pytest.fixture
def problems(monkeypatch: pytest.MonkeyPatch) -> dict:
    """A copy of the registry that the test may change."""
    monkeypatch.setattr(registry, "PROBLEMS", dict(registry.PROBLEMS))
    return registry.PROBLEMS


def test_builtins_are_registered() -> None:
    required = {"hartmann", "ackley", "levy", "rastrigin", "griewank", "michalewicz", "styblinski_tang",
                "rosenbrock", "branin", "alpine1", "schwefel", "paper_styblinski_tang", "wave1d"}
    assert required <= set(PROBLEMS)
    assert [name for name, _, _ in describe_problems()] == list(PROBLEMS)
    assert all(description for _, _, description in describe_problems())


def test_lookup_returns_botorch_classes_on_their_domains() -> None:
    ackley = get_problem("ackley", 10)
    assert type(ackley) is Ackley and ackley.dim == 10
    assert torch.equal(ackley.bounds, Ackley(dim=10).bounds)
    assert type(get_problem("hartmann")) is Hartmann and get_problem("hartmann").dim == 6
    assert type(get_problem("branin")) is Branin
    assert isinstance(get_problem("michalewicz", 3), Michalewicz)
    maximized = get_problem("levy", 4, negate=True, dtype=torch.float32)
    assert maximized.negate and maximized.bounds.dtype == torch.float32


def test_unknown_name_lists_the_registered_ones() -> None:
    with pytest.raises(UnknownProblemError, match=r"unknown problem 'ackly'.*ackley, .*hartmann") as info:
        get_problem("ackly", 10)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(("name", "dim", "message"), [
    ("hartmann", 5, r"`dim` must be one of \[3, 6\] for problem 'hartmann', got 5"),
    ("branin", 3, r"`dim` must be one of \[2\]"),
    ("wave1d", 2, r"`dim` must be one of \[1\]"),
    ("ackley", None, r"`dim` is required for problem 'ackley' \(any d >= 1\)"),
    ("ackley", 0, r"`dim` must be an integer >= 1, got 0"),
    ("levy", 2.0, r"`dim` must be an integer >= 1, got 2.0"),
])
def test_dimension_errors(name: str, dim: int | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        get_problem(name, dim)


@pytest.mark.parametrize(("name", "dim"), CASES)
def test_known_optimum(name: str, dim: int) -> None:
    problem = get_problem(name, dim)
    assert problem.dim == dim and problem.bounds.shape == (2, dim)
    optimizer = problem.optimizers[0]
    assert ((optimizer >= problem.bounds[0]) & (optimizer <= problem.bounds[1])).all()
    # BoTorch's optimal values are rounded (Hartmann6: -3.32237 for -3.3223680), always below the true one.
    assert float(problem(optimizer.unsqueeze(0))) == pytest.approx(problem.optimal_value, abs=3e-6)
    rng = torch.Generator().manual_seed(dim)
    X = problem.bounds[0] + (problem.bounds[1] - problem.bounds[0]) * torch.rand(
        2000, dim, generator=rng, dtype=torch.float64)
    assert problem(X).min() >= problem.optimal_value


@pytest.mark.parametrize(("dim", "botorch_value"), [(2, -1.80130341), (5, -4.687658), (10, -9.66015)])
def test_michalewicz_optimum_matches_botorch(dim: int, botorch_value: float) -> None:
    problem = get_problem("michalewicz", dim)
    assert problem.optimal_value == pytest.approx(botorch_value, abs=1e-5)
    assert float(problem(problem.optimizers)) == pytest.approx(problem.optimal_value, abs=1e-12)


@pytest.mark.parametrize(("name", "dim"), [*LARGE_BATCH, ("branin", 2), ("rosenbrock", 4), ("styblinski_tang", 3),
                                           ("alpine1", 5), ("schwefel", 3), ("wave1d", 1), ("hartmann", 3)])
def test_random_translation_moves_the_optimum_inside_the_box(name: str, dim: int) -> None:
    base = get_problem(name, dim)
    first, again, other = (random_translation(base, seed) for seed in (0, 0, 1))
    optimizer = first.optimizers[0]
    assert ((optimizer >= first.bounds[0]) & (optimizer <= first.bounds[1])).all()
    assert torch.equal(first.bounds, base.bounds)
    assert float(first(optimizer.unsqueeze(0))) == pytest.approx(first.optimal_value, abs=3e-6)
    assert torch.equal(first.shift, again.shift) and not torch.equal(first.shift, other.shift)
    rng = torch.Generator().manual_seed(1)
    X = first.bounds[0] + (first.bounds[1] - first.bounds[0]) * torch.rand(
        2000, dim, generator=rng, dtype=torch.float64)
    assert first(X).min() >= first.optimal_value - 1e-9
    if name != "schwefel":  # Schwefel is lower outside its box; the others keep f*
        assert first.optimal_value == pytest.approx(base.optimal_value, abs=1e-12)


def test_register_a_problem(problems: dict) -> None:
    entry = register_problem("sphere", Sphere, description="sum x_i^2 on [-1, 2]^d")
    assert problems["sphere"] is entry and entry.dims is None and entry.default_dim is None
    sphere = get_problem("sphere", 3)
    assert isinstance(sphere, Sphere) and sphere.dim == 3
    assert parse_problem_key(problem_key("sphere", 3)) == ("sphere", 3)
    with pytest.raises(ValueError, match="cannot compute the exact optimum of a translated Sphere.*minimum_is_gl"):
        random_translation(sphere, 0)  # unknown: is the sphere lower outside its box?
    global_sphere = type("GlobalSphere", (Sphere,), {"minimum_is_global": True})(dim=3)
    moved = random_translation(global_sphere, 0)
    assert moved.optimal_value == 0.0 and float(moved(moved.optimizers)) == 0.0
    assert not torch.equal(moved.optimizers[0], global_sphere.optimizers[0])
    with pytest.raises(ValueError, match="'sphere' is registered already; pass replace=True"):
        register_problem("sphere", Sphere, description="again")
    register_problem("sphere", Sphere, description="again", dims=(2, 4), default_dim=4, replace=True)
    assert get_problem("sphere").dim == 4
    with pytest.raises(ValueError, match=r"one of \[2, 4\]"):
        get_problem("sphere", 3)
    fixed = register_problem("sphere2", lambda **kwargs: Sphere(dim=2, **kwargs), dims=(2,), description="d = 2")
    assert fixed.default_dim == 2 and get_problem("sphere2").dim == 2
    assert "sphere2" in {name for name, _, _ in registry.describe_problems()}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "Sphere"}, "`name` must be lower-case"),
    ({"name": "sphere_"}, "not end with '_'"),
    ({"name": "my sphere"}, "`name` must be"),
    ({"name": "2d"}, "start with a letter"),
    ({"factory": "Sphere"}, "`factory` must be callable"),
    ({"description": " "}, "`description` must be a non-empty string"),
    ({"dims": ()}, "`dims` must be None or a non-empty tuple"),
    ({"dims": (0, 2)}, "`dims` must be"),
    ({"dims": (2, 3), "default_dim": 4}, r"`default_dim` must be None or one of `dims` \(\(2, 3\)\), got 4"),
    ({"default_dim": 0}, "`default_dim` must be"),
])
def test_register_problem_rejects(problems: dict, kwargs: dict, message: str) -> None:
    arguments = {"name": "sphere", "factory": Sphere, "description": "a sphere", **kwargs}
    name = arguments.pop("name")
    factory = arguments.pop("factory")
    with pytest.raises(ValueError, match=message):
        register_problem(name, factory, **arguments)
    assert "sphere" not in problems


def test_factory_of_the_wrong_dimension_is_caught(problems: dict) -> None:
    register_problem("sphere", lambda dim, **kwargs: Sphere(dim=dim + 1, **kwargs), description="off by one")
    with pytest.raises(ValueError, match="built a 4-dimensional problem for `dim` = 3"):
        get_problem("sphere", 3)


@pytest.mark.parametrize(("key", "parsed"), [
    ("hartmann6", ("hartmann", 6)), ("ackley10", ("ackley", 10)), ("alpine1_20", ("alpine1", 20)),
    ("levy10", ("levy", 10)), ("styblinski_tang10", ("styblinski_tang", 10)), ("wave1d1", ("wave1d", 1)),
    ("paper_ackley30", ("paper_ackley", 30)),
])
def test_record_keys_read_back(key: str, parsed: tuple[str, int]) -> None:
    assert parse_problem_key(key) == parsed
    assert problem_key(*parsed) == key


@pytest.mark.parametrize("key", ["ackley", "ackly10", "alpine120", "hartmann_6", "", "10"])
def test_malformed_record_keys_raise(key: str) -> None:
    with pytest.raises(UnknownProblemError, match=f"got {key!r}"):
        parse_problem_key(key)


def test_acqf_suite_keys_are_registered_problems() -> None:
    from benchmarks.acqf import PROBLEMS as ACQF_KEYS

    assert {key: parse_problem_key(key) for key in ACQF_KEYS} == {
        "hartmann6": ("hartmann", 6), "ackley10": ("ackley", 10), "ackley20": ("ackley", 20),
        "alpine1_20": ("alpine1", 20), "levy10": ("levy", 10)}


def test_paper_functions_are_the_papers_domains() -> None:
    assert PAPER_FUNCTIONS == ("rastrigin", "ackley", "styblinski_tang", "schwefel", "alpine1")
    rastrigin, ackley = paper_function("rastrigin", 3), paper_function("ackley", 3)
    assert type(rastrigin) is Rastrigin and rastrigin.bounds[1].tolist() == [3.0] * 3
    assert type(ackley) is Ackley and ackley.bounds[0].tolist() == [-10.0] * 3
    assert isinstance(paper_function("styblinski_tang", 2), ShiftedStyblinskiTang)
    assert paper_function("schwefel", 2, dtype=torch.float32).bounds.dtype == torch.float32
    with pytest.raises(ValueError, match="`name` must be one of"):
        paper_function("levy", 2)


def test_problems_command_lists_every_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["problems"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(PROBLEMS)
    assert "d = 3, 6 (default 6)" in next(line for line in lines if line.startswith("hartmann "))
