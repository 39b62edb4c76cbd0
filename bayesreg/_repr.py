"""One-screen ``repr`` pieces shared by the result classes (never the data they were fitted on)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["MAX_SITES_SHOWN", "site_shapes"]

#: A user's model can have many sites; past this many the repr counts the rest instead.
MAX_SITES_SHOWN = 12


def site_shapes(values: Mapping[str, Any], *, leading_axes: int = 0) -> str:
    """Return ``{'coef': (3,), 'intercept': ()}``: each site's shape, the leading axes dropped.

    Parameters
    ----------
    values : Mapping
        Site name -> array.
    leading_axes : int
        Axes to leave out of each shape (e.g. 1 for a leading axis of draws).

    Returns
    -------
    str
        At most `MAX_SITES_SHOWN` sites, then ``'... (k more)'``.

    Examples
    --------
    >>> import numpy as np
    >>> site_shapes({"coef": np.zeros((100, 3)), "intercept": np.zeros(100)}, leading_axes=1)
    "{'coef': (3,), 'intercept': ()}"
    """
    names = list(values)
    shown = [
        f"{name!r}: {tuple(np.shape(values[name]))[leading_axes:]}"
        for name in names[:MAX_SITES_SHOWN]
    ]
    if len(names) > MAX_SITES_SHOWN:
        shown.append(f"... ({len(names) - MAX_SITES_SHOWN} more)")
    return "{" + ", ".join(shown) + "}"
