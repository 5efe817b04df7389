"""The digits logistic-regression hyperparameter objective of the paper's BO experiment (Section 4.2, A.3).

Four hyperparameters, searched on the box `[-5, 0]^3 x [5, 50]`:

====  ==================  =============================================
dim   search coordinate   meaning
====  ==================  =============================================
0     log10(lr)           constant SGD learning rate `lr` in [1e-5, 1]
1     log10(l2)           L2 penalty weight in [1e-5, 1]
2     log10(l1)           L1 penalty weight in [1e-5, 1]
3     epochs              passes over the training set, rounded, [5, 50]
====  ==================  =============================================

The model is sklearn's `SGDClassifier(loss="log_loss", penalty="elasticnet", learning_rate="constant")`
(multinomial logistic regression as one-vs-rest SGD). sklearn's elastic-net penalty is
`alpha * (l1_ratio * |w|_1 + (1 - l1_ratio) / 2 * |w|_2^2)`; we set `alpha = l1 + l2` and
`l1_ratio = l1 / (l1 + l2)`, so the penalty is `l1 * |w|_1 + (l2 / 2) * |w|_2^2`. Pixels are scaled to
[0, 1] (divided by 16), the split is a stratified 85/15 train/test split of sklearn's 1797 digits, and the
value is the test error (1 - accuracy), deterministic given `seed` (split and SGD shuffling).
"""

from __future__ import annotations

import warnings

import torch
from botorch.test_functions.base import BaseTestProblem
from torch import Tensor

TEST_FRACTION = 0.15


class DigitsLogisticRegression(BaseTestProblem):
    """Test error of logistic regression on sklearn digits as a function of 4 hyperparameters (minimize).

    Args:
        seed: Seed of the train/test split and of SGD's shuffling.
        negate: Negate the value (test accuracy - 1), for maximizing BO loops.
        dtype: Dtype of the bounds and of the returned values.
    """

    dim = 4
    _bounds = [(-5.0, 0.0), (-5.0, 0.0), (-5.0, 0.0), (5.0, 50.0)]
    continuous_inds = [0, 1, 2, 3]
    _check_grad_at_opt = False

    def __init__(self, seed: int = 0, negate: bool = False, dtype: torch.dtype = torch.double) -> None:
        super().__init__(noise_std=None, negate=negate, dtype=dtype)
        from gennes_bo.extras import require

        require("sklearn", "benchmarks", "The digits objective (DigitsLogisticRegression)")
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        data = load_digits()
        self.seed = seed
        self.x_train, self.x_test, self.y_train, self.y_test = train_test_split(
            data.data / 16.0, data.target, test_size=TEST_FRACTION, random_state=seed, stratify=data.target)

    @staticmethod
    def hyperparameters(x: Tensor) -> dict[str, float | int]:
        """The sklearn settings of one search point.

        Args:
            x: `4` search coordinates `(log10 lr, log10 l2, log10 l1, epochs)`.

        Returns:
            `{"eta0", "alpha", "l1_ratio", "max_iter"}` for `SGDClassifier`.
        """
        lr, l2, l1 = (10.0 ** float(v) for v in x[:3])
        return {"eta0": lr, "alpha": l1 + l2, "l1_ratio": l1 / (l1 + l2), "max_iter": int(round(float(x[3])))}

    def test_error(self, x: Tensor) -> float:
        """Train on the training split with the hyperparameters of `x` (`4` values); return the test error."""
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.linear_model import SGDClassifier

        model = SGDClassifier(loss="log_loss", penalty="elasticnet", learning_rate="constant", tol=None,
                              random_state=self.seed, **self.hyperparameters(x))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            warnings.simplefilter("ignore", RuntimeWarning)  # overflow at the largest learning rates
            model.fit(self.x_train, self.y_train)
        return 1.0 - float(model.score(self.x_test, self.y_test))

    def _evaluate_true(self, X: Tensor) -> Tensor:
        flat = X.detach().reshape(-1, self.dim).cpu()
        errors = [self.test_error(x) for x in flat]
        return torch.tensor(errors, dtype=X.dtype, device=X.device).reshape(X.shape[:-1])
