"""ARP and IPv6 neighbour discovery in an explanation: how one host finds the other's MAC.

Before the first SYN can leave, the client needs the server's MAC address: IPv4 asks with
an ARP request to everyone (broadcast) and the owner of the address answers; IPv6 sends
a neighbour solicitation to a multicast group and gets a neighbour advertisement back.
These packets are not TCP, so the conversation tracker never sees them. This module tells,
for each of them, which host sent it (by its IP address, or by its MAC for messages sent
from a link-local address), what it is for, the field texts that need the capture's
context, and where the course notes speak of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ipaddress import ip_address, ip_network
from types import MappingProxyType
from typing import Any

from wirelens.explain import notes
from wirelens.explain.addresses import solicited_node
from wirelens.explain.dissect import Dissection
from wirelens.explain.fields import FieldValue
from wirelens.explain.layers import icmpv6
from wirelens.explain.model import NoteCheck
from wirelens.explain.text import Message, msg

Side = tuple[str, int]  # ("client" or "server", the TCP conversation between the two hosts)
ARP_REQUEST, ARP_REPLY = 1, 2


def _frozen(table: Mapping[str, Side]) -> Mapping[str, Side]:
    return MappingProxyType(dict(table))


@dataclass(frozen=True, slots=True)
class LinkContext:
    """What the TCP conversations (or the first question asked) say about the two hosts."""

    by_ip: Mapping[str, Side] = field(default_factory=lambda: _frozen({}))
    by_mac: Mapping[str, Side] = field(default_factory=lambda: _frozen({}))
    subnets: tuple[str, ...] = ()  # networks the hosts are known to be on ("10.199.0.0/24")

    def network_of(self, address: str) -> str | None:
        """The known subnet an address sits on, or None when the capture alone must do."""
        try:
            host = ip_address(address)
        except ValueError:
            return None
        for net in self.subnets:
            network = ip_network(net, strict=False)
            if network.version == host.version and host in network:
                return str(network)
        return None

    def endpoints(self) -> tuple[str, str]:
        """The client's and the server's address, when only neighbour packets name them."""
        by_side = {side: ip for ip, (side, _) in self.by_ip.items()}
        return by_side.get("client", ""), by_side.get("server", "")


NO_HOSTS = LinkContext()  # nothing known about the hosts


def is_neighbour(d: Dissection) -> bool:
    return "arp" in d.protocols or "icmpv6" in d.protocols


def question(d: Dissection) -> tuple[str, str] | None:
    """(asker's address, address asked about) of an ARP request or a neighbour solicitation."""
    f = d.facts
    if f.get("arp_op") == ARP_REQUEST:
        return f["src"], f["dst"]
    if f.get("icmp6_type") == icmpv6.NS and "nd_target" in f and f.get("src") != "::":
        return f["src"], f["nd_target"]
    return None


def context(seen: Iterable[tuple[Dissection, str, int]],
            subnets: Sequence[str] = ()) -> LinkContext:
    """From (dissection, TCP sender or "", conversation) for every frame, in capture order."""
    frames = list(seen)
    by_ip: dict[str, Side] = {}
    by_mac: dict[str, Side] = {}
    for d, side, conversation in frames:
        if side:
            by_ip.setdefault(d.facts["src"], (side, conversation))
            if "eth.src" in d.facts:
                by_mac.setdefault(d.facts["eth.src"], (side, conversation))
    if not by_ip:  # no TCP at all: the first asker is the client, the host asked the server
        for d, _, _ in frames:
            asked = question(d)
            if asked is not None:
                by_ip = {asked[0]: ("client", 0), asked[1]: ("server", 0)}
                if "eth.src" in d.facts:
                    by_mac[d.facts["eth.src"]] = ("client", 0)
                break
    return LinkContext(_frozen(by_ip), _frozen(by_mac), tuple(subnets))


def sender_of(d: Dissection, ctx: LinkContext) -> Side:
    """Which host sent a neighbour packet: by its IP address, else by its source MAC."""
    found = ctx.by_ip.get(d.facts.get("src", ""))
    if found is None:
        found = ctx.by_mac.get(d.facts.get("eth.src", ""))
    return found or ("", 0)


def role_text(d: Dissection) -> Message:
    f = d.facts
    if "arp_op" in f:
        if f["arp_op"] == ARP_REQUEST:
            return msg("neigh.role.arp_request", target=f["dst"], sender=f["src"])
        if f["arp_op"] == ARP_REPLY:
            return msg("neigh.role.arp_reply", sender=f["src"], mac=f["arp_src_mac"])
        return msg("neigh.role.arp_other", op=f["arp_op"])
    kind = f.get("icmp6_type", -1)
    variant = icmpv6.TYPE_VARIANTS.get(kind, "other")
    return msg(f"neigh.role.{variant}", type=kind, target=f.get("nd_target", "?"),
               mac=f.get("nd_target_linkaddr", f.get("nd_src_linkaddr", "?")),
               records=f.get("mld_records", "?"), group=f.get("mld_group", "?"))


def icmpv6_summary(d: Dissection) -> str:
    """The packet's line in tcpdump's notation."""
    f = d.facts
    kind = f["icmp6_type"]
    parts = [f"IP6 {f['src']} > {f['dst']}: ICMP6, "
             f"{icmpv6.TCPDUMP_NAMES.get(kind, f'type {kind}')}"]
    if kind == icmpv6.NS and "nd_target" in f:
        parts.append(f"who has {f['nd_target']}")
    elif kind == icmpv6.NA and "nd_target" in f:
        parts.append(f"tgt is {f['nd_target']}")
    elif kind == icmpv6.MLD2_REPORT and "mld_records" in f:
        parts.append(f"{f['mld_records']} group record(s)")
    parts.append(f"length {f['icmp6_length']}")
    return ", ".join(parts)


# ---------------------------------------------------------------- field texts

ARP_FIELDS = ("arp.opcode", "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac",
              "arp.dst.proto_ipv4")
SOLICITED_PREFIX = "ff02::1:ff"


def _is_nd(d: Dissection) -> bool:
    return d.facts.get("icmp6_type") in icmpv6.ND_TYPES


def field_text(fv: FieldValue, d: Dissection, ctx: LinkContext) -> Message | None:
    """The meaning of a field of a neighbour packet that depends on the packet's context;
    None when the field's own catalog text says it all."""
    f = d.facts
    params: dict[str, Any] = dict(fv.params)
    if fv.name in ARP_FIELDS and f.get("arp_op") in (ARP_REQUEST, ARP_REPLY):
        kind = "request" if f["arp_op"] == ARP_REQUEST else "reply"
        return msg(f"neigh.{fv.name}.{kind}", sender=f["src"], target=f["dst"],
                   mac=f["arp_src_mac"], **params)
    if not _is_nd(d):
        return None
    target = f.get("nd_target", "?")
    dst = f.get("dst", "")
    if fv.name == "eth.dst" and fv.display.startswith("33:33:") \
            and dst.startswith(SOLICITED_PREFIX):
        return msg("neigh.eth.dst_solicited", group=dst, target=target, **params)
    if fv.name == "ipv6.dst" and dst.startswith(SOLICITED_PREFIX) and target != "?" \
            and solicited_node(target) == dst:
        return msg("neigh.ipv6.dst_solicited", target=target, **params)
    if fv.name == "ipv6.hlim":
        return msg("neigh.ipv6.hlim", **params)
    return None


# ---------------------------------------------------------------- the notes


def field_note(fv: FieldValue, d: Dissection, ctx: LinkContext) -> NoteCheck | None:
    """Where the course notes speak of a field of a neighbour packet, the check."""
    f = d.facts
    asked = question(d)
    name = fv.name
    if asked is not None and name in ("arp.dst.proto_ipv4", "icmpv6.nd.ns.target_address"):
        sender, target = asked
        if ip_address(sender).is_link_local != ip_address(target).is_link_local:
            return None  # a link-local asker for a global target: no one subnet to test
        return notes.arp_subnet(sender, target, ctx.network_of(sender))
    if asked is not None and name == "eth.dst":
        group = None if "arp_op" in f else f.get("dst")
        return notes.arp_broadcast(fv.display, asked[1], group)
    if name == "arp.src.hw_mac" and f.get("arp_op") == ARP_REPLY:
        return notes.mac_oui(fv.display)
    if name == "icmpv6.opt.target_linkaddr" and f.get("icmp6_type") == icmpv6.NA:
        return notes.mac_oui(fv.display)
    return None
