"""The course notes' claims this tool checks captures against, and the checks.

Each claim is cited by the notes' file and section heading (``REFS``) and said in our
own words in the catalogs (``note.<topic>.claim``). A check looks at what was captured
and returns a ``NoteCheck``: what the notes claim, what the wire showed, and a verdict
with its reason. The known places where notes and wire differ are listed in the notes'
README; every one that a capture can show has a check here.
"""

from __future__ import annotations

import ipaddress

from wirelens.explain.addresses import common_prefix, mac_bits, subnet_test
from wirelens.explain.conversation import SegmentStory
from wirelens.explain.conversation_summary import ConversationSummary
from wirelens.explain.model import NoteCheck, NoteRef, Verdict
from wirelens.explain.tcp_state import State
from wirelens.explain.text import msg

N000 = "000_63acb3c6e91957be.txt"
N001 = "001_29022acc895f3c90.txt"
N002 = "002_8cd106381c3d3028.txt"
N003 = "003_785fe35dedd108a1.txt"
N004 = "004_8682b0af339deb57.txt"

REFS: dict[str, NoteRef] = {
    "eth_header": NoteRef(N004, "【2】数据链路层 › [1]以太网协议"),
    "frame_size": NoteRef(N004, "【2】数据链路层 › [1]以太网协议"),
    "mac_address": NoteRef(N004, "【2】数据链路层 › [2]mac地址"),
    "ipv4_address": NoteRef(N004, "【3】网络层 › [1]IP协议"),
    "ipv6_address": NoteRef(N000, "网络协议"),
    "ip_header": NoteRef(N004, "【3】网络层 › [4]ip数据包"),
    "handshake_syn": NoteRef(N000, "三次握手"),
    "handshake_syn_ack": NoteRef(N000, "三次握手"),
    "handshake_ack": NoteRef(N000, "三次握手"),
    "ack_flag": NoteRef(N000, "三次握手"),
    "close": NoteRef(N000, "四次握手"),
    "close_first": NoteRef(N000, "四次握手"),
    "time_wait": NoteRef(N002, "端口复用"),
    "client_port": NoteRef(N001, "端口号"),
    "checksum": NoteRef(N001, "TCP协议"),
    "recv_empty": NoteRef(N002, "开发注意事项"),
    "accept": NoteRef(N002, "TCP服务端程序开发(重点)"),
    "listen": NoteRef(N002, "TCP服务端程序开发(重点)"),
    # the scenario library (demos/scenarios)
    "refused": NoteRef(N000, "如何创建服务端"),
    "rebind": NoteRef(N002, "端口复用"),
    "udp_header": NoteRef(N004, "【4】传输层 › [2]udp协议"),
    "udp_unreliable": NoteRef(N001, "UDP协议"),
    "chat_quit": NoteRef(N003, "TCP"),
    "dns": NoteRef(N004, "【4】DNS解析"),
    "arp_subnet": NoteRef(N004, "【3】网络层 › [5]ARP协议"),
    "arp_broadcast": NoteRef(N004, "【3】网络层 › [5]ARP协议"),
    "mac_oui": NoteRef(N004, "【2】数据链路层 › [2]mac地址"),
    "ip_versions": NoteRef(N000, "网络协议"),
}

ETHERNET_MIN_CAPTURED = 60  # 64 on the wire less the 4-byte FCS the card adds and strips
ETHERNET_MAX_CAPTURED = 1514  # 1518 less the FCS
LINUX_EPHEMERAL = (32768, 60999)  # net.ipv4.ip_local_port_range's default


def check(topic: str, verdict: Verdict, observed_key: str, reason_key: str,
          **params: object) -> NoteCheck:
    return NoteCheck(
        topic=topic,
        ref=REFS[topic],
        claim=msg(f"note.{topic}.claim"),
        observed=msg(f"note.{topic}.{observed_key}", **params),
        verdict=verdict,
        reason=msg(f"note.{topic}.{reason_key}", **params),
    )


def eth_header(header_len: int) -> NoteCheck:
    return check("eth_header", Verdict.DIFFERS, "observed", "reason", length=header_len)


def frame_size(captured: int) -> NoteCheck:
    with_fcs = captured + 4
    if captured < ETHERNET_MIN_CAPTURED:
        return check("frame_size", Verdict.DIFFERS, "observed", "reason_short",
                     length=captured, padding=ETHERNET_MIN_CAPTURED - captured)
    if captured > ETHERNET_MAX_CAPTURED:
        return check("frame_size", Verdict.DIFFERS, "observed", "reason_long", length=captured)
    return check("frame_size", Verdict.AGREES, "observed", "reason_fits", length=captured,
                 with_fcs=with_fcs)


def mac_address(address: str, kind: str) -> NoteCheck:
    if kind == "zero":
        return check("mac_address", Verdict.NUANCE, "observed", "reason_zero", mac=address)
    if kind == "local":
        return check("mac_address", Verdict.NUANCE, "observed", "reason_local", mac=address,
                     oui=address[:8])
    if kind in ("broadcast", "multicast"):
        return check("mac_address", Verdict.AGREES, "observed", "reason_group", mac=address)
    return check("mac_address", Verdict.AGREES, "observed", "reason_global", mac=address,
                 oui=address[:8])


def ip_address(version: int, address: str) -> NoteCheck:
    topic = "ipv4_address" if version == 4 else "ipv6_address"
    return check(topic, Verdict.AGREES, "observed", "reason", address=address)


def ip_header(header_len: int) -> NoteCheck:
    verdict = Verdict.AGREES if 20 <= header_len <= 60 else Verdict.DIFFERS
    return check("ip_header", verdict, "observed", "reason", length=header_len)


def handshake(story: SegmentStory, seq: int, ack: int) -> NoteCheck | None:
    """The three-way handshake's numbers: X, then Y with X+1, then Y+1."""
    if story.role == "handshake-1":
        return check("handshake_syn", Verdict.AGREES, "observed", "reason", seq=seq)
    if story.role == "handshake-2" and story.receiver_isn is not None:
        x = story.receiver_isn
        ok = ack == (x + 1) % (1 << 32)
        return check("handshake_syn_ack", Verdict.AGREES if ok else Verdict.DIFFERS, "observed",
                     "reason" if ok else "reason_wrong", seq=seq, ack=ack, x=x)
    if story.role == "handshake-3" and story.receiver_isn is not None:
        y = story.receiver_isn
        ok = ack == (y + 1) % (1 << 32)
        return check("handshake_ack", Verdict.NUANCE if ok else Verdict.DIFFERS, "observed",
                     "reason" if ok else "reason_wrong", seq=seq, ack=ack, y=y)
    return None


def ack_flag(role: str) -> NoteCheck:
    return check("ack_flag", Verdict.NUANCE, "observed", "reason", role=msg(f"role.{role}"))


def close(summary: ConversationSummary) -> NoteCheck | None:
    if summary.close == "none":
        return None
    verdict = {
        "four-segment": Verdict.AGREES,
        "three-segment": Verdict.NUANCE,
        "simultaneous": Verdict.NUANCE,
        "half-open": Verdict.DIFFERS,
        "reset": Verdict.DIFFERS,
    }[summary.close]
    reason = "reason_" + summary.close.replace("-", "_")
    return check("close", verdict, "observed", reason, close=msg(f"conv.close.{summary.close}"))


def close_first(summary: ConversationSummary) -> NoteCheck | None:
    if not summary.closed_first:
        return None
    verdict = Verdict.AGREES if summary.closed_first == "client" else Verdict.NUANCE
    return check("close_first", verdict, "observed_" + summary.closed_first,
                 "reason_" + summary.closed_first)


def time_wait(summary: ConversationSummary) -> NoteCheck | None:
    """Only where the side that closed first is seen in TIME_WAIT at the end: a RST, or a
    close the other side never finished in the capture, leaves no TIME_WAIT to speak of."""
    if not summary.closed_first:
        return None
    first = summary.final_states[0 if summary.closed_first == "client" else 1]
    if first is not State.TIME_WAIT:
        return None
    if summary.closed_first == "server":
        return check("time_wait", Verdict.AGREES, "observed_server", "reason_server",
                     server=summary.server)
    return check("time_wait", Verdict.NUANCE, "observed_client", "reason_client",
                 client=summary.client, server=summary.server)


def client_port(port: int) -> NoteCheck:
    low, high = LINUX_EPHEMERAL
    if low <= port <= high:
        return check("client_port", Verdict.NUANCE, "observed", "reason_linux", port=port,
                     low=low, high=high)
    verdict = Verdict.AGREES if port >= 1024 else Verdict.DIFFERS
    return check("client_port", verdict, "observed", "reason_other", port=port)


def checksum(variant: str, loopback: bool) -> NoteCheck:
    if variant == "correct":
        return check("checksum", Verdict.AGREES, "observed_correct", "reason_correct")
    if loopback:
        return check("checksum", Verdict.NUANCE, "observed_wrong", "reason_offload")
    return check("checksum", Verdict.DIFFERS, "observed_wrong", "reason_wrong")


def recv_empty(packet: int) -> NoteCheck:
    return check("recv_empty", Verdict.AGREES, "observed", "reason", packet=packet)


def accept(packet: int) -> NoteCheck:
    return check("accept", Verdict.AGREES, "observed", "reason", packet=packet)


def listen(backlog: str, opened: int = 0, dropped: int = 0, again: int = 0) -> NoteCheck:
    """``opened``: connections the capture shows opening; ``dropped``/``again``: a SYN that
    got no answer while the accept queue was full, and the same SYN sent again."""
    if dropped:
        return check("listen", Verdict.DIFFERS, "observed", "reason_overflow", backlog=backlog,
                     opened=opened, dropped=dropped, again=again)
    return check("listen", Verdict.DIFFERS, "observed", "reason", backlog=backlog)


# ---------------------------------------------------------------- how hosts find each other


def arp_subnet(sender: str, target: str, network: str | None) -> NoteCheck:
    """An ARP request (or IPv6 neighbour solicitation) asks for the target's own MAC: the
    sender put the target on its own subnet. With the mask known (the lab knows its own)
    the AND is worked out as the notes do; without it, the shared leading bits are shown."""
    v6 = ":" in sender
    if network is None:
        common = common_prefix(ipaddress.ip_address(sender), ipaddress.ip_address(target))
        return check("arp_subnet", Verdict.NUANCE, "observed_unknown", "reason_unknown",
                     sender=sender, target=target, common=common)
    test = subnet_test(sender, target, network)
    params = dict(sender=sender, target=target, mask=test.mask, bits=test.prefix_len,
                  sender_net=test.sender_net, target_net=test.target_net, working=test.working)
    if test.same:
        return check("arp_subnet", Verdict.AGREES, "observed",
                     "reason_same_v6" if v6 else "reason_same", **params)
    return check("arp_subnet", Verdict.DIFFERS, "observed", "reason_other", **params)


def arp_broadcast(dst_mac: str, target: str, group: str | None) -> NoteCheck:
    """Where the question went: ARP broadcasts it; IPv6 sends it to a multicast group."""
    if group is None:
        return check("arp_broadcast", Verdict.AGREES, "observed_arp", "reason_arp",
                     mac=dst_mac, target=target)
    return check("arp_broadcast", Verdict.NUANCE, "observed_nd", "reason_nd", mac=dst_mac,
                 target=target, group=group)


def mac_oui(address: str) -> NoteCheck:
    """The notes: the first six hex digits are the maker's number. True only when the
    address's U/L bit is 0; the lab's MACs have it set (chosen by software)."""
    bits = mac_bits(address)
    params = dict(mac=address, oui=bits.oui, first=f"0x{bits.first:02x}",
                  first_bits=bits.first_bits, ig=int(bits.group), ul=int(bits.local))
    if address == "00:00:00:00:00:00":
        return check("mac_oui", Verdict.NUANCE, "observed", "reason_zero", **params)
    if bits.group:
        return check("mac_oui", Verdict.NUANCE, "observed", "reason_group", **params)
    if bits.local:
        return check("mac_oui", Verdict.NUANCE, "observed", "reason_local", **params)
    return check("mac_oui", Verdict.AGREES, "observed", "reason_global", **params)


def ip_versions(version: int, address: str) -> NoteCheck:
    """IPv4 against IPv6 as the notes compare them: 32 against 128 bits, and the notation."""
    if version == 4:
        raw = ipaddress.ip_address(address).packed
        return check("ip_versions", Verdict.AGREES, "observed_v4", "reason_v4",
                     address=address, hex=raw.hex(" "))
    full = ipaddress.IPv6Address(address).exploded
    return check("ip_versions", Verdict.AGREES, "observed_v6", "reason_v6", address=address,
                 full=full)


# ---------------------------------------------------------------- the scenario library


def refused(server: str, syn: int, rst: int) -> NoteCheck:
    """A connect() to a port where nothing listens: what "a client alone cannot run" is."""
    return check("refused", Verdict.AGREES, "observed", "reason", server=server, syn=syn,
                 rst=rst)


def rebind(result: str, later_ok: bool) -> NoteCheck:
    """bind() to a port that TIME_WAIT still holds: EADDRINUSE without SO_REUSEADDR."""
    return check("rebind", Verdict.AGREES, "observed", "reason_ok" if later_ok else "reason",
                 result=result)


def udp_header(length: int) -> NoteCheck:
    payload = max(length - 8, 0)
    verdict = Verdict.AGREES if length >= 8 else Verdict.DIFFERS
    return check("udp_header", verdict, "observed", "reason", length=length, payload=payload)


def udp_unreliable() -> NoteCheck:
    return check("udp_unreliable", Verdict.AGREES, "observed", "reason")


def chat_quit(to_server: int, to_client: int, quit_packet: int, fin: int) -> NoteCheck:
    """The chat of note 003 ends on "quit": the quitting side closes, and its FIN follows."""
    return check("chat_quit", Verdict.AGREES, "observed", "reason", to_server=to_server,
                 to_client=to_client, quit=quit_packet, fin=fin)


def dns(name: str, qtype: str, answer: str) -> NoteCheck:
    """A lookup goes from the name to the address; one sentence of the notes turns it round."""
    return check("dns", Verdict.NUANCE, "observed", "reason", name=name, qtype=qtype,
                 answer=answer or "-")
