"""``--dask ADDRESS``: the per-file work on a Dask cluster (a ``LocalCluster`` here) gives
the table the local process pool gives, survives a worker killed mid-run, and makes a
missing file a row with its error."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from wirelens import cli
from wirelens.app import distribute
from wirelens.app.command import sample_path
from wirelens.app.tablejob import file_rows, table_rows
from wirelens.overview.table import TableRow

pytest.importorskip("distributed", reason="the 'dask' extra is not installed")

CORPUS = (Path(__file__).parents[2] / "../shared/captures").resolve()
DIE_HERE = "die-here.pcapng"


@pytest.fixture(scope="module")
def cluster() -> Iterator[str]:
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None, silence_logs=40) as local:
        yield local.scheduler_address


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A few copies of the sample, and the file whose first reading kills its worker
    (the corpus is read too when it is here)."""
    out = tmp_path_factory.mktemp("dask")
    sample = Path(sample_path()).read_bytes()
    for i in range(6):
        (out / f"copy-{i}.pcapng").write_bytes(sample)
    (out / DIE_HERE).write_bytes(sample)
    return out


def everything(folder: Path) -> list[str]:
    return [str(folder), *([str(CORPUS)] if CORPUS.is_dir() else [])]


def die_once(job: tuple[str, str]) -> list[TableRow]:
    """``file_rows``, except that the first reading of DIE_HERE kills its worker process
    (SIGKILL: no goodbye to the scheduler), as a machine that goes away would."""
    name, path = job
    flag = os.path.join(os.path.dirname(path), ".died")
    if name.endswith(DIE_HERE) and not os.path.exists(flag):
        Path(flag).touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return file_rows(job)


def test_the_same_table_as_the_local_run(cluster: str, folder: Path) -> None:
    local = table_rows(everything(folder), progress=False)
    assert table_rows(everything(folder), dask=cluster, progress=False) == local
    assert len(local) >= 7  # the folder's seven files, and the corpus when it is here


def test_a_killed_worker_has_its_files_read_elsewhere(cluster: str, folder: Path) -> None:
    local = table_rows(everything(folder), progress=False)
    rows = table_rows(everything(folder), dask=cluster, progress=False, work=die_once)
    assert (folder / ".died").exists()  # a worker did die
    assert rows == local


def test_a_missing_file_is_a_row(cluster: str, folder: Path) -> None:
    missing = str(folder / "gone.pcap")
    rows = table_rows([str(folder / "copy-0.pcapng"), missing], dask=cluster, progress=False)
    assert [r.kind for r in rows] == ["conversation", "error"]
    assert rows[1].file == missing and "No such file" in rows[1].error


def test_the_command_line(cluster: str, folder: Path, capfd: pytest.CaptureFixture[str]
                          ) -> None:
    files = [str(folder / f"copy-{i}.pcapng") for i in range(3)]
    assert cli.pcap_main(["--table", "--format", "csv", "--dask", cluster, *files]) == 0
    on_dask = capfd.readouterr().out
    assert cli.pcap_main(["--table", "--format", "csv", *files]) == 0
    assert capfd.readouterr().out == on_dask
    assert cli.pcap_main(["--summary", "--format", "json", "--dask", cluster, *files]) == 0
    summary = capfd.readouterr().out
    assert cli.pcap_main(["--summary", "--format", "json", *files]) == 0
    assert capfd.readouterr().out == summary


def test_no_scheduler_is_one_line(capfd: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(distribute, "CONNECT_TIMEOUT", "2s")
    code = cli.pcap_main(["--table", "--dask", "tcp://127.0.0.1:9", sample_path()])
    err = capfd.readouterr().err
    assert code == 2 and "cannot reach the Dask scheduler" in err and err.count("\n") == 1
