"""BPF filters ("tcp port 80"), compiled and run by libpcap through ctypes, as tcpdump does.

``BpfFilter(expression)`` compiles the expression once per link type (a pcapng file may mix
them) with ``pcap_compile`` on a dead handle, and ``matches(frame)`` runs
``pcap_offline_filter`` on the frame's bytes. A bad expression raises ``FilterError`` with
libpcap's own message. Needs the libpcap shared library (Debian: libpcap0.8).
"""

from __future__ import annotations

import ctypes
import ctypes.util
from functools import cache

from wirelens.explain.records import Frame
from wirelens.explain.wirenumbers import LINKTYPE_RAW

__all__ = ["BpfFilter", "FilterError"]

SNAPLEN = 262144
PCAP_NETMASK_UNKNOWN = 0xFFFFFFFF
# pcap_open_dead takes a DLT, and a file says a LINKTYPE: the same number but for these
# few, which libpcap maps inside when it reads a file (pcap-common.c, linktype_to_dlt;
# the DLT numbers are Linux's)
DLT_OF_LINKTYPE = {100: 11, LINKTYPE_RAW: 12, 102: 15, 103: 16, 106: 19}


class FilterError(Exception):
    """The filter cannot be used: a syntax error, or libpcap is missing."""


class _BpfProgram(ctypes.Structure):
    _fields_ = [("bf_len", ctypes.c_uint), ("bf_insns", ctypes.c_void_p)]


class _Timeval(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_usec", ctypes.c_long)]


class _PktHdr(ctypes.Structure):
    _fields_ = [("ts", _Timeval), ("caplen", ctypes.c_uint32), ("len", ctypes.c_uint32)]


@cache
def _libpcap() -> ctypes.CDLL:
    name = ctypes.util.find_library("pcap") or "libpcap.so.0.8"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise FilterError(f"--filter needs libpcap ({exc})") from None
    lib.pcap_open_dead.restype = ctypes.c_void_p
    lib.pcap_open_dead.argtypes = [ctypes.c_int, ctypes.c_int]
    lib.pcap_compile.restype = ctypes.c_int
    lib.pcap_compile.argtypes = [ctypes.c_void_p, ctypes.POINTER(_BpfProgram), ctypes.c_char_p,
                                 ctypes.c_int, ctypes.c_uint32]
    lib.pcap_geterr.restype = ctypes.c_char_p
    lib.pcap_geterr.argtypes = [ctypes.c_void_p]
    lib.pcap_offline_filter.restype = ctypes.c_int
    lib.pcap_offline_filter.argtypes = [ctypes.POINTER(_BpfProgram), ctypes.POINTER(_PktHdr),
                                        ctypes.c_char_p]
    lib.pcap_freecode.argtypes = [ctypes.POINTER(_BpfProgram)]
    lib.pcap_close.argtypes = [ctypes.c_void_p]
    return lib


class BpfFilter:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self._programs: dict[int, _BpfProgram] = {}
        self._header = _PktHdr()
        self.program(1)  # check the syntax now, against Ethernet

    def program(self, linktype: int) -> _BpfProgram:
        prog = self._programs.get(linktype)
        if prog is not None:
            return prog
        lib = _libpcap()
        handle = lib.pcap_open_dead(DLT_OF_LINKTYPE.get(linktype, linktype), SNAPLEN)
        if not handle:
            raise FilterError(f"libpcap cannot filter link type {linktype}")
        prog = _BpfProgram()
        try:
            if lib.pcap_compile(handle, ctypes.byref(prog), self.expression.encode(), 1,
                                PCAP_NETMASK_UNKNOWN) != 0:
                why = (lib.pcap_geterr(handle) or b"").decode(errors="replace")
                raise FilterError(f"bad filter {self.expression!r}: {why}")
        finally:
            lib.pcap_close(handle)
        self._programs[linktype] = prog
        return prog

    def matches(self, frame: Frame) -> bool:
        try:
            prog = self.program(frame.linktype)
        except FilterError:
            return False  # a link type the expression cannot apply to matches nothing
        self._header.caplen = len(frame.data)
        self._header.len = frame.wire_len
        return bool(_libpcap().pcap_offline_filter(ctypes.byref(prog), ctypes.byref(self._header),
                                                   frame.data))

    def close(self) -> None:
        lib = _libpcap()
        for prog in self._programs.values():
            lib.pcap_freecode(ctypes.byref(prog))
        self._programs.clear()
