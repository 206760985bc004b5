"""Address arithmetic the explanations show: masks ANDed bit by bit, MAC bits, notation.

The course notes decide "same subnet?" by ANDing both addresses with the mask and
comparing; these helpers produce that arithmetic as text, in the notes' own form
(dotted binary for IPv4), so the explanation can show its working.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

Address = IPv4Address | IPv6Address


def dotted_binary(address: IPv4Address) -> str:
    """``10.199.0.1`` -> ``00001010.11000111.00000000.00000001``."""
    return ".".join(f"{byte:08b}" for byte in address.packed)


def masked(address: Address, prefix_len: int) -> Address:
    """The network part: the address ANDed with a mask of ``prefix_len`` ones."""
    bits = address.max_prefixlen
    mask = ((1 << prefix_len) - 1) << (bits - prefix_len)
    return type(address)(int(address) & mask)


def mask_of(version: int, prefix_len: int) -> Address:
    bits = 32 if version == 4 else 128
    value = ((1 << prefix_len) - 1) << (bits - prefix_len)
    return IPv4Address(value) if version == 4 else IPv6Address(value)


def common_prefix(a: Address, b: Address) -> int:
    """How many leading bits two addresses of one version share."""
    bits = a.max_prefixlen
    differ = int(a) ^ int(b)
    return bits - differ.bit_length()


@dataclass(frozen=True, slots=True)
class SubnetTest:
    """Two addresses ANDed with one mask, as the notes do it by hand."""

    sender: str
    target: str
    mask: str  # 255.255.255.0, or ffff:ffff:ffff:ffff:: for IPv6
    prefix_len: int
    sender_net: str
    target_net: str
    working: str  # the AND in bits (IPv4) or hex (IPv6), one line per address

    @property
    def same(self) -> bool:
        return self.sender_net == self.target_net


def subnet_test(sender: str, target: str, network: str) -> SubnetTest:
    a, b = ip_address(sender), ip_address(target)
    prefix_len = ip_network(network, strict=False).prefixlen
    mask = mask_of(a.version, prefix_len)
    net_a, net_b = masked(a, prefix_len), masked(b, prefix_len)
    if isinstance(a, IPv4Address) and isinstance(b, IPv4Address) \
            and isinstance(mask, IPv4Address):
        lines = [f"{dotted_binary(x)} AND {dotted_binary(mask)} = "
                 f"{dotted_binary(IPv4Address(int(n)))} ({n})"
                 for x, n in ((a, net_a), (b, net_b))]
    else:
        lines = [f"{x.exploded} AND {mask.exploded} = {IPv6Address(int(n)).exploded} ({n})"
                 for x, n in ((a, net_a), (b, net_b))]
    return SubnetTest(str(a), str(b), str(mask), prefix_len, str(net_a), str(net_b),
                      "\n".join(lines))


@dataclass(frozen=True, slots=True)
class MacBits:
    """The two flag bits of a MAC address's first byte (IEEE 802)."""

    oui: str  # first three bytes, "02:77:6c"
    first: int  # the first byte
    group: bool  # I/G, bit 0: set = a group (multicast/broadcast) address
    local: bool  # U/L, bit 1: set = locally administered (chosen by software)

    @property
    def first_bits(self) -> str:
        return f"{self.first:08b}"


def mac_bits(mac: str) -> MacBits:
    first = int(mac[:2], 16)
    return MacBits(mac[:8], first, bool(first & 0x01), bool(first & 0x02))


def solicited_node(address: str) -> str:
    """IPv6's solicited-node group of an address: ff02::1:ff plus its last 24 bits."""
    low = int(IPv6Address(address)) & 0xFFFFFF
    return str(IPv6Address((0xFF02 << 112) | (1 << 32) | (0xFF << 24) | low))


def multicast_mac(group: str) -> str:
    """The Ethernet address an IPv6 multicast group maps to: 33:33 and its last 4 bytes."""
    low = IPv6Address(group).packed[-4:]
    return "33:33:" + ":".join(f"{b:02x}" for b in low)
