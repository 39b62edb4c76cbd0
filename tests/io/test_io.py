"""Save / load: lossless round trips, newer format versions, damaged and foreign files."""

import dataclasses
import doctest
import io as stdlib_io
import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import arviz as az
import jax
import numpy as np
import numpyro.distributions as dist
import pandas as pd
import pytest
import xarray as xr

import bayesreg.io as brio
from bayesreg import map_estimate, map_path, models
from bayesreg.io import (
    codec,
    estimators,
    generic,
    load_estimator,
    load_map,
    load_map_path,
    load_posterior,
    posterior,
    results,
    save_estimator,
    save_map,
    save_map_path,
    save_posterior,
    schema,
)
from bayesreg.io.netcdf import read_netcdf
from bayesreg.io.posterior import write_posterior
from bayesreg.map import MapPath, MapResult
from bayesreg.sample import sample_posterior
from bayesreg.sklearn import (
    BayesianLinearRegression,
    BayesianLogisticRegression,
    BayesianPoissonRegression,
)

# ---------------------------------------------------------------------------------------------
# helpers: exact equality, dtype and container type included


def assert_same(a, b, where="value"):
    """Exact, recursive equality of saved values (arrays bit for bit, with dtype and kind)."""
    assert type(a) is type(b), f"{where}: {type(a)} != {type(b)}"
    if isinstance(a, np.ndarray | jax.Array):
        assert a.dtype == b.dtype, f"{where}: dtype {a.dtype} != {b.dtype}"
        assert np.array_equal(np.asarray(a), np.asarray(b), equal_nan=a.dtype.kind in "fc"), where
    elif isinstance(a, np.generic):
        assert a.dtype == b.dtype and (a == b or (np.isnan(a) and np.isnan(b))), where
    elif isinstance(a, float):
        assert a == b or (math.isnan(a) and math.isnan(b)), f"{where}: {a!r} != {b!r}"
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} != {list(b)}"
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, dist.Distribution):
        assert_same(a.batch_shape, b.batch_shape, f"{where}.batch_shape")
        assert_same(a.event_shape, b.event_shape, f"{where}.event_shape")
        fields = type(a).gather_pytree_data_fields() + type(a).gather_pytree_aux_fields()
        for name in fields:
            assert_same(vars(a).get(name), vars(b).get(name), f"{where}.{name}")
    elif isinstance(a, MapResult):
        assert_same_map(a, b)
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def assert_same_map(a, b):
    assert_same(a.params, b.params, "params")
    for name in ("objective", "num_iter", "converged", "optimality", "tolerance"):
        assert_same(getattr(a, name), getattr(b, name), name)
    assert a.model is b.model
    assert_same(a.args, b.args, "args")
    assert_same(a.kwargs, b.kwargs, "kwargs")


def assert_same_posterior(a, b):
    assert_same(a.samples, b.samples, "samples")
    for name in ("method", "chain_method", "num_chains", "num_samples", "num_divergent"):
        assert_same(getattr(a, name), getattr(b, name), name)
    pd.testing.assert_frame_equal(a.diagnostics, b.diagnostics, check_exact=True)
    assert a.model is b.model
    assert_same(a.args, b.args, "args")
    assert_same(a.kwargs, b.kwargs, "kwargs")
    assert a.idata.groups() == b.idata.groups()
    for group in a.idata.groups():
        assert a.idata[group].identical(b.idata[group]), group
    assert dict(a.idata.attrs) == dict(b.idata.attrs)


def user_model(X, y=None, scale=1.0):
    """A user's own model at module level: re-importable by its qualified name."""
    import numpyro

    coef = numpyro.sample("coef", dist.Laplace(0.0, scale).expand([X.shape[1]]).to_event(1))
    numpyro.sample("y", dist.Normal(X @ coef, 1.0), obs=y)


@pytest.fixture
def registry(monkeypatch):
    """An empty model / distribution registry for one test (register_model is per process)."""
    monkeypatch.setattr(codec, "REGISTERED_MODELS", {})
    monkeypatch.setattr(codec, "REGISTERED_DISTRIBUTIONS", {})


@pytest.fixture(scope="module")
def data():
    gen = np.random.default_rng(7)
    X = gen.normal(size=(40, 4))
    y = 0.5 + X @ np.array([1.5, 0.0, -2.0, 0.0]) + gen.normal(size=40)
    return X, y


# ---------------------------------------------------------------------------------------------
# MAP results


@pytest.mark.parametrize(
    "case",
    ["laplace", "elastic_net_float32", "sigma_prior", "logistic", "user_model", "per_feature"],
)
def test_map_round_trip_is_exact(tmp_path, data, case, registry):
    X, y = data
    names = ["a", "b", "c", "d"]
    if case == "laplace":
        fit = map_estimate(
            models.linear, X, y, prior=models.laplace(0.3), sigma=1.2, feature_names=names
        )
    elif case == "elastic_net_float32":
        fit = map_estimate(
            models.linear,
            X,
            y,
            prior=models.elastic_net(0.5, 2.0),
            sigma=1.0,
            dtype="float32",
            tol=1e-4,
        )
        assert fit.params["coef"].dtype == np.float32
    elif case == "sigma_prior":
        fit = map_estimate(
            models.linear, X, y, prior=models.laplace(1.0), sigma=dist.HalfNormal(2.0)
        )
    elif case == "logistic":
        fit = map_estimate(models.logistic, X, (y > 0).astype(float), prior=models.laplace(0.5))
    elif case == "per_feature":
        scales = np.array([0.1, 1.0, 2.0, 0.5])
        fit = map_estimate(
            models.linear, X, y, prior=models.gaussian(scales), sigma=1.0, intercept=False
        )
    else:
        fit = map_estimate(user_model, X, y, scale=0.5)
        brio.register_model(user_model)  # a user's model is trusted only when registered
    path = tmp_path / "fit.npz"
    save_map(fit, path)
    loaded = load_map(path)
    assert_same_map(fit, loaded)
    # the loaded result works like the original: same MAP when solved again
    dtype = str(loaded.params["coef"].dtype)
    again = map_estimate(
        loaded.model, *loaded.args, dtype=dtype, tol=loaded.tolerance, **loaded.kwargs
    )
    assert np.array_equal(again.params["coef"], fit.params["coef"])


def test_map_file_is_an_npz_readable_without_pickle(tmp_path, data):
    X, y = data
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.3), sigma=1.0)
    path = tmp_path / "fit.npz"
    save_map(fit, path)
    with np.load(path, allow_pickle=False) as npz:
        header = json.loads(npz["header.json"])
        arrays = {key: npz[key] for key in npz.files if key.startswith("arrays/")}
    assert header["format"] == "bayesreg.MapResult"
    assert header["format_version"] == brio.FORMAT_VERSION
    assert header["result"]["model"] == "bayesreg.models:linear"
    coef_key = header["result"]["params"]["items"]["coef"]["key"]
    assert np.array_equal(arrays[f"arrays/{coef_key}"], fit.params["coef"])


def test_map_without_data(tmp_path, data):
    X, y = data
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.3), sigma=1.0)
    save_map(fit, tmp_path / "fit.npz", include_data=False)
    loaded = load_map(tmp_path / "fit.npz")
    assert loaded.args == () and loaded.kwargs == {}
    assert_same(fit.params, loaded.params)


def test_map_of_a_local_model_needs_model_argument(tmp_path, data):
    X, y = data

    def local_model(X, y=None):
        user_model(X, y)

    fit = map_estimate(local_model, X, y)
    save_map(fit, tmp_path / "fit.npz")
    with pytest.warns(UserWarning, match="was not re-imported.*Pass model="):
        loaded = load_map(tmp_path / "fit.npz")
    assert loaded.model is None
    assert_same(fit.params, loaded.params)
    assert load_map(tmp_path / "fit.npz", model=local_model).model is local_model


def test_map_with_unsupported_argument_says_how_to_save(tmp_path, data):
    X, y = data
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.3), sigma=1.0)
    odd = MapResult(**{**vars(fit), "kwargs": {**fit.kwargs, "extra": object()}})
    with pytest.raises(TypeError, match=r"fit.kwargs\['extra'\].*object"):
        save_map(odd, tmp_path / "fit.npz")
    mixed = MapResult(**{**vars(fit), "kwargs": {"names": np.array(["a", 1], dtype=object)}})
    with pytest.raises(TypeError, match="object array"):
        save_map(mixed, tmp_path / "fit.npz")
    assert not os.path.exists(tmp_path / "fit.npz")  # nothing half-written
    save_map(odd, tmp_path / "fit.npz", include_data=False)
    with pytest.raises(TypeError, match="MapResult"):
        save_map(fit.params, tmp_path / "fit.npz")


# ---------------------------------------------------------------------------------------------
# posterior results


def test_posterior_round_trip_exact_sampler(tmp_path, data):
    X, y = data
    post = sample_posterior(
        models.linear, X, y, prior=models.gaussian(1.0), sigma=1.0,
        feature_names=["a", "b", "c", "d"], num_chains=2, num_samples=200, seed=3,
    )  # fmt: skip
    assert post.method == "exact"
    save_posterior(post, tmp_path / "post.nc")
    loaded = load_posterior(tmp_path / "post.nc")
    assert_same_posterior(post, loaded)
    assert list(loaded.idata.posterior["coef"].coords["features"].values) == ["a", "b", "c", "d"]
    # any ArviZ reader opens the file
    assert "posterior" in az.from_netcdf(tmp_path / "post.nc").groups()


@pytest.mark.filterwarnings("ignore::bayesreg.sample.SamplingWarning")
def test_posterior_round_trip_nuts(tmp_path, data):
    X, y = data
    post = sample_posterior(
        models.linear, X[:, :2], y, prior=models.laplace(0.5), sigma=dist.HalfNormal(2.0),
        num_chains=2, num_warmup=100, num_samples=100, seed=1,
    )  # fmt: skip
    assert post.method == "nuts"
    save_posterior(post, tmp_path / "post.nc")
    assert_same_posterior(post, load_posterior(tmp_path / "post.nc"))


def test_saving_a_posterior_leaves_its_idata_untouched(tmp_path, data):
    X, y = data
    post = sample_posterior(
        models.linear, X, y, prior=models.gaussian(1.0), sigma=1.0, num_samples=50
    )
    attrs = dict(post.idata.attrs)
    save_posterior(post, tmp_path / "post.nc")
    assert dict(post.idata.attrs) == attrs
    assert "bayesreg_arrays" not in post.idata.groups()


# ---------------------------------------------------------------------------------------------
# estimators


def _labels(y):
    return np.where(y > 0.5, "yes", "no")


ESTIMATORS = {
    "linear_laplace": (BayesianLinearRegression(prior="laplace", alpha=0.05), lambda y: y),
    "linear_sigma_estimated": (
        BayesianLinearRegression(
            prior="elastic_net", l1_scale=1.0, l2_scale=[1, 2, 3, 4.0], sigma="estimate"
        ),
        lambda y: y,
    ),  # fmt: skip
    "logistic": (BayesianLogisticRegression(prior="laplace", C=0.5), _labels),
    "poisson": (BayesianPoissonRegression(alpha=0.1), lambda y: np.round(np.exp(y / 4))),
}


@pytest.mark.parametrize("name", list(ESTIMATORS))
@pytest.mark.parametrize("frame", [False, True])
def test_estimator_round_trip_is_exact(tmp_path, data, name, frame):
    X, y = data
    template, target = ESTIMATORS[name]
    est = template.__class__(**template.get_params())
    if frame:
        X = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    est.fit(X, target(y))
    save_estimator(est, tmp_path / "est.npz")
    loaded = load_estimator(tmp_path / "est.npz")
    assert type(loaded) is type(est)
    assert_same(est.get_params(), loaded.get_params(), "params")
    fitted = {k: v for k, v in vars(est).items() if k.endswith("_")}
    assert sorted(fitted) == sorted(k for k in vars(loaded) if k.endswith("_"))
    for key, value in fitted.items():
        assert_same(value, getattr(loaded, key), key)
    assert np.array_equal(loaded.predict(X), est.predict(X))
    if frame:
        assert loaded.feature_names_in_.dtype == object


def test_estimator_with_posterior_round_trip(tmp_path, data):
    X, y = data
    est = BayesianLinearRegression(alpha=1.0, sigma=1.0).fit(X, y)
    est.sample_posterior(num_chains=2, num_samples=100, seed=5)
    save_estimator(est, tmp_path / "est.npz")
    loaded = load_estimator(tmp_path / "est.npz")
    assert_same_posterior(est.posterior_, loaded.posterior_)
    mean, std = est.predict(X, return_std=True)
    loaded_mean, loaded_std = loaded.predict(X, return_std=True)
    assert np.array_equal(mean, loaded_mean) and np.array_equal(std, loaded_std)


def test_unfitted_estimator_round_trip(tmp_path):
    est = BayesianPoissonRegression(prior="elastic_net", alpha=0.3, l1_ratio=0.25, max_iter=50)
    save_estimator(est, tmp_path / "est.npz")
    loaded = load_estimator(tmp_path / "est.npz")
    assert loaded.get_params() == est.get_params()
    assert not hasattr(loaded, "coef_")


def test_save_estimator_refuses_other_objects(tmp_path):
    from sklearn.linear_model import Ridge

    with pytest.raises(TypeError, match="bayesreg.sklearn estimator"):
        save_estimator(Ridge(), tmp_path / "est.npz")


# ---------------------------------------------------------------------------------------------
# newer format versions, damaged and foreign files


@pytest.fixture(scope="module")
def saved(tmp_path_factory, data):
    """One file of each kind."""
    X, y = data
    folder = tmp_path_factory.mktemp("saved")
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.3), sigma=1.0)
    post = sample_posterior(
        models.linear, X, y, prior=models.gaussian(1.0), sigma=1.0, num_samples=50
    )
    est = BayesianLinearRegression(prior="laplace", alpha=0.05).fit(X, y)
    grid = map_path(
        models.linear, X, y, sigma=1.0, path={"prior": [models.laplace(b) for b in (0.1, 1.0)]}
    )
    paths = {"map": folder / "fit.npz", "posterior": folder / "post.nc", "estimator": folder / "e"}
    paths["path"] = folder / "path.npz"
    save_map(fit, paths["map"])
    save_posterior(post, paths["posterior"])
    save_estimator(est, paths["estimator"])
    save_map_path(grid, paths["path"])
    objects = {"map": fit, "posterior": post, "estimator": est, "path": grid}
    return {"objects": objects, "paths": paths}


SAVERS = {
    "map": save_map, "posterior": save_posterior, "estimator": save_estimator,
    "path": save_map_path,
}  # fmt: skip
LOADERS = {
    "map": load_map, "posterior": load_posterior, "estimator": load_estimator,
    "path": load_map_path,
}  # fmt: skip
KINDS = list(LOADERS)


@pytest.mark.parametrize("kind", KINDS)
def test_newer_format_version_is_refused_with_upgrade_hint(tmp_path, saved, kind, monkeypatch):
    path = tmp_path / "newer"
    monkeypatch.setattr(schema, "FORMAT_VERSION", brio.FORMAT_VERSION + 1)
    SAVERS[kind](saved["objects"][kind], path)
    monkeypatch.undo()
    message = (
        f"written by format version {brio.FORMAT_VERSION + 1}, this bayesreg reads up to "
        f"{brio.FORMAT_VERSION}; upgrade bayesreg"
    )
    with pytest.raises(ValueError, match=message):
        LOADERS[kind](path)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("keep", [0.0, 0.1, 0.5, 0.9, "all but one byte"])
def test_truncated_file_gives_value_error_naming_it(tmp_path, saved, kind, keep):
    content = saved["paths"][kind].read_bytes()
    size = len(content) - 1 if keep == "all but one byte" else int(keep * len(content))
    path = tmp_path / "truncated"
    path.write_bytes(content[:size])
    with pytest.raises(ValueError, match="truncated") as info:
        LOADERS[kind](path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("kind", KINDS)
def test_random_garbage_gives_value_error_with_cause(tmp_path, kind):
    path = tmp_path / "garbage"
    path.write_bytes(np.random.default_rng(0).bytes(5000))
    with pytest.raises(ValueError, match="not a readable bayesreg") as info:
        LOADERS[kind](path)
    assert info.value.__cause__ is not None
    assert str(path) in str(info.value)


@pytest.mark.parametrize("kind", ["map", "estimator", "path"])
def test_flipped_byte_in_an_array_is_caught_by_the_checksum(tmp_path, saved, kind):
    original = saved["paths"][kind]
    with zipfile.ZipFile(original) as archive:
        member = next(i for i in archive.infolist() if i.filename.startswith("arrays/"))
    content = bytearray(original.read_bytes())
    content[member.header_offset + 30 + len(member.filename) + member.file_size - 1] ^= 0xFF
    path = tmp_path / "flipped"
    path.write_bytes(bytes(content))
    with pytest.raises(ValueError, match="corrupted") as info:
        LOADERS[kind](path)
    assert "CRC" in str(info.value)


def _rewrite_header(source, target, edit):
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for item in archive.infolist():
            content = archive.read(item.filename)
            if item.filename == "header.json":
                content = edit(content)
            out.writestr(item, content)


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (lambda c: c[: len(c) // 2], "JSONDecodeError"),
        (lambda c: b"[1, 2]", "not a JSON object"),
        (lambda c: c.replace(b'"format_version": 1', b'"format_version": "one"'), "invalid"),
        (lambda c: c.replace(b'"result"', b'"resultat"'), "result = missing"),
    ],
)
def test_damaged_header_gives_value_error(tmp_path, saved, edit, match):
    path = tmp_path / "damaged.npz"
    _rewrite_header(saved["paths"]["map"], path, edit)
    with pytest.raises(ValueError, match=match):
        load_map(path)


def test_header_naming_a_non_estimator_class_is_refused(tmp_path, saved):
    path = tmp_path / "evil.npz"

    def edit(content):
        header = json.loads(content)
        header["class"] = "os:system"
        return json.dumps(header).encode()

    _rewrite_header(saved["paths"]["estimator"], path, edit)
    with pytest.raises(ValueError, match="not a bayesreg estimator class"):
        load_estimator(path)


@pytest.mark.parametrize(
    ("kind", "file_of", "match"),
    [
        ("map", "estimator", "not a bayesreg.MapResult file; it holds a bayesreg.estimator: use "
         "bayesreg.io.load_estimator"),
        ("estimator", "map", "use bayesreg.io.load_map"),
        ("map", "posterior", "not a readable bayesreg MAP result file"),
        ("path", "map", "not a bayesreg.MapPath file; it holds a bayesreg.MapResult: use "
         "bayesreg.io.load_map"),
        ("map", "path", "use bayesreg.io.load_map_path"),
        ("path", "posterior", "not a readable bayesreg MAP path file"),
        ("posterior", "map", "not a readable bayesreg posterior file"),
    ],
)  # fmt: skip
def test_wrong_kind_of_file(saved, kind, file_of, match):
    with pytest.raises(ValueError, match=match):
        LOADERS[kind](saved["paths"][file_of])


def test_plain_npz_and_plain_arviz_files_are_refused(tmp_path, saved):
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    with pytest.raises(ValueError, match="no header.json"):
        load_map(tmp_path / "plain.npz")
    saved["objects"]["posterior"].idata.to_netcdf(tmp_path / "plain.nc")
    with pytest.raises(ValueError, match="arviz.from_netcdf"):
        load_posterior(tmp_path / "plain.nc")


@pytest.mark.parametrize("kind", KINDS)
def test_missing_file_is_file_not_found(tmp_path, kind):
    with pytest.raises(FileNotFoundError, match="no such file"):
        LOADERS[kind](tmp_path / "missing")


def test_save_replaces_an_existing_file_atomically(tmp_path, saved):
    path = tmp_path / "fit.npz"
    path.write_bytes(b"old content")
    save_map(saved["objects"]["map"], path)
    assert_same_map(saved["objects"]["map"], load_map(path))
    assert [p.name for p in tmp_path.iterdir()] == ["fit.npz"]  # no temporary file left over


def test_no_pickle_in_the_archive(saved):
    with zipfile.ZipFile(saved["paths"]["estimator"]) as archive:
        for name in archive.namelist():
            if name.endswith(".npy"):
                array = np.lib.format.read_array(
                    stdlib_io.BytesIO(archive.read(name)), allow_pickle=False
                )
                assert array.dtype != object


def test_docstring_examples_run():
    attempted = 0
    for module in (brio, codec, results, posterior, estimators, generic):
        result = doctest.testmod(module, raise_on_error=False, report=True)
        assert result.failed == 0, module.__name__
        attempted += result.attempted
    assert attempted >= 9


# ---------------------------------------------------------------------------------------------
# hostile files: nothing a file names is imported or run


def _edit_json(edit):
    def rewrite(content):
        header = json.loads(content)
        edit(header)
        return json.dumps(header).encode()

    return rewrite


def _code_for(target, sentinel):
    """The string an attacker's model would be called with: it creates ``sentinel``."""
    if target == "builtins:exec":
        return f"open({str(sentinel)!r}, 'w').close()"
    return f"touch {sentinel}"


@pytest.fixture
def evil_module(tmp_path, monkeypatch):
    """An importable module that creates a sentinel file when imported: the file names it."""
    name = f"bayesreg_evil_{os.getpid()}"
    sentinel = tmp_path / "imported"
    (tmp_path / f"{name}.py").write_text(
        f"open({str(sentinel)!r}, 'w').close()\ndef model(*args, **kwargs):\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield f"{name}:model", sentinel
    assert name not in sys.modules


ATTACKS = ["builtins:exec", "os:system", "module"]


@pytest.mark.parametrize("target", [*ATTACKS, "bayesreg.models:np.save"])
def test_map_file_naming_code_loads_without_it_and_refit_runs_nothing(
    tmp_path, saved, target, evil_module
):
    sentinel = tmp_path / "sentinel"
    if target == "module":
        target, sentinel = evil_module

    def edit(header):
        header["result"]["model"] = target
        header["result"]["args"] = {"__type__": "tuple", "items": [_code_for(target, sentinel)]}
        header["result"]["kwargs"] = {"__type__": "dict", "items": {}}

    path = tmp_path / "evil.npz"
    _rewrite_header(saved["paths"]["map"], path, _edit_json(edit))
    with pytest.warns(UserWarning, match="not re-imported.*model=None.*register_model"):
        fit = load_map(path)
    assert fit.model is None
    with pytest.raises(TypeError, match="model must be a NumPyro model function"):
        map_estimate(fit.model, *fit.args, **fit.kwargs)  # the documented refit
    assert not sentinel.exists()


@pytest.mark.parametrize("target", ATTACKS)
def test_estimator_file_naming_code_is_refused_and_runs_nothing(
    tmp_path, saved, target, evil_module
):
    sentinel = tmp_path / "sentinel"
    if target == "module":
        target, sentinel = evil_module

    def edit(header):
        fit = header["fitted"]["items"]["map_"]
        fit["model"] = target
        fit["args"] = {"__type__": "tuple", "items": [_code_for(target, sentinel)]}
        fit["kwargs"] = {"__type__": "dict", "items": {}}

    path = tmp_path / "evil.npz"
    _rewrite_header(saved["paths"]["estimator"], path, _edit_json(edit))
    with pytest.raises(ValueError, match=r"fitted\['map_'\]\.model = .*bayesreg\.models:linear"):
        load_estimator(path)  # so est.sample_posterior() can never run it
    assert not sentinel.exists()


@pytest.mark.parametrize("target", ATTACKS)
def test_posterior_file_naming_code_loads_without_it(tmp_path, saved, target, evil_module):
    import h5py

    sentinel = tmp_path / "sentinel"
    if target == "module":
        target, sentinel = evil_module
    path = tmp_path / "evil.nc"
    path.write_bytes(saved["paths"]["posterior"].read_bytes())
    with h5py.File(path, "r+") as file:
        header = json.loads(file.attrs["bayesreg_header"])
        header["model"] = target
        file.attrs["bayesreg_header"] = json.dumps(header)
    with pytest.warns(UserWarning, match="not re-imported.*model=None"):
        post = load_posterior(path)
    assert post.model is None
    assert not sentinel.exists()


def test_estimator_class_in_an_arbitrary_module_is_not_imported(tmp_path, saved, evil_module):
    target, sentinel = evil_module
    path = tmp_path / "evil.npz"
    _rewrite_header(
        saved["paths"]["estimator"], path, _edit_json(lambda h: h.__setitem__("class", target))
    )
    with pytest.raises(ValueError, match="not a bayesreg estimator class"):
        load_estimator(path)
    assert not sentinel.exists()


@pytest.mark.parametrize("target", ["os:system", "builtins:exec", "module", "numpyro:infer.MCMC"])
def test_distribution_class_outside_the_allowlist_is_refused(tmp_path, saved, target, evil_module):
    sentinel = tmp_path / "sentinel"
    if target == "module":
        target, sentinel = evil_module

    def edit(header):
        header["result"]["kwargs"]["items"]["prior"]["class"] = target

    path = tmp_path / "evil.npz"
    _rewrite_header(saved["paths"]["map"], path, _edit_json(edit))
    with pytest.raises(ValueError, match=r"result\.kwargs\['prior'\]\.class = .*numpyro"):
        load_map(path)
    assert not sentinel.exists()


def test_distribution_fields_are_plain_numbers_only(tmp_path, saved):
    def edit(header):
        header["result"]["kwargs"]["items"]["prior"]["data"]["scale"] = "__import__('os')"

    path = tmp_path / "evil.npz"
    _rewrite_header(saved["paths"]["map"], path, _edit_json(edit))
    with pytest.raises(ValueError, match=r"result\.kwargs\['prior'\]\.scale = .*a number"):
        load_map(path)


class OwnPrior(dist.Normal):
    """A user's distribution class: loads only once registered."""


def test_registered_model_and_distribution_load(tmp_path, data, registry):
    X, y = data
    fit = map_estimate(user_model, X, y, scale=0.5)
    fit = MapResult(**{**vars(fit), "kwargs": {"scale": 0.5, "extra": OwnPrior(0.0, 1.0)}})
    save_map(fit, tmp_path / "fit.npz")
    with pytest.raises(ValueError, match="register_distribution"):
        load_map(tmp_path / "fit.npz")
    assert brio.register_distribution(OwnPrior) is OwnPrior
    with pytest.warns(UserWarning, match="register_model"):
        assert load_map(tmp_path / "fit.npz").model is None
    assert brio.register_model(user_model) is user_model
    loaded = load_map(tmp_path / "fit.npz")
    assert loaded.model is user_model and type(loaded.kwargs["extra"]) is OwnPrior
    with pytest.raises(TypeError, match="model function"):
        brio.register_model(OwnPrior)
    with pytest.raises(TypeError, match="Distribution"):
        brio.register_distribution(user_model)


# ---------------------------------------------------------------------------------------------
# header schema: each bad value is refused with the field named


def _key_of(node):
    return node["key"]


MAP_SCHEMA_CASES = {
    "converged_no": (lambda r: r.update(converged="no"), r"result\.converged = 'no'"),
    "coef_hello": (
        lambda r: r["params"]["items"].update(coef="hello"),
        r"result\.params\['coef'\] = 'hello' is not a numeric array",
    ),
    "num_iter_negative": (lambda r: r.update(num_iter=-5), r"result\.num_iter = -5"),
    "num_iter_bool": (lambda r: r.update(num_iter=True), r"result\.num_iter = True"),
    "objective_string": (
        lambda r: r.update(objective="1.0"),
        r"result\.objective = '1\.0' is not a (finite )?number",
    ),
    "objective_nan_converged": (
        lambda r: r["objective"].update(value="nan"),
        r"result\.objective = nan is not a finite",
    ),
    "optimality_negative": (
        lambda r: r["optimality"].update(value="-1.0"),
        r"result\.optimality = -1\.0",
    ),
    "float_not_a_number": (
        lambda r: r["tolerance"].update(value="hello"),
        r"result\.tolerance\.value = 'hello'",
    ),
    "coef_length_not_columns": (
        lambda r: r["params"]["items"]["coef"].update(key=_key_of(r["args"]["items"][1])),
        r"result\.params\['coef'\] = shape \(40,\) is not of length 4",
    ),
    "y_length_not_rows": (
        lambda r: r["args"]["items"][1].update(key=_key_of(r["params"]["items"]["coef"])),
        r"result\.args\[1\] = .*shape \(4,\).* of length 40",
    ),
    "unknown_array": (
        lambda r: r["params"]["items"]["coef"].update(key="nope"),
        r"coef'\]\.key = 'nope'",
    ),
    "unknown_type": (
        lambda r: r["params"]["items"]["coef"].update(__type__="pickle"),
        r"coef'\]\.__type__ = 'pickle'",
    ),
    "extra_field": (lambda r: r.update(code="x"), r"result = .*unexpected \['code'\]"),
}


@pytest.mark.parametrize("case", list(MAP_SCHEMA_CASES))
def test_map_header_schema(tmp_path, saved, case):
    edit, match = MAP_SCHEMA_CASES[case]
    path = tmp_path / "bad.npz"
    _rewrite_header(saved["paths"]["map"], path, _edit_json(lambda h: edit(h["result"])))
    with pytest.raises(ValueError, match=match) as info:
        load_map(path)
    message = str(info.value)
    assert str(path) in message and "damaged or not a bayesreg file" in message


ESTIMATOR_SCHEMA_CASES = {
    "n_iter_negative": (lambda f: f["items"].update(n_iter_=-1), r"fitted\['n_iter_'\] = -1"),
    "coef_not_n_features": (
        lambda f: f["items"].update(n_features_in_=7),
        r"fitted\['coef_'\] = .* 7 coefficients",
    ),
    "map_converged_no": (
        lambda f: f["items"]["map_"].update(converged="no"),
        r"fitted\['map_'\]\.converged = 'no'",
    ),
}


@pytest.mark.parametrize("case", list(ESTIMATOR_SCHEMA_CASES))
def test_estimator_header_schema(tmp_path, saved, case):
    edit, match = ESTIMATOR_SCHEMA_CASES[case]
    path = tmp_path / "bad.npz"
    _rewrite_header(saved["paths"]["estimator"], path, _edit_json(lambda h: edit(h["fitted"])))
    with pytest.raises(ValueError, match=match):
        load_estimator(path)


def test_estimator_unknown_parameter_is_refused(tmp_path, saved):
    def edit(header):
        header["params"]["items"]["evil"] = 1

    path = tmp_path / "bad.npz"
    _rewrite_header(saved["paths"]["estimator"], path, _edit_json(edit))
    with pytest.raises(ValueError, match=r"params\['evil'\] = 1 is not a parameter"):
        load_estimator(path)


POSTERIOR_SCHEMA_CASES = {
    "num_divergent_negative": (lambda h: h.update(num_divergent=-1), "num_divergent = -1"),
    "num_chains_string": (lambda h: h.update(num_chains="1"), "num_chains = '1'"),
    "draws_not_num_samples": (
        lambda h: h.update(num_samples=h["num_samples"] + 1),
        r"posterior\['coef'\] = .*shape",
    ),
    "divergent_beyond_draws": (lambda h: h.update(num_divergent=10**6), "num_divergent = 1000000"),
    "unknown_site": (
        lambda h: (h["samples"].append("evil"), h["sample_kinds"].update(evil="ndarray")),
        "samples = 'evil'",
    ),
}


@pytest.mark.parametrize("case", list(POSTERIOR_SCHEMA_CASES))
def test_posterior_header_schema(tmp_path, saved, case):
    import h5py

    edit, match = POSTERIOR_SCHEMA_CASES[case]
    path = tmp_path / "bad.nc"
    path.write_bytes(saved["paths"]["posterior"].read_bytes())
    with h5py.File(path, "r+") as file:
        header = json.loads(file.attrs["bayesreg_header"])
        edit(header)
        file.attrs["bayesreg_header"] = json.dumps(header)
    with pytest.raises(ValueError, match=match) as info:
        load_posterior(path)
    assert "damaged or not a bayesreg file" in str(info.value)


def _npy_header(shape):
    out = stdlib_io.BytesIO()
    np.lib.format.write_array_header_1_0(
        out, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    return out.getvalue()


def _with_member(source, target, name, write):
    """Copy ``source`` to ``target`` with member ``name`` replaced by ``write(archive, info)``."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w") as out:
        for item in archive.infolist():
            if item.filename == name:
                write(out, item)
            else:
                out.writestr(item, archive.read(item.filename))


def _coef_member(saved):
    with zipfile.ZipFile(saved["paths"]["map"]) as archive:
        header = json.loads(archive.read("header.json"))
    return f"arrays/{header['result']['params']['items']['coef']['key']}.npy"


def test_zip_bomb_member_is_refused_before_inflating(tmp_path, saved):
    """A deflated member of 256 KiB that would inflate to a 256 MiB array."""
    member = _coef_member(saved)
    size = 2**25  # float64 entries: 256 MiB

    def bomb(out, item):
        info = zipfile.ZipInfo(item.filename)
        info.compress_type = zipfile.ZIP_DEFLATED
        with out.open(info, "w", force_zip64=True) as handle:
            np.lib.format.write_array_header_1_0(
                handle, {"descr": "<f8", "fortran_order": False, "shape": (size,)}
            )
            zeros = bytes(2**20)
            for _ in range(size * 8 // len(zeros)):
                handle.write(zeros)

    path = tmp_path / "bomb.npz"
    _with_member(saved["paths"]["map"], path, member, bomb)
    assert path.stat().st_size < 2**21
    with pytest.raises(ValueError, match=rf"member {member} = compression method 8"):
        load_map(path)


def test_member_smaller_than_its_declared_shape_is_refused(tmp_path, saved):
    member = _coef_member(saved)

    def liar(out, item):
        out.writestr(item.filename, _npy_header((10**9,)) + bytes(32))

    path = tmp_path / "liar.npz"
    _with_member(saved["paths"]["map"], path, member, liar)
    with pytest.raises(ValueError, match=rf"member {member} = \d+ bytes is not 8000000\d+ bytes"):
        load_map(path)


def test_object_dtype_member_is_refused(tmp_path, saved):
    member = _coef_member(saved)

    def pickled(out, item):
        buffer = stdlib_io.BytesIO()
        np.lib.format.write_array(buffer, np.array([1, "a"], dtype=object), allow_pickle=True)
        out.writestr(item.filename, buffer.getvalue())

    path = tmp_path / "pickled.npz"
    _with_member(saved["paths"]["map"], path, member, pickled)
    with pytest.raises(ValueError, match=rf"member {member} = dtype object is not a numeric"):
        load_map(path)


def test_netcdf_declaring_more_than_it_holds_is_refused(tmp_path, saved):
    import h5py

    path = tmp_path / "bomb.nc"
    path.write_bytes(saved["paths"]["posterior"].read_bytes())
    with h5py.File(path, "r+") as file:  # unwritten compressed chunks: read as fill values
        file["posterior"].create_dataset(
            "bomb", shape=(3 * 2**24,), dtype="f8", chunks=(2**20,), compression="gzip"
        )
    assert path.stat().st_size < 2**21
    with pytest.raises(ValueError, match="the variables = 4027\\d+ bytes is not at most"):
        load_posterior(path)


# ---------------------------------------------------------------------------------------------
# MAP paths


def assert_same_path(a, b):
    for item in dataclasses.fields(MapPath):
        if item.name != "model":
            assert_same(getattr(a, item.name), getattr(b, item.name), item.name)
    assert a.model is b.model


@pytest.mark.parametrize("case", ["laplace", "two_arguments", "vmap", "user_model", "no_data"])
def test_map_path_round_trip_is_exact(tmp_path, data, case, registry):
    X, y = data
    names = ["a", "b", "c", "d"]
    priors = [models.laplace(b) for b in (0.1, 0.5, 2.0)]
    if case == "laplace":
        grid = map_path(models.linear, X, y, path={"prior": priors}, sigma=1.2, feature_names=names)
    elif case == "two_arguments":
        grid = map_path(
            models.linear, X, y, path={"prior": priors, "sigma": [0.5, 1.0, 2.0]}, intercept=False
        )
    elif case == "vmap":
        grid = map_path(
            models.linear, X, y, path={"prior": [models.gaussian(s) for s in np.array([0.5, 2.0])]},
            method="vmap",
        )  # fmt: skip
    elif case == "user_model":
        grid = map_path(user_model, X, y, path={"scale": np.array([0.5, 1.0])})
        brio.register_model(user_model)
    else:
        grid = map_path(models.linear, X, y, sigma=1.0, path={"prior": priors})
    path = tmp_path / "path.npz"
    save_map_path(grid, path, include_data=case != "no_data")
    loaded = load_map_path(path)
    if case == "no_data":
        assert loaded.args == () and loaded.kwargs == {}
        grid = dataclasses.replace(grid, args=(), kwargs={})
    assert_same_path(grid, loaded)
    assert len(loaded) == len(grid)
    for i in range(len(grid)):  # each point is the same MapResult
        assert_same_map(grid[i], loaded[i])


def test_map_path_of_a_local_model_needs_model_argument(tmp_path, data):
    X, y = data

    def local_model(X, y=None, scale=1.0):
        user_model(X, y, scale)

    grid = map_path(local_model, X, y, path={"scale": [0.5, 1.0]})
    save_map_path(grid, tmp_path / "path.npz")
    with pytest.warns(UserWarning, match="was not re-imported.*Pass model="):
        assert load_map_path(tmp_path / "path.npz").model is None
    assert load_map_path(tmp_path / "path.npz", model=local_model).model is local_model


def test_save_map_path_refuses_other_objects(tmp_path, saved):
    with pytest.raises(TypeError, match="MapPath"):
        save_map_path(saved["objects"]["map"], tmp_path / "path.npz")
    assert not os.path.exists(tmp_path / "path.npz")


def _array_key(node):
    return node["key"]


MAP_PATH_SCHEMA_CASES = {
    "converged_floats": (
        lambda r: r["converged"].update(key=_array_key(r["objective"])),
        r"result\.converged = .* is not an array of booleans",
    ),
    "num_iter_floats": (
        lambda r: r["num_iter"].update(key=_array_key(r["optimality"])),
        r"result\.num_iter = .* is not an array of integers",
    ),
    "objective_a_number": (
        lambda r: r.update(objective={"__type__": "float", "value": "1.0"}),
        r"result\.objective = 1\.0 is not an array of floats, one per point",
    ),
    "optimality_not_k": (
        lambda r: r["optimality"].update(key=_array_key(r["args"]["items"][1])),
        r"result\.optimality = .*shape \(40,\).* is not of shape \(2,\)",
    ),
    "coef_not_k_points": (
        lambda r: r["params"]["items"]["coef"].update(key=_array_key(r["args"]["items"][0])),
        r"result\.params\['coef'\] = .*shape \(40, 4\).* is not of leading axis 2",
    ),
    "path_too_short": (
        lambda r: r["path"]["items"]["prior"]["items"].pop(),
        r"result\.path\['prior'\] = .* is not a list of 2 values",
    ),
    "path_also_in_kwargs": (
        lambda r: r["kwargs"]["items"].update(prior=r["path"]["items"]["prior"]["items"][0]),
        r"result\.kwargs = \['prior'\] is not arguments apart from those of the path",
    ),
    "method_number": (lambda r: r.update(method=1), r"result\.method = 1 is not a string"),
    "tolerance_negative": (
        lambda r: r["tolerance"].update(value="-1.0"),
        r"result\.tolerance = -1\.0 is not a number > 0",
    ),
    "coef_hello": (
        lambda r: r["params"]["items"].update(coef="hello"),
        r"result\.params\['coef'\] = 'hello' is not a numeric array",
    ),
    "unknown_array": (
        lambda r: r["objective"].update(key="nope"),
        r"result\.objective\.key = 'nope'",
    ),
    "extra_field": (lambda r: r.update(code="x"), r"result = .*unexpected \['code'\]"),
    "a_map_result": (
        lambda r: r.update(__type__="MapResult"),
        r"result\.__type__ = 'MapResult' is not 'MapPath'",
    ),
}


@pytest.mark.parametrize("case", list(MAP_PATH_SCHEMA_CASES))
def test_map_path_header_schema(tmp_path, saved, case):
    edit, match = MAP_PATH_SCHEMA_CASES[case]
    path = tmp_path / "bad.npz"
    _rewrite_header(saved["paths"]["path"], path, _edit_json(lambda h: edit(h["result"])))
    with pytest.raises(ValueError, match=match) as info:
        load_map_path(path)
    message = str(info.value)
    assert str(path) in message and "damaged or not a bayesreg file" in message


@pytest.mark.parametrize("target", ATTACKS)
def test_map_path_file_naming_code_loads_without_it(tmp_path, saved, target, evil_module):
    sentinel = tmp_path / "sentinel"
    if target == "module":
        target, sentinel = evil_module

    def edit(header):
        header["result"]["model"] = target
        header["result"]["args"] = {"__type__": "tuple", "items": [_code_for(target, sentinel)]}

    path = tmp_path / "evil.npz"
    _rewrite_header(saved["paths"]["path"], path, _edit_json(edit))
    with pytest.warns(UserWarning, match="not re-imported.*model=None.*register_model"):
        grid = load_map_path(path)
    assert grid.model is None and grid[0].model is None
    assert not sentinel.exists()


# ---------------------------------------------------------------------------------------------
# save / load of any kind, through the registry of result types

SAME = {
    "map": assert_same_map,
    "path": assert_same_path,
    "posterior": assert_same_posterior,
    "estimator": lambda a, b: assert_same(a.get_params(), b.get_params(), "params"),
}


@pytest.mark.parametrize("kind", KINDS)
def test_generic_save_and_load_take_every_kind(tmp_path, saved, kind):
    obj = saved["objects"][kind]
    brio.save(obj, tmp_path / "file")
    loaded = brio.load(tmp_path / "file")
    assert type(loaded) is type(obj)
    SAME[kind](obj, loaded)
    SAME[kind](LOADERS[kind](saved["paths"][kind]), brio.load(saved["paths"][kind]))


def test_generic_save_and_load_refuse_what_they_do_not_know(tmp_path, saved):
    with pytest.raises(TypeError, match="cannot save an object of type dict.*bayesreg.MapResult"):
        brio.save({"a": 1}, tmp_path / "file")
    np.savez(tmp_path / "plain.npz", a=np.arange(3))
    (tmp_path / "garbage").write_bytes(b"garbage")
    for name in ("plain.npz", "garbage"):
        with pytest.raises(ValueError, match="not a readable bayesreg file"):
            brio.load(tmp_path / name)
    with pytest.raises(FileNotFoundError, match="no such file"):
        brio.load(tmp_path / "missing")
    with pytest.warns(UserWarning, match="not re-imported"):  # options go to the loader
        brio.save(dataclasses.replace(saved["objects"]["map"], model=user_model), tmp_path / "fit")
        assert brio.load(tmp_path / "fit").model is None
    assert brio.load(tmp_path / "fit", model=user_model).model is user_model


FRESH_LOAD = textwrap.dedent(
    """
    import sys
    import bayesreg.io as brio

    assert "bayesreg.sklearn" not in sys.modules and "sklearn" not in sys.modules
    est = brio.load_estimator(sys.argv[1])
    print(type(est).__module__.startswith("bayesreg.sklearn"), type(est).__name__)
    print(est.map_.model.__name__)
    """
)


def test_io_imports_no_estimator_and_loads_one_in_a_fresh_process(saved):
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    out = subprocess.run(
        [sys.executable, "-c", FRESH_LOAD, str(saved["paths"]["estimator"])],
        capture_output=True, text=True, env=env, check=True, timeout=300,
    )  # fmt: skip
    assert out.stdout.split() == ["True", "BayesianLinearRegression", "linear"]
    with zipfile.ZipFile(saved["paths"]["estimator"]) as archive:
        header = json.loads(archive.read("header.json"))
    assert header["class"] == "bayesreg.sklearn:BayesianLinearRegression"  # the public name
    assert header["fitted"]["items"]["map_"]["model"] == "bayesreg.models:linear"


# ---------------------------------------------------------------------------------------------
# atomic, tidy saves: the old file survives a failed save, no temporary is left, umask honoured

BIG_SAVE = textwrap.dedent(
    """
    import dataclasses, sys
    import numpy as np
    import bayesreg.io as brio
    from bayesreg import map_estimate, map_path, models
    from bayesreg.sample import sample_posterior
    from bayesreg.sklearn import BayesianLinearRegression

    kind, path = sys.argv[1], sys.argv[2]
    gen = np.random.default_rng(0)
    X, y = gen.normal(size=(30, 3)), gen.normal(size=30)
    big = (np.ones((2_000_000, 25)), np.ones(2_000_000))  # 400 MB: a save takes a while
    if kind == "posterior":
        post = sample_posterior(models.linear, X, y, prior=models.gaussian(1.0), num_samples=20)
        # PosteriorResult: a NamedTuple (or a dataclass)
        obj = post._replace(args=big) if hasattr(post, "_replace") else dataclasses.replace(
            post, args=big
        )
    elif kind == "path":
        grid = map_path(models.linear, X, y, path={"prior": [models.laplace(1.0)]})
        obj = dataclasses.replace(grid, args=big)
    else:
        fit = map_estimate(models.linear, X, y, prior=models.laplace(1.0))
        obj = dataclasses.replace(fit, args=big)
        if kind == "estimator":
            est = BayesianLinearRegression().fit(X, y)
            est.map_ = obj
            obj = est
    print("saving", flush=True)
    {"map": brio.save_map, "posterior": brio.save_posterior,
     "estimator": brio.save_estimator, "path": brio.save_map_path}[kind](obj, path)
    print("saved", flush=True)
    """
)


def _bytes_written(pid):
    with open(f"/proc/{pid}/io") as handle:
        fields = dict(line.split(": ") for line in handle.read().splitlines())
    return int(fields["wchar"])


@pytest.mark.skipif(not os.path.exists(f"/proc/{os.getpid()}/io"), reason="needs Linux /proc")
@pytest.mark.parametrize("kind", KINDS)
def test_sigkill_during_save_keeps_the_old_file_and_leaves_nothing(tmp_path, saved, kind):
    try:
        os.close(os.open(tmp_path, os.O_TMPFILE | os.O_WRONLY, 0o600))
    except (AttributeError, OSError):
        pytest.skip("no O_TMPFILE here: the named fallback leaves its temporary (documented)")
    path = tmp_path / "result"
    path.write_bytes(saved["paths"][kind].read_bytes())
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    child = subprocess.Popen(
        [sys.executable, "-c", BIG_SAVE, kind, str(path)], stdout=subprocess.PIPE, env=env
    )
    try:
        assert child.stdout.readline() == b"saving\n"
        start = _bytes_written(child.pid)
        deadline = time.monotonic() + 60
        while _bytes_written(child.pid) - start < 50 * 2**20:  # 50 MB of 400 written
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert child.stdout.read() == b""  # killed mid-write, not after
    finally:
        child.kill()
        child.wait()
        child.stdout.close()
    assert os.listdir(tmp_path) == ["result"]
    assert path.read_bytes() == saved["paths"][kind].read_bytes()
    LOADERS[kind](path)  # the old file, whole and loadable


@pytest.mark.parametrize("kind", KINDS)
def test_save_failing_mid_write_keeps_the_old_file_and_leaves_nothing(
    tmp_path, saved, kind, monkeypatch
):
    path = tmp_path / "result"
    path.write_bytes(b"old")
    calls = []

    def fail(write):
        def wrapper(*args, **kwargs):
            calls.append(1)
            if len(calls) == 2:  # after part of the file is written
                raise OSError("disk full")
            return write(*args, **kwargs)

        return wrapper

    if kind == "posterior":
        monkeypatch.setattr(xr.Dataset, "to_netcdf", fail(xr.Dataset.to_netcdf))
    else:
        monkeypatch.setattr(np.lib.format, "write_array", fail(np.lib.format.write_array))
    with pytest.raises(OSError, match="disk full"):
        SAVERS[kind](saved["objects"][kind], path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["result"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_saved_file_mode_follows_the_umask(tmp_path, saved, kind, umask):
    previous = os.umask(umask)
    try:
        SAVERS[kind](saved["objects"][kind], tmp_path / "result")
        SAVERS[kind](saved["objects"][kind], tmp_path / "result")  # replacing, too
    finally:
        os.umask(previous)
    assert os.stat(tmp_path / "result").st_mode & 0o777 == 0o666 & ~umask
    assert os.listdir(tmp_path) == ["result"]


def test_posterior_file_of_the_previous_writer_still_loads(tmp_path, saved):
    """Files written before (InferenceData.to_netcdf: zlib-compressed variables) load alike."""
    post = saved["objects"]["posterior"]
    buffer = stdlib_io.BytesIO()
    write_posterior(post, buffer)  # the header and arrays as they are written
    new = tmp_path / "new.nc"
    new.write_bytes(buffer.getvalue())
    attrs, groups = read_netcdf(str(new))
    old = tmp_path / "old.nc"
    arrays = groups.pop("bayesreg_arrays")
    az.InferenceData(attrs=attrs, **groups).to_netcdf(old)  # compress=True, as before
    arrays.to_netcdf(old, mode="a", group="bayesreg_arrays", engine="h5netcdf")
    assert_same_posterior(post, load_posterior(old))
