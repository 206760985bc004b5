"""Header field tables: formatters, bit reading, checksums and the values a table extracts."""

from __future__ import annotations

from wirelens.explain.fields import (
    FieldSpec,
    as_length,
    bytes_of,
    checksum_status,
    dec,
    extract,
    flag,
    hex_of,
    ipv4,
    mac,
    ones_complement_sum,
    read_bits,
    table_length,
    words_as_bytes,
)

# Wikipedia's example IPv4 header, its checksum 0xb861 at byte 10.
IP_HEADER = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")

SPECS = (
    FieldSpec("x.version", 0, 4, dec, "field.x.version"),
    FieldSpec("x.hdr_len", 4, 4, words_as_bytes, "field.x.hdr_len"),
    FieldSpec("x.len", 16, 16, dec, "field.x.len"),
    FieldSpec("x.df", 49, 1, flag, "field.x.df"),
    FieldSpec("x.checksum", 80, 16, hex_of(4), "field.x.checksum"),
)


def test_formatters_show_values_as_wireshark_does() -> None:
    assert (dec(7), hex_of(4)(0x800), bytes_of(2)(0xAB)) == ("7", "0x0800", "00ab")
    assert mac(0x02776C000001) == "02:77:6c:00:00:01"
    assert ipv4(0x0A000001) == "10.0.0.1"
    assert (flag(0), flag(1), words_as_bytes(5)) == ("0", "1", "20")


def test_ones_complement_sum_is_rfc_1071s_example() -> None:
    assert ones_complement_sum(bytes.fromhex("0001f203f4f5f6f7")) == 0xDDF2


def test_an_odd_length_is_summed_as_if_padded_with_a_zero() -> None:
    assert ones_complement_sum(b"\x12\x34\x56") == ones_complement_sum(b"\x12\x34\x56\x00")


def test_the_carry_wraps_round() -> None:
    assert ones_complement_sum(b"\xff\xff\x00\x01") == 0x0001


def test_checksum_status_ignores_the_stored_value_when_computing() -> None:
    stored = IP_HEADER[:10] + b"\xb8\x61" + IP_HEADER[12:]
    assert checksum_status(stored, 10, 0xB861) == {"variant": "correct", "expected": "0xb861"}
    assert checksum_status(stored, 10, 0x1234) == {"variant": "wrong", "expected": "0xb861"}


def test_read_bits_across_a_byte_boundary() -> None:
    data = bytes([0b1010_1100, 0b0101_0011])
    assert read_bits(data, 4, 8) == 0b1100_0101
    assert read_bits(data, 0, 1) == 1 and read_bits(data, 15, 1) == 1
    assert read_bits(data, 0, 16) == 0xAC53


def test_extract_places_each_field_at_its_bytes_in_the_frame() -> None:
    values = {f.name: f for f in extract(SPECS, IP_HEADER, 14, {})}
    assert (values["x.version"].value, values["x.hdr_len"].display) == (4, "20")
    assert (values["x.len"].offset, values["x.len"].length) == (16, 2)
    # a whole-byte field has no bit position; a bit field has its place in its byte
    assert (values["x.len"].bit_offset, values["x.len"].bit_length) == (0, 0)
    df = values["x.df"]
    assert (df.display, df.offset, df.length, df.bit_offset, df.bit_length) == ("1", 20, 1, 1, 1)
    assert values["x.version"].params["value"] == "4"


def test_extra_params_and_a_variant_that_picks_the_catalog_text() -> None:
    extra = {"x.checksum": {"variant": "wrong", "expected": "0xb861"}, "x.len": {"payload": 95}}
    values = {f.name: f for f in extract(SPECS, IP_HEADER, 0, extra)}
    assert values["x.checksum"].key == "field.x.checksum.wrong"
    assert values["x.checksum"].params["expected"] == "0xb861"
    assert values["x.len"].key == "field.x.len" and values["x.len"].params["payload"] == 95


def test_as_length_renames_a_type_field_that_holds_a_length() -> None:
    specs = (FieldSpec("eth.type", 0, 16, hex_of(4), "field.eth.type"),
             FieldSpec("eth.other", 16, 8, dec, "field.eth.other"))
    fields = extract(specs, b"\x00\x2e\x07", 0, {})
    renamed, other = as_length(fields, "eth.len", "field.eth.len")
    assert (renamed.name, renamed.key, renamed.display) == ("eth.len", "field.eth.len", "46")
    assert renamed.params["value"] == "46"
    assert other == fields[1]


def test_table_length_is_the_fixed_headers_bytes() -> None:
    assert table_length(SPECS) == 12
