"""``mrasim explore``: the comparison, live, in the browser.

A local web page where a control (utilisation, what recognition grants,
staffing, the countries shown, ...) is moved and the answer, with its
uncertainty, settles as replications accumulate. The page shows the report's
own answer, assumptions and figures (:mod:`.render`), of a comparison run
progressively on common random numbers (:mod:`.session`), for a setting that is
a set of scenario overrides (:mod:`.settings`), served by :mod:`.server`.

:func:`serve` is the one entry point (the CLI's).
"""

from __future__ import annotations

import socket
import threading
import webbrowser
from pathlib import Path

from sim.errors import InputError
from sim.language import _
from sim.model.load import load_scenario

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8050


def serve(
    scenario: str | Path,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = True,
    workers: int | None = None,
    quiet: bool = False,
) -> None:
    """Serve the page for a scenario until the server is stopped (Ctrl-C or SIGTERM).

    Only this machine can reach it unless ``host`` says otherwise, and it answers only
    its own host names (:mod:`.guard`). Stopping the server stops every run and its
    worker processes.
    """
    import uvicorn

    from sim.explore.guard import allowed_hosts
    from sim.explore.server import create_app
    from sim.replicate.jit import cache_is_cold, warm_up

    base = load_scenario(scenario)
    _check_free(host, port)
    if cache_is_cold():
        if not quiet:
            print(_("mrasim: compiling (first run only; about a minute)"), flush=True)
        warm_up()
    app = create_app(base, workers, hosts=allowed_hosts(host))
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    url = f"http://{'localhost' if host in ('127.0.0.1', 'localhost') else host}:{port}/"
    if not quiet:
        said = _("mrasim explore: {scenario} at {url} (Ctrl-C stops it)")
        print(said.format(scenario=base.name, url=url), flush=True)
    if open_browser:
        threading.Thread(target=_open_when_up, args=(server, url), daemon=True).start()
    server.run()


def _check_free(host: str, port: int) -> None:
    """A port already taken is bad input, said before anything starts."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        problem = _("cannot be resolved ({error})").format(error=exc.strerror or exc)
        raise InputError("--host", host, problem) from None
    family, kind, proto, _canonical, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            problem = _("cannot listen there ({error}); choose another").format(
                error=exc.strerror or exc
            )
            raise InputError("--port", str(port), problem) from None


def _open_when_up(server: object, url: str) -> None:
    for _attempt in range(600):
        if getattr(server, "started", False):
            webbrowser.open(url)
            return
        threading.Event().wait(0.05)
