"""A prior scale with a hyperprior (`RandomScale`) survives save / load; a file cannot run code."""

import numpy as np
import numpyro.distributions as dist
import pytest

import bayesreg as br
from bayesreg.io.codec import Decoder, Encoder
from bayesreg.io.prior_nodes import decode_random_scale
from bayesreg.io.schema import SchemaError


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    return X, X @ np.array([1.0, 0.0, 2.0]) + rng.normal(size=40)


@pytest.mark.filterwarnings("ignore::bayesreg.SamplingWarning")  # short chains: a file test
def test_posterior_with_a_hyperprior_round_trips(tmp_path, data):
    X, y = data
    prior = br.models.laplace(dist.HalfCauchy(2.0), name="scale")
    post = br.sample_posterior(
        br.models.linear, X, y, prior=prior, sigma=1.0, num_samples=100, num_warmup=100,
        num_chains=2, seed=0,
    )  # fmt: skip
    path = tmp_path / "post.nc"
    br.io.save_posterior(post, path)
    loaded = br.io.load_posterior(path)
    again = loaded.kwargs["prior"]
    assert isinstance(again, br.priors.RandomScale)
    assert again.kind is br.priors.get("laplace") and again.names == {"l1_scale": "scale"}
    assert float(again.scales["l1_scale"].scale) == 2.0
    np.testing.assert_array_equal(loaded.samples["scale"], post.samples["scale"])


def test_a_mixed_elastic_net_node_round_trips():
    prior = br.models.elastic_net(dist.Gamma(2.0, 1.0), 3.0)
    encoder = Encoder()
    node = encoder.encode(prior, "prior")
    again = Decoder(encoder.arrays).decode(node, "prior")
    assert again.names == {"l1_scale": "b"} and float(again.scales["l2_scale"]) == 3.0
    assert isinstance(again.scales["l1_scale"], dist.Gamma)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"kind": "os.system"}, "kind"),
        ({"scales": {}}, "scales"),
        ({"names": {"l1_scale": 3}}, "names"),
        ({"names": {"l1_scale": "not an identifier"}}, "valid prior"),
    ],
)
def test_a_tampered_node_is_refused(change, match):
    encoder = Encoder()
    node = {**encoder.encode(br.models.laplace(dist.HalfCauchy(1.0)), "prior"), **change}
    with pytest.raises(SchemaError, match=match):
        decode_random_scale(Decoder(encoder.arrays), node, "prior")
