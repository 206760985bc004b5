"""The numbers the wire itself defines, in one place: TCP flag bits, EtherTypes, IP protocol
numbers and link-layer header types. Every reader (the dissector, the header walks, the
wire's rules, the state machine) takes them from here, so a number is written once."""

from __future__ import annotations

# TCP flag bits: the low byte of the flags field (RFC 9293 3.1; ECE and CWR RFC 3168).
FIN, SYN, RST, PSH, ACK, URG, ECE, CWR = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80

# EtherTypes (IEEE 802; https://www.iana.org/assignments/ieee-802-numbers).
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_ARP = 0x0806
ETHERTYPE_VLAN = 0x8100  # 802.1Q customer tag
ETHERTYPE_IPV6 = 0x86DD
ETHERTYPE_MPLS = 0x8847  # MPLS unicast
ETHERTYPE_PPPOE = 0x8864  # PPPoE session stage
ETHERTYPE_SERVICE_TAG = 0x88A8  # 802.1ad service tag
VLAN_TAGS = (ETHERTYPE_VLAN, ETHERTYPE_SERVICE_TAG)
# What a PPP protocol number carries (RFC 1661 / IANA PPP DLL protocol numbers).
PPP_PROTOCOLS = {0x0021: ETHERTYPE_IPV4, 0x0057: ETHERTYPE_IPV6}
# What an MPLS bottom label carries, by the labelled packet's first nibble (RFC 3032 has
# no type field: the version nibble tells, as Wireshark guesses).
MPLS_PAYLOAD = {4: ETHERTYPE_IPV4, 6: ETHERTYPE_IPV6}

# IP protocol numbers (IANA "Assigned Internet Protocol Numbers").
PROTO_ICMP = 1
PROTO_IPIP = 4  # IPv4 in IP (RFC 2003)
PROTO_TCP = 6
PROTO_UDP = 17
PROTO_IPV6 = 41  # IPv6 in IP (RFC 2473)
PROTO_IPV6_FRAGMENT = 44
PROTO_AH = 51  # RFC 4302 authentication header
PROTO_ICMPV6 = 58
# IP in IP: Wireshark reads the inner packet, so its TCP is the segment.
IP_IN_IP = {PROTO_IPIP: ETHERTYPE_IPV4, PROTO_IPV6: ETHERTYPE_IPV6}

# Link-layer header types (https://www.tcpdump.org/linktypes.html) that we dissect.
LINKTYPE_NULL = 0  # BSD loopback: 4-byte address family in host byte order
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101  # raw IPv4/IPv6, no link header
LINKTYPE_LOOP = 108  # OpenBSD loopback: address family in network byte order
LINKTYPE_LINUX_SLL = 113  # Linux "cooked" capture v1
LINKTYPE_LINUX_SLL2 = 276  # Linux "cooked" capture v2
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
# Not a link type: a pcapng Custom Block (a tool's private data), which Wireshark lists
# as a frame of its own, so that frame numbers stay Wireshark's.
LINKTYPE_PCAPNG_BLOCK = -1

# The link types wirelens dissects, and the first layer each begins with (explain.dissect).
LINK_TYPES: dict[int, str] = {
    LINKTYPE_NULL: "null",
    LINKTYPE_ETHERNET: "ethernet",
    LINKTYPE_RAW: "raw",
    # DLT_RAW's own numbers, written by some libpcaps (12; 14 on OpenBSD): Wireshark reads
    # them as raw IP too (pcapplusplus-four_ipv6_http_streams.pcap)
    12: "raw",
    14: "raw",
    LINKTYPE_LOOP: "loop",
    LINKTYPE_LINUX_SLL: "sll",
    LINKTYPE_LINUX_SLL2: "sll2",
    LINKTYPE_IPV4: "raw4",
    LINKTYPE_IPV6: "raw6",
}
