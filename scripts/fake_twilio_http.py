"""The fake Twilio API's HTTP side (scripts/fake_twilio.py and its siblings are the Twilio
model): a request read into a ``Call`` from aiohttp or from WSGI, and an ``Answer`` written
back to either.

Cheap on purpose: the fake runs on the machine whose sends it measures, so an API request is
read without a WSGI environ or a werkzeug ``Request`` (its urlencoded form is parsed here as
werkzeug parses it) and answered with aiohttp's own ``Response``, by aiohttp's low-level
server (no Application, no router).
"""
from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Awaitable, Callable
from urllib.parse import parse_qsl, unquote, unquote_to_bytes

from aiohttp import web
from werkzeug.datastructures import Authorization, ImmutableMultiDict
from werkzeug.formparser import FormDataParser
from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request, Response

MAX_BODY = 4 * 1024 * 1024
_JSON = "application/json"


class Call:
    """One request as the fake reads it: method, path (as werkzeug has it), query string,
    Authorization header, content type, body; ``form`` parsed when first read."""

    __slots__ = ("_form", "authorization", "body", "content_type", "method", "path", "query")

    def __init__(self, method: str, path: str, query: str, authorization: str | None,
                 content_type: str, body: bytes, form=None):
        self.method, self.path, self.query = method, "/" + path.lstrip("/"), query
        self.authorization, self.content_type, self.body, self._form = authorization, content_type, body, form

    @property
    def form(self):
        """The form, read like werkzeug's ``Request.form`` (``get``, ``getlist``, ``lists``)."""
        if self._form is None:
            self._form = parse_form(self.content_type, self.body)
        return self._form

    @property
    def args(self) -> ImmutableMultiDict:
        return ImmutableMultiDict(parse_qsl(self.query, keep_blank_values=True, errors="werkzeug.url_quote"))

    @property
    def full_path(self) -> str:
        return f"{self.path}?{self.query}"

    def auth(self) -> Authorization | None:
        return Authorization.from_header(self.authorization)

    def json(self):
        """The body as JSON, or None (werkzeug's ``get_json(silent=True)``)."""
        mimetype = self.content_type.partition(";")[0].strip().lower()
        if not (mimetype == _JSON or (mimetype.startswith("application/") and mimetype.endswith("+json"))):
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None


class Answer:
    """A response: status, JSON bytes, headers; ``ready`` (if any) is set once it is written."""

    __slots__ = ("body", "headers", "ready", "status")

    def __init__(self, status: int, body: bytes, headers: dict | None = None):
        self.status, self.body = status, body
        self.headers: dict = {"Content-Type": _JSON, **headers} if headers else {"Content-Type": _JSON}
        self.ready: threading.Event | None = None


def parse_form(content_type: str, body: bytes):
    """The form as werkzeug's ``Request.form`` has it; a urlencoded one (every API call) parsed directly."""
    if not body:
        return _NO_FORM
    if content_type.partition(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            return Form(body.decode())
        except ValueError:
            return _NO_FORM
    mimetype, options = parse_options_header(content_type)
    parser = FormDataParser(max_form_memory_size=Request.max_form_memory_size, max_form_parts=Request.max_form_parts,
                            cls=ImmutableMultiDict)
    return parser.parse(io.BytesIO(body), mimetype.lower(), len(body), options)[1]


class Form:
    """A urlencoded form read like werkzeug's ``MultiDict`` (``get``: the first value, ``getlist``,
    ``lists``) and parsed as werkzeug parses it (``parse_qsl`` with blank values kept), for less."""

    __slots__ = ("_lists",)

    def __init__(self, text: str = ""):
        lists = self._lists = {}
        for pair in text.split("&") if text else ():
            if pair:
                name, _, value = pair.partition("=")
                name, value = _unquote(name.replace("+", " ")), _unquote(value.replace("+", " "))
                if name in lists:
                    lists[name].append(value)
                else:
                    lists[name] = [value]

    def get(self, key: str, default=None):
        values = self._lists.get(key)
        return values[0] if values else default

    def getlist(self, key: str) -> list:
        return list(self._lists.get(key, ()))

    def lists(self):
        return ((key, list(values)) for key, values in self._lists.items())


def _unquote(text: str) -> str:
    """``urllib.parse.unquote`` with werkzeug's error handler (bad bytes stay %-encoded);
    an ASCII text, every field of a client's form, in one step as unquote would take it."""
    if "%" not in text:
        return text
    if text.isascii():
        return unquote_to_bytes(text).decode("utf-8", "werkzeug.url_quote")
    return unquote(text, errors="werkzeug.url_quote")


_NO_FORM = Form()


# -- aiohttp ---------------------------------------------------------------------------
def runner(handler: Callable[[web.BaseRequest], Awaitable[web.StreamResponse]],
           loop: asyncio.AbstractEventLoop) -> web.ServerRunner:
    """aiohttp's low-level server: every request comes to ``handler``; bodies up to 4 MB."""
    def request(message, payload, protocol, writer, task) -> web.BaseRequest:
        return web.BaseRequest(message, payload, protocol, writer, task, loop, client_max_size=MAX_BODY)

    server = web.Server(handler, loop=loop, access_log=None, request_factory=request)
    return web.ServerRunner(server, handle_signals=False)


async def read(request: web.BaseRequest) -> Call:
    headers = request.headers
    if headers.get("Expect"):
        await _expect(request)
    return Call(request.method, request.path, request.query_string, headers.get("Authorization"),
                headers.get("Content-Type", ""), await request.read())


async def write(request: web.BaseRequest, answer: Answer) -> web.StreamResponse:
    response = web.Response(body=answer.body, status=answer.status, headers=answer.headers)
    try:
        await response.prepare(request)
        await response.write_eof()
    finally:
        if answer.ready is not None:
            answer.ready.set()  # written: the status callbacks of a create may go now
    return response


async def _expect(request: web.BaseRequest) -> None:
    """``Expect: 100-continue`` answered, any other Expect refused, as an aiohttp Application does."""
    if request.version == (1, 1):
        if request.headers["Expect"].lower() != "100-continue":
            raise web.HTTPExpectationFailed(text=f"Unknown Expect: {request.headers['Expect']}")
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        request.writer.output_size = 0
    await request.writer.drain()


# -- WSGI (the fake mounted in-process) ---------------------------------------------------
def wsgi_call(environ: dict) -> Call:
    request = Request(environ)
    control = request.path.startswith("/_fake/")  # JSON in: the body, not a form
    return Call(request.method, request.path, request.query_string.decode(), request.headers.get("Authorization"),
                request.content_type or "", request.get_data() if control else b"", None if control else request.form)


def wsgi_answer(answer: Answer, environ: dict, start_response):
    response = Response(answer.body, answer.status, answer.headers)
    if answer.ready is not None:
        response.call_on_close(answer.ready.set)
    return response(environ, start_response)
