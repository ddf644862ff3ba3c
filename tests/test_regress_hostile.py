"""Hostile input to the sharded regression (tb/jobs/regress.py): a malformed or unreachable
scheduler address, a tls:// address without its certificates, bad job values and jobs beyond
this machine's bounds are each one line `error: ...` with exit status 2, before anything is
sent to dask; tcp:// warns that it is unauthenticated; a tls:// address connects with mutual
TLS (a LocalCluster with certificates made here). No RTL is simulated."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from golden.errors import BnnInputError
from tb.jobs import regress as rg

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

EXPECTED = "expected tcp://host:8786 or tls://host:8786"
TLS_VARS = (rg.TLS_CA_ENV, rg.TLS_CERT_ENV, rg.TLS_KEY_ENV)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _err_line(capsys) -> str:
    """The one line the command printed on stderr (asserted to be exactly one)."""
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture
def no_dask(monkeypatch):
    """Fails the test if anything reaches dask (a client or a regression)."""
    def boom(*a, **k):
        raise AssertionError("reached dask")
    monkeypatch.setattr(rg, "client_for", boom)
    monkeypatch.setattr(rg, "regress", boom)


# ------------------------------------------------------------------ the scheduler address

@pytest.mark.parametrize("value, why", [
    ("garbage", "no scheme://"),
    ("host:8786", "no scheme://"),
    ("http://host:8786", "unsupported scheme http://"),
    ("tcp://host", "no port"),
    ("tcp://host:", "no port"),
    ("tcp://host:99999", "port '99999' is not a number 1-65535"),
    ("tcp://host:port", "port 'port' is not a number 1-65535"),
    ("tcp://:8786", "no host"),
    ("tcp://ho st:8786", "'ho st' is not a host name or IP address"),
    ("tcp://[::1:8786", "not of the form scheme://host:port"),
    ("tcp://[::1]x:8786", "not of the form scheme://host:port"),
    ("tcp://[fe80::zz]:8786", "[fe80::zz] is not an IPv6 address"),
    ("tcp://host:8786/path", "not of the form scheme://host:port"),
    ("tcp://host:8786\nrm -rf /", "port '8786\\nrm -rf ' is not a number 1-65535"),
])
def test_malformed_scheduler_is_one_line(value, why, capsys, no_dask):
    assert rg.main(["--images", "4"], environ={"DASK_SCHEDULER": value}) == 2
    line = _err_line(capsys)
    assert line == f"error: DASK_SCHEDULER={value!r}: {why}; {EXPECTED}"


def test_scheduler_option_is_named_as_given(capsys, no_dask):
    assert rg.main(["--images", "4", "--scheduler", "garbage"], environ={"DASK_SCHEDULER": "tcp://h:1"}) == 2
    assert _err_line(capsys).startswith("error: --scheduler='garbage': ")


@pytest.mark.parametrize("value, address", [("tcp://Host.example:8786", "tcp://Host.example:8786"),
                                            ("TLS://10.0.0.1:1/", "tls://10.0.0.1:1"),
                                            ("  tcp://[::1]:8786 ", "tcp://[::1]:8786")])
def test_good_addresses_parse(value, address):
    assert rg.parse_scheduler(value).address == address


def test_unreachable_scheduler_is_one_line(capsys):
    """A closed port: dask retries until the connect timeout, then one line naming
    DASK_SCHEDULER, the address and what was expected (a short timeout keeps this fast)."""
    address = f"tcp://127.0.0.1:{_closed_port()}"
    shards = rg.shards_of(2, 2, network="cnvW2A2", plan=None, topology="split-2", params=None, cifar=None)
    with pytest.raises(BnnInputError) as e:
        rg.regress(shards, 1, address, connect_timeout=1, progress=False)
    msg = str(e.value)
    assert "\n" not in msg
    assert msg.startswith(f"DASK_SCHEDULER={address}: could not connect to a dask scheduler within 1 s (")
    assert EXPECTED in msg
    warning = capsys.readouterr().err.splitlines()
    assert len(warning) == 1 and warning[0].startswith(f"warning: DASK_SCHEDULER={address} is unauthenticated "
                                                       f"and unencrypted")


def test_main_connects_with_a_timeout_of_at_most_10_s(monkeypatch, capsys):
    """The command's connect timeout (the whole command then ends within 10 s), seen by a
    stand-in for dask's Client that fails as an unreachable scheduler does."""
    import distributed

    seen = {}

    def client(address, **kw):
        seen.update(kw, address=address)
        raise OSError(f"Timed out trying to connect to {address} after {kw['timeout']} s")

    monkeypatch.setattr(distributed, "Client", client)
    address = f"tcp://127.0.0.1:{_closed_port()}"
    assert rg.main(["--images", "4", "--synthetic"], environ={"DASK_SCHEDULER": address}) == 2
    assert seen["address"] == address and seen["security"] is None
    assert 0 < seen["timeout"] == rg.CONNECT_TIMEOUT_S <= 10
    err = capsys.readouterr().err.splitlines()
    assert [line.split(":")[0] for line in err] == ["warning", "error"]
    assert err[1].startswith(f"error: DASK_SCHEDULER={address}: could not connect to a dask scheduler within "
                             f"{rg.CONNECT_TIMEOUT_S:g} s (Timed out")


# ------------------------------------------------------------------ TLS

def test_tls_without_the_variables_names_them(capsys, no_dask):
    assert rg.main(["--images", "4"], environ={"DASK_SCHEDULER": "tls://host:8786"}) == 2
    line = _err_line(capsys)
    assert line.startswith("error: DASK_SCHEDULER=tls://host:8786: a tls:// scheduler needs ")
    assert all(v in line for v in TLS_VARS)


def test_tls_with_one_variable_missing_names_only_that_one(tmp_path, capsys, no_dask):
    env = {"DASK_SCHEDULER": "tls://host:8786", rg.TLS_CA_ENV: str(tmp_path / "ca.pem"),
           rg.TLS_CERT_ENV: str(tmp_path / "c.pem"), rg.TLS_KEY_ENV: "  "}
    assert rg.main(["--images", "4"], environ=env) == 2
    line = _err_line(capsys)
    assert rg.TLS_KEY_ENV in line and rg.TLS_CA_ENV not in line and rg.TLS_CERT_ENV not in line


@pytest.mark.parametrize("missing", TLS_VARS)
def test_tls_with_a_missing_file_names_the_variable(missing, tmp_path, capsys, no_dask):
    env = {"DASK_SCHEDULER": "tls://host:8786"}
    for v in TLS_VARS:
        f = tmp_path / f"{v}.pem"
        if v != missing:
            f.write_text("x")
        env[v] = str(f)
    assert rg.main(["--images", "4"], environ=env) == 2
    assert _err_line(capsys).startswith(f"error: {missing}={env[missing]!r}: no such file (")


def test_tls_with_files_that_are_not_pem(tmp_path, capsys, no_dask):
    env = {"DASK_SCHEDULER": "tls://host:8786"}
    for v in TLS_VARS:
        (tmp_path / v).write_text("not a certificate\n")
        env[v] = str(tmp_path / v)
    assert rg.main(["--images", "4"], environ=env) == 2
    assert _err_line(capsys).startswith(f"error: {rg.TLS_CA_ENV}={env[rg.TLS_CA_ENV]!r}: not a PEM CA certificate")


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_pki(folder: Path, name: str) -> dict:
    """A CA and one certificate it signs (for 127.0.0.1 / localhost, server and client use),
    made with the openssl command."""
    folder.mkdir(parents=True)
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name} test CA",
             "-keyout", "ca.key", "-out", "ca.pem", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "node.key",
             "-out", "node.csr", cwd=folder)
    (folder / "ext.cnf").write_text("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                                    "extendedKeyUsage=serverAuth,clientAuth\n"
                                    "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
                                    "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n")
    _openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-days", "1", "-out", "node.pem", "-extfile", "ext.cnf", cwd=folder)
    return {rg.TLS_CA_ENV: str(folder / "ca.pem"), rg.TLS_CERT_ENV: str(folder / "node.pem"),
            rg.TLS_KEY_ENV: str(folder / "node.key")}


@pytest.mark.skipif(shutil.which("openssl") is None,
                    reason="the certificates are made with the openssl command, which is not on PATH "
                           "(the cryptography package is not in the venv either)")
def test_a_regression_over_tls(tmp_path, capsys):
    """A LocalCluster that requires mutual TLS; the regression reaches it through
    DASK_SCHEDULER=tls://... and the BNNSPLIT_DASK_TLS_* files (a shard that raises on
    purpose: its report came back over TLS); a client whose certificate another CA signed
    is refused, with one line."""
    from distributed import LocalCluster, Security

    pki = _make_pki(tmp_path / "pki", "cluster")
    cert, key = pki[rg.TLS_CERT_ENV], pki[rg.TLS_KEY_ENV]
    sec = Security(tls_ca_file=pki[rg.TLS_CA_ENV], tls_scheduler_cert=cert, tls_scheduler_key=key,
                   tls_worker_cert=cert, tls_worker_key=key, tls_client_cert=cert, tls_client_key=key,
                   require_encryption=True)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tls://", host="127.0.0.1",
                      security=sec, dashboard_address=None, silence_logs=40) as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        shards = [rg.Shard(index=0, first=0, images=2, network="cnvW2A2", plan=None, topology="split-2", params=None,
                           cifar=None, out_root=str(tmp_path / "shards"), raise_error=True)]
        merged = rg.regress(shards, 1, rg.parse_scheduler(address), retries=0, progress=False,
                            connect_timeout=5, environ=pki)
        assert merged["workers"] == 1 and merged["failed_shards"] == 1
        assert "raised on purpose" in merged["errors"][0]
        assert "warning" not in capsys.readouterr().err        # no unauthenticated warning for tls://

        stranger = _make_pki(tmp_path / "stranger", "stranger")
        with pytest.raises(BnnInputError) as e:
            rg.client_for(1, address, timeout=2, environ=stranger)
        assert "\n" not in str(e.value)
        assert str(e.value).startswith(f"DASK_SCHEDULER={address}: could not connect to a dask scheduler within 2 s")


# ------------------------------------------------------------------ the job, before dask

@pytest.mark.parametrize("argv, start", [
    (["--boards", "0"], "error: --boards 0 (BOARDS=0 with make): expected 1 (one full board) or B >= 2"),
    (["--boards", "-2"], "error: --boards -2 (BOARDS=-2 with make): expected 1"),
    (["--images", "-5"], "error: --images -5: expected a whole number >= 1"),
    (["--images", "0"], "error: --images 0: expected a whole number >= 1"),
    (["--batch", "0"], "error: --batch 0: expected a whole number >= 1"),
    (["--workers", "0"], "error: --workers 0: expected a whole number >= 1"),
    (["--shard-images", "-1"], "error: --shard-images -1: expected a whole number >= 1"),
    (["--retries", "-1"], "error: --retries -1: expected a whole number >= 0"),
    (["--plan", "0-3x2,5-8x1"], "error: --plan '0-3x2,5-8x1': plan: "),
    (["--plan", "0-8x0"], "error: --plan '0-8x0': plan: "),
    (["--network", "nope"], "error: unknown network 'nope'"),
    (["--boards", "two"], "error: argument --boards: invalid int value: 'two'"),
    (["--params", "/no/such/folder"], "error: --params /no/such/folder: no such folder"),
])
def test_bad_jobs_are_rejected_before_dask(argv, start, capsys, no_dask):
    env = {"DASK_SCHEDULER": "tcp://127.0.0.1:8786"}      # valid: never contacted
    try:
        rc = rg.main(["--images", "4", *argv], environ=env)
    except SystemExit as e:                              # argparse's own errors
        rc = e.code
    assert rc == 2
    assert _err_line(capsys).startswith(start)


def test_more_images_than_the_data_file_holds(tmp_path, capsys, no_dask):
    cifar = tmp_path / "two.bin"
    cifar.write_bytes(bytes(2 * 3073))
    assert rg.main(["--images", "3", "--synthetic", "--cifar", str(cifar)], environ={}) == 2
    assert _err_line(capsys) == (f"error: --images 3: {cifar} holds 2 images (expected --images <= 2, "
                                 f"or --synthetic)")


def _check(**kw):
    job = dict(network="cnvW2A2", plan=None, boards=2, images=4, batch=16, workers=1)
    return rg.check_job(**(job | kw))


def test_the_bounds_hold_what_this_machine_runs():
    assert _check(plan="0-5x4,6-8x4", boards=0).boards == rg.MAX_BOARDS == 8
    assert _check(boards=rg.MAX_REPLICAS + 1).replicas == rg.MAX_REPLICAS
    assert _check(images=rg.MAX_IMAGES).images == rg.MAX_IMAGES


@pytest.mark.parametrize("kw, says", [
    (dict(boards=rg.MAX_BOARDS + 1), f"more than the {rg.MAX_BOARDS} boards"),
    (dict(boards=10**9), f"more than the {rg.MAX_BOARDS} boards"),
    (dict(plan="0-5x4,6-8x5"), f"9 boards, more than the {rg.MAX_BOARDS}"),
    (dict(boards=rg.MAX_REPLICAS + 2), f"{rg.MAX_REPLICAS + 1} replicas of layers 0-5, more than the "
                                       f"{rg.MAX_REPLICAS} per stage"),
    (dict(plan=f"0-8x{rg.MAX_REPLICAS + 1}"), f"{rg.MAX_REPLICAS + 1} replicas of layers 0-8"),
    (dict(images=rg.MAX_IMAGES + 1), f"more than the {rg.MAX_IMAGES}"),
    (dict(workers=rg.MAX_WORKERS_PER_CORE * (os.cpu_count() or 1) + 1), "LocalCluster worker"),
])
def test_bounds_name_the_override(kw, says):
    with pytest.raises(BnnInputError) as e:
        _check(**kw)
    assert says in str(e.value) and "--allow-large" in str(e.value) and "BNNSPLIT_ALLOW_LARGE=1" in str(e.value)
    if kw.get("boards") == 10**9:
        return                                    # (--allow-large would build the plan of 10^9 boards)
    job = _check(**kw, allow_large=True)
    assert job.images == kw.get("images", 4)


def test_workers_of_a_remote_cluster_are_not_bounded_here():
    assert _check(workers=1000, local=False).workers == 1000


def test_the_override_flag_and_variable(monkeypatch, capsys, no_dask):
    big = ["--images", "4", "--synthetic", "--boards", str(rg.MAX_BOARDS + 1)]
    assert rg.main(big, environ={}) == 2
    assert "--allow-large" in _err_line(capsys)

    ran = []

    def regress(shards, *a, **k):                 # the job got past the checks: stop before dask
        ran.append(shards)
        raise BnnInputError("stopped here")

    monkeypatch.setattr(rg, "regress", regress)
    assert rg.main([*big, "--allow-large"], environ={}) == 2
    assert rg.main(big, environ={rg.ALLOW_LARGE_ENV: "1"}) == 2
    assert len(ran) == 2 and all(s[0].topology == f"split-{rg.MAX_BOARDS + 1}" for s in ran)
    assert all(sh.allow_large for s in ran for sh in s)          # and the shards' co-simulations
    capsys.readouterr()
    assert rg.main(big, environ={rg.ALLOW_LARGE_ENV: "maybe"}) == 2
    assert _err_line(capsys) == f"error: {rg.ALLOW_LARGE_ENV}='maybe': expected 1 or 0"


def test_throughput_counts_only_the_images_that_ran():
    """All shards failed: 0 img/s, not images / wall time (was "0.78 img/s")."""
    shards = rg.shards_of(8, 4, network="cnvW2A2", plan=None, topology="split-0", params=None, cifar=None)
    outcomes = [{"shard": s.index, "error": "BnnInputError: bad"} for s in shards]
    m = rg.merge(shards, outcomes, wall_s=10.0, workers=2)
    assert m["failed_shards"] == 2 and m["simulated_images"] == 0 and m["img_per_wall_s"] == 0.0
