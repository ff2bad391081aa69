"""TURN credentials by the TURN REST scheme, minted with an injected clock."""

from __future__ import annotations

import pytest

from coupdemain.config import Settings
from coupdemain.protocol import messages as m
from coupdemain.protocol.enums import IcePolicy, Role
from coupdemain.server.turn import IceServers, turn_credentials

# Computed apart from the code under test:
#   echo -n "1700043200:s1-agent" | openssl dgst -sha1 -hmac test-secret -binary | base64
AGENT_PASSWORD = "ES4Mi8OUo54UkO+7JX5rg4G2tKg="
VIEWER_PASSWORD = "Kpx5N8261+FSsjmj8yRtlDIfURU="


def test_the_password_is_the_base64_hmac_sha1_of_the_username() -> None:
    assert turn_credentials(b"test-secret", "s1-agent", 1700043200) == (
        "1700043200:s1-agent", AGENT_PASSWORD)


def test_each_side_gets_credentials_that_expire_ttl_seconds_from_now() -> None:
    now = [1700000000.7]
    ice = IceServers(("turn:127.0.0.1:3478?transport=udp",), b"test-secret", 43200,
                     IcePolicy.RELAY, clock=lambda: now[0])
    assert ice.config("s1", Role.AGENT) == m.RtcConfig(
        [{"urls": ["turn:127.0.0.1:3478?transport=udp"], "username": "1700043200:s1-agent",
          "credential": AGENT_PASSWORD}], IcePolicy.RELAY)
    assert ice.config("s1", Role.VIEWER).ice_servers[0]["credential"] == VIEWER_PASSWORD
    now[0] += 60
    later = ice.config("s1", Role.AGENT).ice_servers[0]
    assert later["username"] == "1700043260:s1-agent"
    assert later["credential"] != AGENT_PASSWORD


def test_without_a_turn_server_the_browsers_get_no_ice_server() -> None:
    assert IceServers.from_settings(Settings()).config("s1", Role.AGENT) == m.RtcConfig(
        [], IcePolicy.ALL)


def test_settings_are_read_and_several_urls_split() -> None:
    ice = IceServers.from_settings(Settings(
        turn_url="turn:turn.example.org:3478, turns:turn.example.org:5349?transport=tcp",
        turn_secret="s", turn_ttl_seconds=600, ice_transport_policy="relay"))
    assert ice.urls == ("turn:turn.example.org:3478", "turns:turn.example.org:5349?transport=tcp")
    assert (ice.secret, ice.ttl_seconds, ice.policy) == (b"s", 600, IcePolicy.RELAY)


@pytest.mark.parametrize(("changes", "sentence"), [
    ({"turn_url": "turn:t:3478"},
     "--turn-url needs --turn-secret, the static-auth-secret of coturn."),
    ({"turn_url": "http://t", "turn_secret": "s"},
     "--turn-url 'http://t' must start with turn:, turns: or stun:, "
     "like turn:turn.example.org:3478"),
    ({"ice_transport_policy": "direct"},
     "--ice-transport-policy must be all or relay, not 'direct'."),
    ({"ice_transport_policy": "relay"},
     "--ice-transport-policy relay needs a TURN server (--turn-url)."),
    ({"turn_url": "turn:t", "turn_secret": "s", "turn_ttl_seconds": 0},
     "--turn-ttl-seconds must be a positive number of seconds."),
])
def test_settings_that_do_not_fit_are_named(changes: dict[str, object], sentence: str) -> None:
    with pytest.raises(ValueError) as caught:
        IceServers.from_settings(Settings().replace(**changes))
    assert str(caught.value) == sentence
