"""Integrations with other optimization frameworks, each behind its own extra and imported only on use.

- `gennes_bo.integrations.optuna`: `GennesSampler`, an Optuna sampler (`pip install "gennes-bo[optuna]"`).
- `gennes_bo.integrations.ax`: `GennesAcquisition`, Ax's BoTorch acquisition maximized by GENNES on continuous and
  mixed spaces (`pip install "gennes-bo[ax]"`).
"""
