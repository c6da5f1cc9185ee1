"""pytest: the generated Python bindings (gen/network.py) on the hand-written wire fixtures
(conformance/fixtures/wire/) and on the typed union API; runs without Node (the full vector set
is covered by roundtrip.py through conformance/polyglot.sh)."""
import json
import os
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # gen/ is owned by the generator: leave no __pycache__ there
sys.path.insert(0, os.path.join(HERE, "gen"))
FIXTURES = os.path.join(HERE, "..", "fixtures", "wire")

import network  # noqa: E402


def _load(kind):
    d = os.path.join(FIXTURES, kind)
    return [(n[:-5], json.load(open(os.path.join(d, n), encoding="utf-8"))) for n in sorted(os.listdir(d)) if n.endswith(".json")]


@pytest.mark.parametrize("name,doc", _load("valid"))
def test_valid_fixture_round_trips(name, doc):
    out = network.to_dict(network.from_dict(doc))
    assert json.dumps(out, sort_keys=True) == json.dumps(doc, sort_keys=True)


@pytest.mark.parametrize("name,doc", _load("invalid"))
def test_invalid_fixture_is_rejected(name, doc):
    with pytest.raises(network.ValidationError):
        network.from_dict(doc)


def test_destination_is_a_tagged_union():
    rule = network.Rule.from_dict({"direction": "egress", "destination": {"cidr": "10.0.0.0/8"}, "action": "allow"})
    assert rule.destination == network.Destination("cidr", "10.0.0.0/8")
    assert network.Destination("any").to_dict() == "any"
    assert network.Destination("group", network.DestinationGroup("link_local")).to_dict() == {"group": "link_local"}


def test_explicit_defaults_are_kept_and_absent_ones_stay_absent():
    cfg = network.from_dict({"policy": {"rules": []}, "dns": {}})
    assert network.to_dict(cfg) == {"policy": {"rules": []}, "dns": {}}
    assert cfg.policy.default_egress is None


def test_errors_name_the_json_path():
    with pytest.raises(network.ValidationError, match=r"^\$\.ports\[1\]\.guest_port: 70000 is outside"):
        network.from_dict({"ports": [{"host_port": 1, "guest_port": 2}, {"host_port": 1, "guest_port": 70000}]})
