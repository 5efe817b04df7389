"""The defaults of acquisition optimization, and the parser of the `gennes_*` option keys of earlier versions.

GENNES settings travel as one `AcqfSettings` (`gennes_bo.acquisition.settings`). Earlier versions carried them as
`options["gennes_config"]` (a :class:`GennesConfig` or a dict of its fields), `gennes_<field>` keys and
`gennes_seed`: :func:`split_options` still reads those (the mixed optimizer's `options` take them without a
warning; `optimize_acqf_gennes` and the `gen_candidates` hook warn). A misspelled `gennes_*` key raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gennes_bo.gennes.config import GENNES_CONFIG_FIELDS, GennesConfig

PREFIX = "gennes_"
CONFIG_KEY = "gennes_config"
SEED_KEY = "gennes_seed"

# Joint q-batch searches end with the noise at this share of its start, whatever their number of steps
# (alpha = 0.93 over 40 steps as tuned; docs/design.md#acquisition-defaults).
FINAL_NOISE_SCALE = 0.93**40  # ~0.055
# Small generators that first cover the box, a short annealed run, then L-BFGS-B (docs/benchmarks/acquisition.md).
ACQF_DEFAULT_CONFIG = GennesConfig(
    n_generators=16,
    population_size=8,
    n_iterations=40,
    hidden_width=32,
    n_hidden=2,
    output_std=1.0,
    lr=0.05,
    alpha=0.93,
    n_polish=8,
    polish_maxiter=200,
)
# Single-point landscapes are mostly easy: a short GENNES stage (docs/benchmarks/acquisition.md#targets).
ACQF_SINGLE_CONFIG = ACQF_DEFAULT_CONFIG.replace(n_generators=4, n_iterations=8, alpha=0.85, n_polish=2)
# (num_restarts, raw_samples) per search: 512 raw samples, as a narrow main peak is found by them or not at all
# (docs/results/compare_acqf.md#summary-per-optimizer; history in docs/design.md#acquisition-defaults).
RECOMMENDED_RESTARTS = {"single": (4, 512), "greedy_step": (4, 512), "batch": (12, 512)}
# Later greedy steps re-screen a quarter as many points: the same wins for 70 % of the points
# (docs/results/compare_acqf.md#summary-per-optimizer; history in docs/design.md#rescreen).
GREEDY_RESCREEN = 0.25
BATCH_STRATEGIES = ("greedy", "joint")


def default_acqf_config(q: int) -> GennesConfig:
    """The acquisition-optimization default for `q` candidates.

    `ACQF_SINGLE_CONFIG` for q = 1; for q > 1, `ACQF_DEFAULT_CONFIG` with `10 q` steps (at least 40, at most
    120: the joint `q x d` landscape grows with q) and `alpha` chosen so that the noise support ends at
    `FINAL_NOISE_SCALE` of its initial size.
    """
    if q < 1:
        raise ValueError(f"`q` must be >= 1, got {q}")
    if q == 1:
        return ACQF_SINGLE_CONFIG
    n_iterations = min(max(10 * q, 40), 120)
    return ACQF_DEFAULT_CONFIG.replace(n_iterations=n_iterations, alpha=FINAL_NOISE_SCALE ** (1 / n_iterations))


def recommended_restarts(q: int, batch_strategy: str = "greedy") -> tuple[int, int]:
    """Recommended `(num_restarts, raw_samples)` for `q` candidates: per greedy step, or for the joint search.

    A greedy q-batch (the default strategy) takes the q = 1 setting for each of its q single-point steps; the
    joint strategy (`batch_strategy="joint"`) takes more restarts for its `q x d` landscape.

    Args:
        q: Candidates per call.
        batch_strategy: How `optimize_acqf_gennes` searches a q-batch (`BATCH_STRATEGIES`); q = 1 ignores it.
    """
    if batch_strategy not in BATCH_STRATEGIES:
        raise ValueError(f"`batch_strategy` must be one of {BATCH_STRATEGIES}, got {batch_strategy!r}")
    if q == 1:
        return RECOMMENDED_RESTARTS["single"]
    return RECOMMENDED_RESTARTS["greedy_step" if batch_strategy == "greedy" else "batch"]


# Mixed spaces: a short GENNES stage on the relaxed space whose best generators join the screen's starts of the
# alternating polish (docs/design.md#mixed-spaces).
MIXED_CONFIG = ACQF_DEFAULT_CONFIG.replace(n_generators=4, population_size=8, n_iterations=12, alpha=0.8,
                                           n_polish=4)
MIXED_RESTARTS = (4, 1024)  # (num_restarts, raw_samples) of each point's polish
MIXED_MAXITER_CONTINUOUS = 100  # L-BFGS-B iterations per continuous step: fewer alternations than BoTorch's 8
MIXED_TEMPERATURE = 1.0  # initial spread of the category sampling, in cells; follows the noise schedule
MAX_AVOID_RINGS = 3  # how many discrete moves away a repeated point looks for an unevaluated one


# The paper's BO settings (Section 4.2): one generator of 5 hidden layers, N = 10, alpha = 0.99.
PAPER_BO_CONFIG = GennesConfig(
    n_generators=1, population_size=10, n_iterations=20, hidden_width=64, n_hidden=5, alpha=0.99, lr=1e-2,
    n_polish=1,
)


class GennesOptionError(ValueError):
    """A `gennes_*` option that GENNES does not know or cannot use."""


class UnsupportedAcqfArgumentError(ValueError):
    """An `optimize_acqf` argument that the GENNES optimizer cannot honor."""


@dataclass(frozen=True)
class ParsedOptions:
    """GENNES settings split off BoTorch `options`.

    Attributes:
        config: The GENNES configuration to use.
        seed: Seed of the generators' initialization and noise, or None.
        botorch_options: The remaining options, for BoTorch's initializer and `gen_candidates_scipy`.
    """

    config: GennesConfig
    seed: int | None
    botorch_options: dict[str, Any]


def split_options(options: dict[str, Any] | None, default: GennesConfig = ACQF_DEFAULT_CONFIG) -> ParsedOptions:
    """Separate GENNES settings from BoTorch options.

    Args:
        options: An `optimize_acqf`-style options dict, possibly holding `gennes_*` keys.
        default: Configuration used for fields that the options leave unset.

    Returns:
        The parsed settings.

    Raises:
        GennesOptionError: On an unknown `gennes_*` key or an invalid value.
    """
    options = dict(options or {})
    config = default
    base = options.pop(CONFIG_KEY, None)
    if isinstance(base, GennesConfig):
        config = base
    elif isinstance(base, dict):
        config = _replace(config, base, source=f"options[{CONFIG_KEY!r}]")
    elif base is not None:
        raise GennesOptionError(
            f"options[{CONFIG_KEY!r}] must be a GennesConfig or a dict of its fields, got {type(base).__name__}"
        )
    seed = options.pop(SEED_KEY, None)
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise GennesOptionError(f"options[{SEED_KEY!r}] must be an int or None, got {seed!r}")
    fields = {key[len(PREFIX):]: options.pop(key) for key in list(options) if key.startswith(PREFIX)}
    if fields:
        config = _replace(config, fields, source="options")
    return ParsedOptions(config=config, seed=seed, botorch_options=options)


def merge_options(
    options: dict[str, Any] | None, config: GennesConfig | None, seed: int | None
) -> dict[str, Any]:
    """Options for `optimize_acqf` carrying a config and a seed to `gen_candidates_gennes`.

    The seed also seeds BoTorch's raw-sample initializer (`options["seed"]`) unless that is set already.
    """
    merged = dict(options or {})
    if config is not None:
        if CONFIG_KEY in merged:
            raise GennesOptionError(f"give the GENNES config either as `config=` or as options[{CONFIG_KEY!r}]")
        merged[CONFIG_KEY] = config
    if seed is not None:
        merged.setdefault(SEED_KEY, seed)
        merged.setdefault("seed", seed)
    split_options(merged)  # fail early, before any acquisition evaluation
    return merged


def _replace(config: GennesConfig, fields: dict[str, Any], source: str) -> GennesConfig:
    unknown = sorted(set(fields) - set(GENNES_CONFIG_FIELDS))
    if unknown:
        names = ", ".join(PREFIX + name for name in unknown) if source == "options" else ", ".join(unknown)
        raise GennesOptionError(
            f"unknown GENNES option(s) {names} in {source}; known: {', '.join(GENNES_CONFIG_FIELDS)}"
        )
    try:
        return config.replace(**fields)
    except ValueError as error:
        raise GennesOptionError(f"invalid GENNES option in {source}: {error}") from error
