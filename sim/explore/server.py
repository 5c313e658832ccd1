"""The web app: a static page, and a small JSON API over the tabs' sessions.

* ``GET /`` the page (``static/``: HTML, CSS and plain JavaScript, no build step and
  nothing from the network), its words in the request's language (:mod:`.words`);
* ``GET /api/scenario`` what the controls offer (countries, modes, station types,
  what the scenario grants);
* ``POST /api/run`` a tab's controls: checked (:func:`.settings.controls_from`,
  :func:`.settings.build`) and started, stopping the tab's run in flight;
* ``GET /api/state`` how far the tab's run has got, with the answer when it changed;
* ``GET /api/figures`` the report's figures of the tab's latest numbers;
* ``GET /api/scenario.yaml`` the tab's setting as a scenario file;
* ``GET /api/openapi.json`` all of the above, as an OpenAPI schema.

Every request is answered in one language (``?lang=``, else ``Accept-Language``, else the
environment's: :class:`Speaking`). Every error a request can cause is a JSON
``{"error": "one line"}``, never a traceback; an unexpected one is logged on the server's
terminal and the server goes on serving. :class:`.guard.Guard` stands in front of every
route: it answers only the explorer's own host names, and takes state-changing requests only
from the explorer's own page, as JSON of a bounded size and depth.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator, Iterable
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import plotly
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from sim._version import __version__
from sim.explore import render
from sim.explore.guard import LOCAL_NAMES, App, Guard, Receive, Scope, Send
from sim.explore.session import IDLE_S, Session, Sessions, Snapshot, TooManyTabs
from sim.explore.settings import (
    GRANT_LABELS,
    GRANTS,
    Controls,
    InvalidControl,
    build,
    control_state,
    controls_from,
    grant_state,
    modes_of,
    servers_of,
    station_types,
)
from sim.explore.words import language_of, page_html
from sim.language import _, active, use
from sim.model.iso3166 import country_name
from sim.model.schema import Scenario
from sim.model.uncertain import count_uncertain
from sim.report.html import STYLE as REPORT_STYLE

STATIC = Path(__file__).parent / "static"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
"""plotly.js as the plotly package ships it, served to the page (which draws the figures)."""
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
log = logging.getLogger("mrasim.explore")


class Problem(Exception):
    """A request the server cannot honour, said in one line, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Speaking:
    """ASGI middleware: each request runs in its language (:func:`.words.language_of`), a
    context variable that its worker threads inherit and other requests never see."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        headers = dict(scope.get("headers") or [])
        accept = headers.get(b"accept-language", b"").decode("latin-1")
        with use(language_of((query.get("lang") or [""])[0], accept)):
            await self.app(scope, receive, send)


class ErrorReply(BaseModel):
    """Every error of the API: one line saying what to change."""

    error: str


class RunRequest(BaseModel):
    """A tab's controls (the page makes its ``session`` id anew each time it loads)."""

    session: str = Field(pattern=SESSION_ID.pattern)
    controls: Controls = Controls()


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorReply, "description": meaning}
    for status, meaning in (
        (400, "bad input: the request, a control, or a host not the explorer's"),
        (403, "a state-changing request from another site"),
        (404, "no run for this tab"),
        (413, "a body over the limit"),
        (415, "a body that is not application/json"),
        (429, "every tab's place is taken by an open tab"),
    )
}
"""What any route may answer besides its own reply (the guard's refusals included)."""


def create_app(
    base: Scenario,
    workers: int | None = None,
    idle_s: float = IDLE_S,
    hosts: Iterable[str] = LOCAL_NAMES,
) -> FastAPI:
    """The app for one scenario, answering the host names ``hosts`` only (see
    :func:`.guard.allowed_hosts`); its sessions stop (and their workers die) when it stops."""
    sessions = Sessions(workers, idle_s)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await run_in_threadpool(sessions.close)

    app = FastAPI(
        title="mrasim explore",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        responses=ERRORS,
    )
    app.add_middleware(Guard, hosts=hosts)
    app.add_middleware(Speaking)  # outside the guard: its refusals are said in the language too
    app.state.sessions = sessions
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.exception_handler(Problem)
    async def problem(request: Request, exc: Problem) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error in %s %s", request.method, request.url.path)
        message = _("internal error ({error}); the server goes on").format(
            error=f"{type(exc).__name__}: {exc}"
        )
        return JSONResponse({"error": message.splitlines()[0]}, status_code=500)

    @app.exception_handler(TooManyTabs)
    async def too_many(request: Request, exc: TooManyTabs) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=429)

    @app.get("/", include_in_schema=False)
    async def page() -> HTMLResponse:
        """The page, in the request's language (its static words filled in by the server)."""
        return HTMLResponse(page_html(), headers={"Cache-Control": "no-store"})

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly_js() -> FileResponse:
        """The copy of plotly.js installed with the plotly package: the page needs no network."""
        return FileResponse(PLOTLY_JS, media_type="text/javascript")

    @app.get("/report.css", include_in_schema=False)
    async def report_css() -> Response:
        return Response(REPORT_STYLE, media_type="text/css")

    @app.get("/api/scenario")
    async def scenario() -> dict[str, Any]:
        return {**describe(base), "language": active()}  # its labels in the request's words

    @app.post("/api/run", openapi_extra={"requestBody": RUN_BODY})
    async def start(request: Request) -> dict[str, int]:
        body = await _json_body(request)
        session = sessions.get(_session_id(body.get("session")), create=True)
        assert session is not None
        run = await run_in_threadpool(_start, base, session, body.get("controls", {}))
        return {"run": run}

    @app.get("/api/state")
    async def state(session: str = "", have: str = "") -> dict[str, Any]:
        snapshot = _snapshot_of(sessions, session)
        return await run_in_threadpool(_state, sessions.get(session), snapshot, have)

    @app.get("/api/figures")
    async def figures(session: str = "") -> dict[str, Any]:
        snapshot = _snapshot_of(sessions, session)
        tab = sessions.get(session)
        assert tab is not None
        html = await run_in_threadpool(_rendered, tab, "figures", snapshot, _figures_html)
        return {
            "version": _version(snapshot),
            "run": snapshot.run,
            "done": snapshot.done,
            "html": html,
        }

    @app.get("/api/scenario.yaml", response_class=Response, responses=YAML_REPLY)
    async def scenario_yaml(session: str = "") -> Response:
        snapshot = _snapshot_of(sessions, session)
        text = await run_in_threadpool(snapshot.setting.yaml)
        name = f"{snapshot.setting.base.name}-explore.yaml"
        return Response(
            text,
            media_type="application/yaml",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


YAML_REPLY: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the tab's setting as a scenario file",
        "content": {"application/yaml": {"schema": {"type": "string"}}},
    }
}
RUN_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RunRequest"}}},
}
"""/api/run reads its body itself (to say what is wrong in the page's words); the schema says
what it takes."""


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, with the models of /api/run's body among its components."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, routes=app.routes, openapi_version="3.1.0"
        )
        body = RunRequest.model_json_schema(ref_template="#/components/schemas/{model}")
        models = schema.setdefault("components", {}).setdefault("schemas", {})
        models.update(body.pop("$defs", {}))
        models["RunRequest"] = body
        app.openapi_schema = schema
    return app.openapi_schema


def describe(base: Scenario) -> dict[str, Any]:
    """What the controls offer for this scenario, and its own values."""
    servers = servers_of(base)
    return {
        "name": base.name,
        "description": base.description,
        "utilisation": base.arrangement.utilisation,
        "in_force": base.arrangement.in_force,
        "seed": base.seed,
        "countries": [
            {
                "code": code,
                "name": country_name(code),
                "modes": modes_of(base, [code]),
                "stations": [{"name": name, "servers": servers[code][name]} for name in stations],
            }
            for code, stations in station_types(base).items()
        ],
        "modes": modes_of(base),
        "grants": [
            {"name": g, "label": _(GRANT_LABELS[g]), "scenario": grant_state(base, g)}
            for g in GRANTS
        ],
        "control": control_state(base),
        "uncertain_inputs": count_uncertain(base),
    }


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError as exc:
        raise Problem(
            400, _("the request's body is not JSON ({error})").format(error=exc)
        ) from None
    if not isinstance(body, dict):
        example = '{"session": "...", "controls": {...}}'
        raise Problem(400, _("send a JSON object: {example}").format(example=example))
    return body


def _session_id(value: Any) -> str:
    if not isinstance(value, str) or not SESSION_ID.match(value):
        raise Problem(400, _("session: give the tab's id (8 to 64 letters, digits, - or _)"))
    return value


def _start(base: Scenario, session: Session, controls: Any) -> int:
    try:
        setting = build(base, controls_from(controls))
    except InvalidControl as exc:
        raise Problem(400, str(exc)) from None
    return session.start(setting)


def _snapshot_of(sessions: Sessions, ident: str) -> Snapshot:
    session = sessions.get(_session_id(ident))
    snapshot = session.snapshot() if session is not None else None
    if snapshot is None:
        raise Problem(
            404, _("no run for this tab (it may have been idle too long): reload the page")
        )
    return snapshot


def _version(snapshot: Snapshot) -> str:
    return "-".join(str(part) for part in snapshot.version)


def _state(session: Session | None, snapshot: Snapshot, have: str) -> dict[str, Any]:
    assert session is not None
    version = _version(snapshot)
    reply: dict[str, Any] = {
        "run": snapshot.run,
        "state": snapshot.state,
        "done": snapshot.done,
        "target": snapshot.target,
        "version": version,
        "progress": render.progress_text(snapshot),
        "error": snapshot.error,
        "first_numbers_s": snapshot.first_numbers_s,
        "command": snapshot.setting.command_text(),
        "command_note": snapshot.setting.command_note(),
    }
    if have != version:
        reply["html"] = _rendered(session, "numbers", snapshot, render.numbers_html)
    return reply


def _figures_html(snapshot: Snapshot) -> str:
    return render.figures_html(snapshot)


def _rendered(session: Session, kind: str, snapshot: Snapshot, draw: Any) -> str:
    """A snapshot drawn once per version and language, and kept for the next request of the
    same tab."""
    version = _version(snapshot)
    key = f"{kind} {active()}"
    kept = session.rendered.get(key)
    if kept is not None and kept[0] == version:
        return kept[1]
    try:
        html = draw(snapshot)
    except Exception as exc:
        log.exception("rendering %s of run %d failed", kind, snapshot.run)
        what = _("the figures") if kind == "figures" else _("the numbers")
        said = _("Could not draw {what}: {error}").format(
            what=what, error=f"{type(exc).__name__}: {exc}"
        )
        html = f'<p class="error">{escape(said)}</p>'
    session.rendered[key] = (version, html)
    return html
