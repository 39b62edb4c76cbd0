"""Type aliases shared by the package (one place, as in blackjax ``types.py``)."""

from typing import Any

import jax
from jax.typing import ArrayLike

Array = jax.Array
PRNGKey = jax.Array
PyTree = Any

__all__ = ["Array", "ArrayLike", "PRNGKey", "PyTree"]
