r"""Save and load MAP results, posterior results and fitted estimators: no pickle, no code.

One pair of functions per kind of object:

- `save_map` / `load_map` — a `bayesreg.map.MapResult`;
- `save_map_path` / `load_map_path` — a `bayesreg.map.MapPath` (from `bayesreg.map_path`);
- `save_posterior` / `load_posterior` — a `bayesreg.sample.PosteriorResult`;
- `save_estimator` / `load_estimator` — an estimator of `bayesreg.sklearn`;

and `save` / `load`, which take any of them: each kind is registered in
`bayesreg.io.registry` (its format name, its class, its saver and loader), `save` picks the saver
by the object's type and `load` the loader by the format name the file records.

Every round trip is lossless: arrays come back with the same values bit for bit, the same dtype
and the same kind (NumPy or JAX), floats exactly (stored as their shortest ``repr``, NaN and
inf included), tuples as tuples. Nothing is unpickled: arrays are read with
``allow_pickle=False``, everything else is JSON.

Loading runs no code from the file
----------------------------------
A result file is data, possibly from someone else: loading it never imports a module it names
and never calls a function it names. The model function cannot be serialized; its name
``module:qualname`` is stored, and on load it is looked up (without importing anything) among

- bayesreg's own models (public functions of ``bayesreg.models``, e.g. ``linear``), and
- functions registered with `register_model` in this process.

Any other name (a user's model, ``builtins:exec``, ``os:system``, a module that is not even
installed) gives ``model=None`` and a ``UserWarning`` saying how to supply the function: pass
``model=<the function>`` to the loader, or call ``register_model(<the function>)`` once before
loading. Refitting a result whose ``model`` is ``None``
(``map_estimate(fit.model, *fit.args, **fit.kwargs)``) raises ``TypeError`` instead of running
anything. An estimator's model is its class's own
(``BayesianLinearRegression`` → ``bayesreg.models.linear``); a file that names another raises
``ValueError``.

Distributions (the priors in ``kwargs``, an estimator's ``prior_``) are rebuilt only from
classes of ``numpyro.distributions``, of ``bayesreg`` (e.g. ``bayesreg.models.ElasticNetPrior``)
and those registered with `register_distribution`, and their fields may only be
``None``, numbers, tuples / lists of these, numeric arrays and such distributions. Estimators
are rebuilt only as the estimator classes of `bayesreg.sklearn` (named in the file as
``bayesreg.sklearn:<class name>``, looked up in that package only).

Every header is checked before anything is built (see *Errors*): types (a bool is a JSON
boolean, counts are integers >= 0, floats are numbers, strings are strings), ranges
(``converged=True`` needs a finite ``objective`` and ``optimality``), numeric dtypes, and shapes
consistent with each other and with the stored data (``coef`` has one entry per column of ``X``,
``y`` one per row, ``feature_names`` one per column, an estimator's ``coef_`` has
``n_features_in_`` entries; draws have ``num_chains`` x ``num_samples`` rows).

File formats (``FORMAT_VERSION = 1``)
-------------------------------------
**MAP results, MAP paths and estimators** are written to a zip archive that ``numpy.load``
also opens (an ``.npz`` file), with every member *stored* (not compressed: the arrays are
floats, which deflate barely shrinks, and a loader that never inflates cannot be zip-bombed):

- ``header.json`` — UTF-8 JSON with ``"format"`` (``"bayesreg.MapResult"``,
  ``"bayesreg.MapPath"`` or ``"bayesreg.estimator"``), ``"format_version"`` (an integer),
  ``"bayesreg_version"`` and the content below;
- ``arrays/<key>.npy`` — one ``.npy`` file (NumPy's own format) per array, referenced from the
  header by ``key``;
- ``posterior_.nc`` — estimators only, when ``sample_posterior`` was called: the posterior
  in the netCDF format below.

In the header, ``null``/booleans/integers/strings stand for themselves and every other value is
an object tagged by ``"__type__"``: ``"float"`` (``"value"``: its ``repr``), ``"tuple"``,
``"list"``, ``"dict"`` (``"items"``), ``"ndarray"`` / ``"jax"`` / ``"numpy_scalar"`` (``"key"``
of the array; ``"object": true`` for an object array of strings, stored as a unicode array),
``"distribution"`` (a NumPyro distribution: ``"class"`` as ``"module:qualname"``, and its pytree
``"data"`` and ``"aux"`` fields, as ``tree_flatten`` gives them), ``"MapResult"``.

A MAP result's header holds ``params``, ``objective``, ``num_iter``, ``converged``,
``optimality``, ``tolerance``, ``model`` and, unless ``include_data=False``, ``args`` and
``kwargs`` (the data and the prior, so the loaded result can be refitted, sampled or used for
predictions; ``"data_stored": false`` otherwise, and the loaded ``args``/``kwargs`` are empty).
A MAP path's header holds a ``"MapPath"`` node alike: ``path`` (argument name -> the list of its
``k`` values), ``params`` (each with a leading axis of length ``k``), the arrays ``objective``,
``optimality``, ``num_iter`` and ``converged`` (shape ``(k,)``), ``tolerance``, ``method``,
``model`` and the data as for a MAP result.
An estimator's header holds ``"class"`` (``"bayesreg.sklearn:<class name>"``), ``"params"``
(``get_params(deep=False)``) and ``"fitted"`` (every public attribute ending in ``_``).

The loader reads only stored members, each at most as large as its ``.npy`` header says
(``file_size`` must equal the header's length plus ``prod(shape) * itemsize``, checked before
any data is read, and the read is bounded by it); ``header.json`` is at most 64 MiB. A
compressed member (``numpy.savez_compressed``, a re-zipped file) is refused.

**Posterior results** are ArviZ netCDF (HDF5) files (any ArviZ reader opens them, e.g.
``arviz.from_netcdf``) with two root attributes, ``bayesreg_format = "bayesreg.PosteriorResult"``
and ``bayesreg_format_version``, a root attribute ``bayesreg_header`` (JSON as above:
``method``, ``chain_method``, ``num_chains``, ``num_samples``, ``num_divergent``, the
``diagnostics`` table, ``model``, ``args``, ``kwargs``) and a group ``bayesreg_arrays`` holding
the arrays the header refers to (the model's data, e.g. ``X``). ``samples`` are rebuilt from the
``posterior`` group. Variables are written uncompressed (for the same reason). Before reading
any data the loader adds up the sizes that the variables declare (HDF5 can declare data that a
file does not hold: compressed chunks, unwritten chunks read as fill values) and refuses a file
that declares more than 20 times its own size or 256 MiB, whichever is larger; files written by
earlier bayesreg versions (compressed by ArviZ's zlib, about 1.1x for float draws) pass.

Writes are atomic
-----------------
Every save writes through ``bayesreg.files.atomic_write``: into an unnamed temporary file
in the target folder (Linux ``O_TMPFILE``; a hidden ``.<name>.<random>.tmp`` file elsewhere),
``fsync``-ed, then renamed over the target, and the folder ``fsync``-ed. An existing file is
replaced only by a complete new one; a failed save (an exception, or on Linux a ``SIGKILL``)
leaves the old file and no temporary behind. Files get the mode ``0o666 & ~umask``.

Errors
------
A file written by a newer format version raises ``ValueError`` ("written by format version N,
this bayesreg reads up to M; upgrade bayesreg"); a corrupted, truncated or foreign file raises
``ValueError`` naming the file, with the underlying error chained as its cause; a header that
fails the checks raises ``ValueError`` naming the file, the field (e.g. ``result.converged``)
and its value, and saying that the file is damaged or not a bayesreg file; a missing file
raises ``FileNotFoundError``.

Reproducibility
---------------
With the same inputs, the same ``seed`` and the same versions of bayesreg, JAX, NumPyro and
NumPy on the same platform, `bayesreg.map_estimate` returns bit-identical estimates
(it is deterministic: no random numbers are involved) and `bayesreg.sample_posterior`
returns bit-identical draws, in one process and across processes; the test suite checks both
(``tests/test_reproducibility.py``). The seed is the only source of randomness: NUTS draws
from ``jax.random.key(seed)``, split into one key per chain, and the exact sampler from
``numpy.random.default_rng(seed)``. Results may differ in the last bits across platforms,
accelerators or XLA versions, and between batched and unbatched chains
(``chain_method="vectorized"`` vs ``"parallel"`` / ``"sequential"``, which agree with each
other), because floating-point reductions may be ordered differently; save a result with this
module to keep it exactly.
"""

from . import prior_nodes  # noqa: F401  (registers the RandomScale header node)
from .codec import register_distribution, register_model
from .estimators import load_estimator, save_estimator
from .generic import load, save
from .posterior import load_posterior, save_posterior
from .results import load_map, load_map_path, save_map, save_map_path
from .schema import FORMAT_VERSION

__all__ = [
    "FORMAT_VERSION",
    "load",
    "load_estimator",
    "load_map",
    "load_map_path",
    "load_posterior",
    "register_distribution",
    "register_model",
    "save",
    "save_estimator",
    "save_map",
    "save_map_path",
    "save_posterior",
]
