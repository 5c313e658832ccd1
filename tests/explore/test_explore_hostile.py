"""``mrasim explore`` against hostile pages: a real server process, real sockets, raw HTTP.

What a page on another site can make the user's browser send: a request to 127.0.0.1 under
its own domain (DNS rebinding: the ``Host`` header names the attacker's domain), a
cross-site ``text/plain`` or form POST (sent without asking first), an ``Origin`` of its
own. And what any client can send: a body of 100 MB, JSON nested 100,000 deep, enough new
tabs to push the user's own out. Each is refused in one line of JSON, and the user's tab
goes on.
"""

from __future__ import annotations

import http.client
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
import yaml
from helpers import ONE_OFFICE

from sim.explore.guard import MAX_BODY_BYTES, allowed_hosts
from sim.explore.session import MAX_SESSIONS

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="POSIX signals")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real ``mrasim explore`` of a small office (a run of 2 replications: a second)."""
    data = yaml.safe_load(ONE_OFFICE.read_text())
    data["horizon_days"], data["warmup_days"] = 1, 0
    scenario = tmp_path_factory.mktemp("hostile") / "office.yaml"
    scenario.write_text(yaml.safe_dump(data))
    port = free_port()
    command = [sys.executable, "-m", "sim.cli", "explore", str(scenario), "--no-browser"]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--workers", "1", "-q"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
    yield port
    server.send_signal(signal.SIGTERM)
    server.communicate(timeout=20)


def send(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict]:
    """A raw request to 127.0.0.1:port with exactly these headers (Host included)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {"Host": f"127.0.0.1:{port}", **(headers or {})}
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in sent.items():
        connection.putheader(name, value)
    if body is not None and "Content-Length" not in sent:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    reply = connection.getresponse()
    data = reply.read()
    connection.close()
    return reply.status, json.loads(data) if data.startswith(b"{") else {"raw": data}


def run_body(session: str) -> bytes:
    return json.dumps({"session": session, "controls": {"replications": 2}}).encode()


def one_line_error(reply: dict) -> str:
    assert set(reply) == {"error"}, reply
    assert "\n" not in reply["error"] and "Traceback" not in reply["error"]
    return reply["error"]


# --- host names ---------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:{port}", "evil.localhost"])
@pytest.mark.parametrize("path", ["/api/scenario", "/api/scenario.yaml?session=tab-00000001", "/"])
def test_a_rebound_host_is_answered_nothing(port: int, host: str, path: str) -> None:
    """A DNS-rebinding page reaches 127.0.0.1 under its own name: it reads nothing."""
    status, reply = send(port, "GET", path, headers={"Host": host.format(port=port)})
    assert status == 400
    assert one_line_error(reply).startswith("the host ")


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}", "[::1]:{port}"])
def test_its_own_names_are_answered(port: int, host: str) -> None:
    status, reply = send(port, "GET", "/api/scenario", headers={"Host": host.format(port=port)})
    assert status == 200 and reply["name"]


# --- other sites' writes ------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain", "Origin": "http://attacker.example"},
        {"Content-Type": "application/json", "Origin": "http://attacker.example"},
        {"Content-Type": "application/json", "Origin": "null"},
        {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
    ],
    ids=["text-plain", "json-other-origin", "json-null-origin", "json-cross-site"],
)
def test_a_write_from_another_site_is_refused(port: int, headers: dict[str, str]) -> None:
    status, reply = send(port, "POST", "/api/run", run_body("tab-foreign-1"), headers)
    assert status == 403
    assert "another site" in one_line_error(reply)
    status, _ = send(port, "GET", "/api/state?session=tab-foreign-1")
    assert status == 404  # no run was started for it


def test_the_api_takes_json_only(port: int) -> None:
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        status, reply = send(
            port, "POST", "/api/run", run_body("tab-plain-01"), {"Content-Type": kind}
        )
        assert status == 415 and "application/json" in one_line_error(reply)


def test_its_own_page_may_write(port: int) -> None:
    origin = {"Origin": f"http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}
    headers = {"Content-Type": "application/json", **origin}
    status, reply = send(port, "POST", "/api/run", run_body("tab-own-0001"), headers)
    assert status == 200 and reply["run"] == 1


# --- sizes ------------------------------------------------------------------------------


def test_a_100_mb_body_is_refused_unread(port: int) -> None:
    """Its declared length is enough: the server answers before the client sends a byte."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.putrequest("POST", "/api/run")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(100 * 2**20))
    connection.endheaders()
    started = time.monotonic()
    reply = connection.getresponse()
    assert reply.status == 413
    assert "over 64 kB" in one_line_error(json.loads(reply.read()))
    assert time.monotonic() - started < 5
    connection.close()


def test_a_long_body_of_unknown_length_is_cut_at_the_limit(port: int) -> None:
    """Chunked, with no length said: read up to the limit, then refused."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    chunks = (b"[" * 4096 for _ in range(MAX_BODY_BYTES // 4096 + 4))
    connection.request(
        "POST",
        "/api/run",
        body=chunks,
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    reply = connection.getresponse()
    assert reply.status == 413 and "over 64 kB" in one_line_error(json.loads(reply.read()))


@pytest.mark.parametrize(("depth", "status"), [(100_000, 413), (5_000, 400)])
def test_deeply_nested_json_is_refused(port: int, depth: int, status: int) -> None:
    body = b'{"session": "tab-deep-0001", "controls": ' + b"[" * depth + b"]" * depth + b"}"
    got, reply = send(port, "POST", "/api/run", body, {"Content-Type": "application/json"})
    assert got == status
    assert ("nested over" if status == 400 else "over 64 kB") in one_line_error(reply)


# --- sessions -----------------------------------------------------------------------------


def test_no_request_evicts_an_open_tab(port: int) -> None:
    """The user's tab polls; 16 posts from another site, then as many new tabs as there is
    room for and more from this machine, leave it where it was."""
    json_kind = {"Content-Type": "application/json"}
    status, _ = send(port, "POST", "/api/run", run_body("tab-the-user"), json_kind)
    assert status == 200
    for i in range(MAX_SESSIONS):
        status, _ = send(
            port,
            "POST",
            "/api/run",
            run_body(f"tab-foreign-{i:04d}"),
            {"Content-Type": "text/plain", "Origin": "http://attacker.example"},
        )
        assert status == 403
    refused = 0
    for i in range(MAX_SESSIONS + 2):
        assert send(port, "GET", "/api/state?session=tab-the-user")[0] == 200  # it polls
        status, reply = send(port, "POST", "/api/run", run_body(f"tab-local-{i:04d}"), json_kind)
        assert status in (200, 429), reply
        if status == 429:
            refused += 1
            assert "tabs are open" in one_line_error(reply)
    assert refused >= 3  # the room left by this module's other tabs, then refusals
    status, state = send(port, "GET", "/api/state?session=tab-the-user")
    assert status == 200 and state["run"] == 1


def test_the_names_it_answers_follow_where_it_listens() -> None:
    assert allowed_hosts("127.0.0.1") == {"localhost", "127.0.0.1", "[::1]"}
    assert allowed_hosts("::1") == {"localhost", "127.0.0.1", "[::1]"}
    assert "10.1.2.3" in allowed_hosts("10.1.2.3")
    everywhere = allowed_hosts("0.0.0.0")
    assert socket.gethostname().lower() in everywhere and "0.0.0.0" not in everywhere
