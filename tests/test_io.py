"""Save / load: lossless round trips, newer format versions, damaged and foreign files."""

import doctest
import io as stdlib_io
import json
import math
import os
import zipfile

import arviz as az
import jax
import numpy as np
import numpyro.distributions as dist
import pandas as pd
import pytest

import bayesreg.io as brio
from bayesreg import map_estimate, models
from bayesreg.io import (
    load_estimator,
    load_map,
    load_posterior,
    save_estimator,
    save_map,
    save_posterior,
)
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
    elif isinstance(a, brio.MapResult):
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
    monkeypatch.setattr(brio, "_REGISTERED_MODELS", {})
    monkeypatch.setattr(brio, "_REGISTERED_DISTRIBUTIONS", {})


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
            models.linear, X, y, prior=models.elastic_net(0.5, 2.0), dtype="float32", tol=1e-4
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
        fit = map_estimate(models.linear, X, y, prior=models.gaussian(scales), intercept=False)
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
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.3))
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
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.3))
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
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.3))
    odd = brio.MapResult(**{**vars(fit), "kwargs": {**fit.kwargs, "extra": object()}})
    with pytest.raises(TypeError, match=r"fit.kwargs\['extra'\].*object"):
        save_map(odd, tmp_path / "fit.npz")
    mixed = brio.MapResult(**{**vars(fit), "kwargs": {"names": np.array(["a", 1], dtype=object)}})
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
    post = sample_posterior(models.linear, X, y, prior=models.gaussian(1.0), num_samples=50)
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
    fit = map_estimate(models.linear, X, y, prior=models.laplace(0.3))
    post = sample_posterior(models.linear, X, y, prior=models.gaussian(1.0), num_samples=50)
    est = BayesianLinearRegression(prior="laplace", alpha=0.05).fit(X, y)
    paths = {"map": folder / "fit.npz", "posterior": folder / "post.nc", "estimator": folder / "e"}
    save_map(fit, paths["map"])
    save_posterior(post, paths["posterior"])
    save_estimator(est, paths["estimator"])
    return {"objects": {"map": fit, "posterior": post, "estimator": est}, "paths": paths}


SAVERS = {"map": save_map, "posterior": save_posterior, "estimator": save_estimator}
LOADERS = {"map": load_map, "posterior": load_posterior, "estimator": load_estimator}
KINDS = list(LOADERS)


@pytest.mark.parametrize("kind", KINDS)
def test_newer_format_version_is_refused_with_upgrade_hint(tmp_path, saved, kind, monkeypatch):
    path = tmp_path / "newer"
    monkeypatch.setattr(brio, "FORMAT_VERSION", brio.FORMAT_VERSION + 1)
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


@pytest.mark.parametrize("kind", ["map", "estimator"])
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
        (lambda c: c.replace(b'"result"', b'"resultat"'), "result = 'missing'"),
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
    result = doctest.testmod(brio, raise_on_error=False, report=True)
    assert result.attempted >= 9
    assert result.failed == 0
