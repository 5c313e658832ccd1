"""What the explorer refuses before a request reaches it: other sites, and oversized input.

The explorer listens on this machine only (unless ``--host`` says otherwise), but any page
the user visits runs in a browser on this machine too. :class:`Guard`, an ASGI middleware
in front of every route, refuses:

* a ``Host`` that is not one of the explorer's own names (``localhost``, ``127.0.0.1``,
  ``[::1]`` and what ``--host`` names): a DNS-rebinding page, whose own domain resolves to
  127.0.0.1, is answered nothing (400);
* a request that changes state (anything but GET, HEAD and OPTIONS) from another origin:
  its ``Origin`` must be the explorer's own, and ``Sec-Fetch-Site``, where the browser
  sends it, ``same-origin`` (403). A request with neither comes from no browser page;
* a body sent to the API as anything but ``application/json`` (415), so that a cross-site
  form or ``text/plain`` post, which a browser sends without asking first, never counts;
* a body over :data:`MAX_BODY_BYTES` (413, said before it is read, if its length is
  declared; it is never read past the limit) and JSON nested deeper than
  :data:`MAX_JSON_DEPTH` (400), which would otherwise exhaust the parser's stack.

Every refusal is a JSON ``{"error": "one line"}``, like every other error of the API.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

from sim.language import _

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

LOCAL_NAMES = ("localhost", "127.0.0.1", "[::1]")
MAX_BODY_BYTES = 64 * 1024
"""The page's controls take under 2 kB, even with every station of every country staffed."""
MAX_JSON_DEPTH = 32
"""The page's controls nest 4 deep (``{"controls": {"staffing": {"PER": {...}}}}``)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WILDCARDS = frozenset({"", "0.0.0.0", "::", "[::]"})


def allowed_hosts(host: str) -> frozenset[str]:
    """The names the explorer answers to when it listens on ``host``.

    Its local names, and ``host`` itself; listening on every interface (``0.0.0.0``,
    ``::``), also this machine's name and its addresses, which other machines use.
    """
    names = {*LOCAL_NAMES, _bracketed(host)}
    if host in WILDCARDS:
        machine = socket.gethostname()
        names |= {machine, socket.getfqdn()}
        try:
            infos = socket.getaddrinfo(machine, None)
        except OSError:
            infos = []
        names |= {_bracketed(str(info[4][0])) for info in infos}
    return frozenset(name.lower() for name in names - WILDCARDS)


def _bracketed(host: str) -> str:
    """An IPv6 address as a Host header writes it (``[::1]``)."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


class Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Guard:
    """ASGI middleware: the checks of the module docstring, on every HTTP request."""

    def __init__(self, app: App, hosts: Iterable[str] = LOCAL_NAMES) -> None:
        self.app = app
        self.hosts = frozenset(host.lower() for host in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            headers = _headers(scope)
            host = self._check_host(headers)
            if scope["method"] not in SAFE_METHODS:
                _check_origin(headers, host)
                if scope["path"].startswith("/api/"):
                    _check_json(headers)
                body = await _read_body(headers, receive)
                if scope["path"].startswith("/api/"):
                    _check_depth(body)
                receive = _replay(body, receive)
        except Refused as refused:
            await _refuse(send, refused)
            return
        await self.app(scope, receive, send)

    def _check_host(self, headers: dict[str, str]) -> str:
        host = headers.get("host", "")
        if _host_name(host) not in self.hosts:
            shown = host if host and len(host) <= 80 and host.isprintable() else "none"
            problem = _("the host {host} is not this explorer's; open it at {hosts}")
            hosts = _(" or ").join(sorted(self.hosts)[:3])
            raise Refused(400, problem.format(host=shown, hosts=hosts))
        return host


def _headers(scope: Scope) -> dict[str, str]:
    """Request headers by lower-case name (the first of a repeated one)."""
    headers: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return headers


def _host_name(host: str) -> str:
    """``localhost:8050`` -> ``localhost``; ``[::1]:8050`` -> ``[::1]``."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0].rstrip(".")


def _check_origin(headers: dict[str, str], host: str) -> None:
    """A state-changing request must come from the explorer's own page, or from no page."""
    origin = headers.get("origin")
    elsewhere = _("a request from another site is refused; use the explorer's own page")
    if origin is not None and origin.lower() != f"http://{host}".lower():
        raise Refused(403, elsewhere)
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise Refused(403, elsewhere)


def _check_json(headers: dict[str, str]) -> None:
    kind = headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise Refused(415, _("send the request's body as application/json"))


async def _read_body(headers: dict[str, str], receive: Receive) -> bytes:
    """The whole body, refused past the limit: at once if its declared length is over."""
    declared = headers.get("content-length", "0")
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        raise Refused(413, _too_big())
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise Refused(413, _too_big())
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _too_big() -> str:
    return _("the request's body is over {size} kB").format(size=MAX_BODY_BYTES // 1024)


def _check_depth(body: bytes) -> None:
    """Refuse JSON nested deeper than MAX_JSON_DEPTH, by counting brackets outside strings
    (one pass over at most MAX_BODY_BYTES, before any parser recurses into it)."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_JSON_DEPTH:
                problem = _("the request's JSON is nested over {depth} deep")
                raise Refused(400, problem.format(depth=MAX_JSON_DEPTH))
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the app the body already read, then the server's own (which
    says when the client goes away)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


async def _refuse(send: Send, refused: Refused) -> None:
    body = json.dumps({"error": str(refused)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": refused.status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
