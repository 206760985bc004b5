"""place: loopback as the place a demo runs (the lab, the other place, has its own tests:
tests/capture/test_lab.py)."""

from __future__ import annotations

from wirelens.demos.place import Loopback, Place


def test_loopback_is_one_host_on_lo() -> None:
    place: Place = Loopback("::1")
    assert (place.name, place.interface) == ("loopback", "lo")
    assert place.client_address == place.server_address == "::1"


def test_loopback_filters_the_demos_port_only() -> None:
    # no ARP or neighbour discovery happens on loopback, so nothing else is captured
    assert Loopback().capture_filter(8080) == "tcp port 8080"


def test_entering_a_side_on_loopback_changes_nothing() -> None:
    with Loopback().enter("server") as entered:
        assert entered is None
