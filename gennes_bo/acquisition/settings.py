"""`AcqfSettings`: how `optimize_acqf_gennes` searches, built once per call and reported back.

Everything that is not one of BoTorch's own `optimize_acqf` arguments lives here: the GENNES settings, the
restarts and raw samples when left to us, the batch strategy, the rescreen share of later greedy steps, the
pipeline (GENNES stage on or off) and the seed. A call resolves its settings once
(:meth:`AcqfSettings.resolve`: every default filled in for its q, d and strategy), hands them to
`gen_candidates_gennes` as one value (`options["gennes_settings"]`), and returns them in its info, so that a record
stores `settings.to_dict()` instead of describing the settings by hand.

    settings = AcqfSettings(config={"n_iterations": 60}, pipeline="gennes")
    candidates, value, info = optimize_acqf_gennes(acqf, bounds, q=4, settings=settings, seed=0, return_info=True)
    info.settings.to_dict()   # what the call ran with
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any

from torch import nn

from gennes_bo.acquisition.options import (
    BATCH_STRATEGIES,
    CONFIG_KEY,
    GREEDY_RESCREEN,
    PREFIX,
    SEED_KEY,
    GennesOptionError,
    default_acqf_config,
    recommended_restarts,
    split_options,
)
from gennes_bo.acquisition.policy import PIPELINES, choose_batch_strategy, choose_pipeline, greedy_step_restarts
from gennes_bo.gennes.config import GENNES_CONFIG_FIELDS, GennesConfig

SETTINGS_STRATEGIES = ("auto", *BATCH_STRATEGIES, "sequential")  # what `AcqfSettings.batch_strategy` takes
SETTINGS_KEY = "gennes_settings"  # the one `options` key that carries the settings to `gen_candidates_gennes`
_SEED_MODULUS = 2**31 - 1
_STEP_STRIDE = 0x9E3779B1  # a large odd stride: seeds of consecutive greedy steps differ in many bits


@dataclass(frozen=True)
class AcqfSettings:
    """How the acquisition is searched, besides BoTorch's own arguments; every field may be left to the default.

    Attributes:
        config: GENNES settings of each search (each greedy step of a q-batch): a :class:`GennesConfig`, or a
            mapping of some of its fields applied to the default `default_acqf_config(q)` (e.g.
            `{"n_iterations": 60}`), or None for the default.
        num_restarts: L-BFGS-B starts chosen among the raw samples (per greedy step); None takes
            `recommended_restarts(q, strategy)[0]`, or for a greedy q-batch the policy's
            `greedy_step_restarts(q=q, d=d)` where it sets one. The same as `optimize_acqf_gennes`'s
            `num_restarts`; give it once.
        raw_samples: Sobol points screened for those starts; None takes `recommended_restarts(q, strategy)[1]`.
        batch_strategy: How a q-batch is searched when BoTorch's `sequential` is False: `"greedy"` (q single-point
            searches, each with the chosen points pending, then a joint L-BFGS-B polish), `"sequential"` (the same
            steps in BoTorch's `sequential=True` scheme: each step screens fresh raw samples, and no joint polish),
            `"joint"` (generators whose members are whole `q x d` batches) or `"auto"` (the policy's
            `choose_batch_strategy`: greedy, but sequential for qUCB below d = 30 at q = 2-32; greedy with a warm
            start). A call that cannot run one point at a time runs jointly, and its resolved
            settings say so.
        rescreen: Greedy q-batches: the share of `raw_samples` that steps after the first screen; None screens
            `raw_samples` fresh points every step.
        pipeline: `"gennes"` (a GENNES stage, then L-BFGS-B from its best samples and the initial conditions),
            `"lbfgs"` (the same pipeline without the GENNES stage: BoTorch's L-BFGS-B from the initial
            conditions) or `"auto"` (the policy of `gennes_bo.acquisition.policy` picks one per call).
        step_maxiter: L-BFGS-B iterations of each one-point search of a greedy q-batch (or of `sequential=True`),
            the final joint polish excepted (a call with q = 1 is one such search); None leaves BoTorch's
            (`options["maxiter"]`, 200 by default). A caller's `options["maxiter"]` wins. Left out of
            :meth:`to_dict` when None.
        seed: Seeds the raw samples, the choice of restarts and the generators; each greedy step derives its own
            generator seed from it (:meth:`step_seed`). Not part of :meth:`to_dict`.
    """

    config: GennesConfig | Mapping[str, Any] | None = None
    num_restarts: int | None = None
    raw_samples: int | None = None
    batch_strategy: str = "auto"
    rescreen: float | None = GREEDY_RESCREEN
    pipeline: str = "auto"
    step_maxiter: int | None = None
    seed: int | None = None

    def __post_init__(self) -> None:
        if isinstance(self.config, Mapping):
            unknown = sorted(set(self.config) - set(GENNES_CONFIG_FIELDS))
            if unknown:
                raise ValueError(f"`config` has unknown GennesConfig field(s) {unknown}; known: "
                                 f"{list(GENNES_CONFIG_FIELDS)}")
            default_acqf_config(1).replace(**self.config)  # the values are validated here, not at the call
            object.__setattr__(self, "config", MappingProxyType(dict(self.config)))
        elif self.config is not None and not isinstance(self.config, GennesConfig):
            raise ValueError(f"`config` must be a GennesConfig, a mapping of its fields or None, got "
                             f"{type(self.config).__name__}")
        for name in ("num_restarts", "raw_samples", "step_maxiter"):
            _check_count(getattr(self, name), name)
        if self.batch_strategy not in SETTINGS_STRATEGIES:
            raise ValueError(f"`batch_strategy` must be one of {SETTINGS_STRATEGIES}, got {self.batch_strategy!r}")
        check_rescreen(self.rescreen, "rescreen")
        if self.pipeline not in PIPELINES:
            raise ValueError(f"`pipeline` must be one of {PIPELINES}, got {self.pipeline!r}")
        if self.seed is not None and (not isinstance(self.seed, int) or isinstance(self.seed, bool)):
            raise ValueError(f"`seed` must be an int or None, got {self.seed!r}")

    def replace(self, **changes: Any) -> AcqfSettings:
        """A copy with some fields changed (validated again); unknown names raise `TypeError`."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise TypeError(f"unknown AcqfSettings field(s) {unknown}; known fields: {sorted(known)}")
        return replace(self, **changes)

    @property
    def is_resolved(self) -> bool:
        """Whether every default is filled in (what :meth:`resolve` returns)."""
        return (isinstance(self.config, GennesConfig) and self.pipeline != "auto" and self.num_restarts is not None
                and self.batch_strategy != "auto")

    def with_strategy(self, q: int, d: int | None, family: str | None) -> AcqfSettings:
        """These settings with `batch_strategy="auto"` replaced by the policy's choice for `q` candidates in `d`
        dimensions and an acquisition of `family` (`policy.acquisition_family`). Unchanged when the strategy is
        given, or when `d` or `family` is unknown (a record of a task that does not fix them: the policy decides per
        call)."""
        if self.batch_strategy != "auto" or d is None or family is None:
            return self
        return replace(self, batch_strategy=choose_batch_strategy(q=q, d=d, family=family))

    def resolve(self, q: int, d: int | None, *, greedy: bool, screens: bool = True, policy: bool = True
                ) -> AcqfSettings:
        """The settings of one call, every default filled in.

        Args:
            q: Candidates of the call.
            d: Dimension of the search space; None (in records of tasks of no fixed dimension) leaves
                `pipeline="auto"`, and a greedy q-batch's restarts, to the policy of each call.
            greedy: Whether the q-batch is built one point at a time (the greedy strategy or BoTorch's
                `sequential=True`): each step is then a one-point search with the one-point defaults.
            screens: Whether raw samples are screened (False when the caller gives initial conditions or its own
                generator of them: `raw_samples` then stays as given).
            policy: Whether `pipeline="auto"` asks the policy (`optimize_acqf_gennes`); False resolves it to
                `"gennes"` (the `gen_candidates_gennes` hook, which a caller names to get the GENNES stage).

        Returns:
            Settings with a full `config`, restarts, the strategy that runs and a concrete `pipeline`.
        """
        if self.is_resolved:
            return self
        auto = self.batch_strategy == "auto"
        if q > 1 and greedy:
            strategy = "sequential" if self.batch_strategy == "sequential" else "greedy"
        elif q > 1:
            strategy = "joint"
        else:
            strategy = "greedy" if auto else self.batch_strategy
        restarts, raw_samples = recommended_restarts(q, "greedy" if greedy else "joint")
        if greedy and policy and q > 1 and self.num_restarts is None:
            # The policy's restarts a step depend on d: without it (a record of no fixed dimension), each call's.
            restarts = None if d is None else greedy_step_restarts(q=q, d=d) or restarts
        return replace(
            self,
            config=self.step_config(1 if greedy else q),
            num_restarts=self.num_restarts if self.num_restarts is not None else restarts,
            raw_samples=self.raw_samples if self.raw_samples is not None or not screens else raw_samples,
            batch_strategy=strategy,
            pipeline=(self.pipeline if self.pipeline != "auto" or d is None
                      else choose_pipeline(q=q, d=d, greedy=greedy) if policy else "gennes"),
        )

    def step_config(self, q: int) -> GennesConfig:
        """The GENNES settings of a search of `q` points: `config`, or its fields on top of the default for q."""
        if isinstance(self.config, GennesConfig):
            return self.config
        default = default_acqf_config(q)
        return default if self.config is None else default.replace(**self.config)

    def step_seed(self, acq_function: nn.Module) -> int | None:
        """The generator seed of a search: `seed` itself when no point is pending (a one-point call, the first
        greedy step), and a seed derived from it and the number of pending points otherwise, so that the steps of
        a greedy or sequential q-batch train differently initialized generators."""
        if self.seed is None:
            return None
        pending = getattr(acq_function, "X_pending", None)
        n_pending = 0 if pending is None else int(pending.shape[-2])
        return self.seed if n_pending == 0 else (self.seed + _STEP_STRIDE * n_pending) % _SEED_MODULUS

    def to_dict(self) -> dict[str, Any]:
        """The settings as JSON values, for records (the seed left out: it varies between the runs of a cell)."""
        config = self.config
        if isinstance(config, GennesConfig):
            config = config.to_dict()
        elif config is not None:
            config = dict(config)
        record = {"config": config, "num_restarts": self.num_restarts, "raw_samples": self.raw_samples,
                  "batch_strategy": self.batch_strategy, "rescreen": self.rescreen, "pipeline": self.pipeline}
        # Only when set, so that the records of settings made before the field existed still match.
        return record if self.step_maxiter is None else {**record, "step_maxiter": self.step_maxiter}


def check_rescreen(value: float | None, name: str) -> None:
    """Raise `ValueError` unless `value` is None or a number in (0, 1]."""
    if value is not None and not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 < value <= 1):
        raise ValueError(f"`{name}` must be in (0, 1] or None, got {value!r}")


def _check_count(value: Any, name: str) -> None:
    if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
        raise ValueError(f"`{name}` must be None or an integer >= 1, got {value!r}")


# Arguments of `optimize_acqf_gennes` that became fields of AcqfSettings: argument -> field.
DEPRECATED_ARGUMENTS = {"config": "config", "batch_strategy": "batch_strategy", "greedy_rescreen": "rescreen"}


def settings_from_options(options: Mapping[str, Any] | None, *, stacklevel: int = 2
                          ) -> tuple[AcqfSettings, dict[str, Any]]:
    """Split `optimize_acqf`-style options into the settings they carry and BoTorch's own options.

    The settings come as `options["gennes_settings"]` (an :class:`AcqfSettings`). The older keys
    `options["gennes_config"]`, `gennes_<field>` and `gennes_seed` still work and warn (`DeprecationWarning`).

    Returns:
        `(settings, botorch_options)`: the settings (defaults where the options carry none) and the other keys.

    Raises:
        GennesOptionError: For unknown or invalid `gennes_*` keys, a `gennes_settings` that is not an
            AcqfSettings, or settings given both ways.
    """
    options = dict(options or {})
    settings = options.pop(SETTINGS_KEY, None)
    if settings is not None and not isinstance(settings, AcqfSettings):
        raise GennesOptionError(f"options[{SETTINGS_KEY!r}] must be an AcqfSettings, got {type(settings).__name__}")
    legacy = sorted(key for key in options if key.startswith(PREFIX))
    if not legacy:
        return settings or AcqfSettings(), options
    if settings is not None:
        raise GennesOptionError(f"options hold both {SETTINGS_KEY!r} and {legacy}: put everything in the settings")
    warnings.warn(
        f"options {legacy} are deprecated: pass options={{{SETTINGS_KEY!r}: AcqfSettings(config=..., seed=...)}} "
        "(or optimize_acqf_gennes(settings=..., seed=...))", DeprecationWarning, stacklevel=stacklevel + 1)
    parsed = split_options(options)  # validates every key, with the messages of the earlier versions
    base = options.get(CONFIG_KEY)
    changes = {key[len(PREFIX):]: options[key] for key in legacy if key not in (CONFIG_KEY, SEED_KEY)}
    # A config object is complete; field keys alone (or a dict of fields) change the default of the call's q.
    config = parsed.config if isinstance(base, GennesConfig) else ({**(base or {}), **changes} or None)
    return AcqfSettings(config=config, seed=parsed.seed), parsed.botorch_options


def settings_from_call(
    settings: AcqfSettings | None,
    *,
    seed: int | None,
    num_restarts: int | None,
    raw_samples: int | None,
    options: Mapping[str, Any] | None,
    deprecated: Mapping[str, Any],
) -> tuple[AcqfSettings, dict[str, Any]]:
    """The settings of an `optimize_acqf_gennes` call from all the routes its arguments may take.

    Args:
        settings: The call's `settings` (None: defaults).
        seed: The call's `seed`.
        num_restarts: BoTorch's `num_restarts` argument (None: the settings' or the recommended one).
        raw_samples: BoTorch's `raw_samples` argument.
        options: BoTorch's `options`, possibly with `gennes_*` keys (see :func:`settings_from_options`).
        deprecated: Keyword arguments of earlier versions found in the call (keys of `DEPRECATED_ARGUMENTS`);
            each warns and sets its field.

    Returns:
        `(settings, botorch_options)`, not yet resolved.

    Raises:
        ValueError: When a setting is given twice with different values, or for an invalid value.
        GennesOptionError: For invalid `gennes_*` options.
    """
    if settings is not None and not isinstance(settings, AcqfSettings):
        raise TypeError(f"`settings` must be an AcqfSettings or None, got {type(settings).__name__}")
    from_options, botorch_options = settings_from_options(options, stacklevel=3)
    if settings is not None and from_options != AcqfSettings():
        raise ValueError("settings given both as `settings=` and in `options`: give them once, as `settings=`")
    merged = settings or from_options
    for name, value in deprecated.items():
        warnings.warn(f"`{name}=` is deprecated: pass settings=AcqfSettings({DEPRECATED_ARGUMENTS[name]}=...)",
                      DeprecationWarning, stacklevel=3)
        merged = _set_once(merged, DEPRECATED_ARGUMENTS[name], value)
    for name, value in (("seed", seed), ("num_restarts", num_restarts), ("raw_samples", raw_samples)):
        if value is not None:
            merged = _set_once(merged, name, value)
    return merged, botorch_options


def _set_once(settings: AcqfSettings, name: str, value: Any) -> AcqfSettings:
    """`settings` with `name` set to `value`, unless it already holds another value that is not the default."""
    current = getattr(settings, name)
    if current != getattr(AcqfSettings(), name) and current != value:
        raise ValueError(f"`{name}` is given twice with different values ({value!r}, and {current!r} in the "
                         "settings): give it once")
    return settings.replace(**{name: value})
