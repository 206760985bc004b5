"""The two command lines: bad input is one line on stderr and exit status 2, never a
traceback; good input gives the JSON the schema promises. Run in-process, no capture."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from wirelens import cli

RunCli = Callable[..., "subprocess.CompletedProcess[bytes]"]  # the run_cli fixture

CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def no_live_demo(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test here that reached the real demo would be a bug in its input checks."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        pytest.fail("the demo ran, though its arguments should have been refused")

    monkeypatch.setattr("wirelens.demos.runner.run_tcp_demo", refuse)
    monkeypatch.setattr("wirelens.demos.runner.run_scenario", refuse)


def one_line_error(err: str, prog: str) -> str:
    assert "Traceback" not in err
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert err.startswith(f"{prog}: error: "), err
    return err


# ---------------------------------------------------------------- explain-demo


def test_demo_without_privileges_says_sudo(monkeypatch: pytest.MonkeyPatch,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("wirelens.capture.privileges.can_capture", lambda: False)
    assert cli.demo_main(["tcp"]) == 2
    out, err = capfd.readouterr()
    line = one_line_error(err, "explain-demo")
    assert out == ""
    assert "sudo" in line
    assert CHINESE.search(line)
    assert "explain-pcap --sample" in line


@pytest.mark.parametrize("argv", [
    ["no-such-scenario"],
    ["tcp", "--port", "70000"],
    ["tcp", "--port", "-1"],
    ["tcp", "--host", "localhost.example"],
], ids=["unknown-scenario", "port-too-big", "port-negative", "host-not-an-address"])
def test_demo_refuses_bad_arguments(argv: list[str],
                                    capfd: pytest.CaptureFixture[str]) -> None:
    assert cli.demo_main(argv) == 2
    out, err = capfd.readouterr()
    one_line_error(err, "explain-demo")
    assert out == ""


def test_demo_never_contacts_a_remote_host(monkeypatch: pytest.MonkeyPatch,
                                           capfd: pytest.CaptureFixture[str]) -> None:
    opened: list[object] = []

    def record(*args: Any, **kwargs: Any) -> Any:
        opened.append(args)
        raise OSError("no sockets in this test")

    monkeypatch.setattr(socket, "socket", record)
    monkeypatch.setattr(socket, "create_connection", record)
    assert cli.demo_main(["tcp", "--host", "8.8.8.8"]) == 2
    out, err = capfd.readouterr()
    assert "8.8.8.8" in one_line_error(err, "explain-demo")
    assert "loopback" in err
    assert opened == []


def test_demo_refuses_an_existing_save_target(tmp_path: Path,
                                              capfd: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo.pcapng"
    target.write_bytes(b"keep me")
    assert cli.demo_main(["tcp", "--save", str(target)]) == 2
    assert str(target) in one_line_error(capfd.readouterr().err, "explain-demo")
    assert target.read_bytes() == b"keep me"


# ---------------------------------------------------------------- explain-pcap: bad files


def _missing(tmp_path: Path) -> Path:
    return tmp_path / "no-such.pcap"


def _text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("this is not a capture, just some words\n", encoding="utf-8")
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.pcapng"
    path.touch()
    return path


def _directory(tmp_path: Path) -> Path:
    path = tmp_path / "captures.pcap"
    path.mkdir()
    return path


@pytest.mark.parametrize("make", [_missing, _text, _empty, _directory],
                         ids=["missing", "text", "empty", "directory"])
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_pcap_bad_file_is_one_line(make: Any, fmt: str, tmp_path: Path,
                                   capfd: pytest.CaptureFixture[str]) -> None:
    path = make(tmp_path)
    assert cli.pcap_main([str(path), "--format", fmt]) == 2
    out, err = capfd.readouterr()
    assert str(path) in one_line_error(err, "explain-pcap")
    assert out == ""


def test_pcap_without_a_file_is_refused(capfd: pytest.CaptureFixture[str]) -> None:
    assert cli.pcap_main([]) == 2
    assert "--sample" in one_line_error(capfd.readouterr().err, "explain-pcap")


# ---------------------------------------------------------------- explain-pcap --sample


def sample_json(capfd: pytest.CaptureFixture[str], lang: str) -> tuple[str, dict[str, Any]]:
    assert cli.pcap_main(["--sample", "--format", "json", "--lang", lang]) == 0
    out, err = capfd.readouterr()
    assert err == ""
    return out, json.loads(out)


def test_sample_json_has_the_schema_keys(capfd: pytest.CaptureFixture[str]) -> None:
    _, doc = sample_json(capfd, "en")
    assert {"packets", "conversations", "socket_calls", "warnings"} <= doc.keys()
    assert doc["packets"]
    for packet in doc["packets"]:
        assert {"index", "time", "summary", "role", "states", "layers"} <= packet.keys()
        assert set(packet["states"]) == {"client", "server"}
        for layer in packet["layers"]:
            assert {"name", "offset", "length", "fields"} <= layer.keys()
            for fv in layer["fields"]:
                assert {"name", "value", "offset", "length", "explain"} <= fv.keys()
                assert fv["explain"]
    assert doc["conversations"]
    for conversation in doc["conversations"]:
        assert {"client", "server", "handshake", "close", "packets", "anomalies"} \
            <= conversation.keys()
    assert doc["socket_calls"]
    for call in doc["socket_calls"]:
        assert {"side", "call", "time", "packets"} <= call.keys()
    assert isinstance(doc["warnings"], list)


def test_sample_json_in_chinese_is_not_ascii_escaped(capfd: pytest.CaptureFixture[str]) -> None:
    out, doc = sample_json(capfd, "zh")
    assert CHINESE.search(out)
    assert "\\u" not in out
    assert doc["packets"]


def test_sample_json_is_utf8_on_stdout(run_cli: RunCli) -> None:
    done = run_cli("explain-pcap", "--sample", "--format", "json", "--lang", "zh", text=False)
    assert done.returncode == 0, done.stderr
    assert CHINESE.search(json.dumps(json.loads(done.stdout.decode("utf-8")),
                                     ensure_ascii=False))


