"""Documented operations: one decorator that routes, parses, serialises and describes.

``@operation(...)`` is the only way a view joins the API. It registers the Flask rule and
records an ``Operation``; ``build_document`` turns those records and the pydantic models
of ``schemas.py`` into the OpenAPI 3.1 document at ``/api/v1/openapi.json``. Because the
same record drives the routing, the input parsing (query string, JSON body, path ids) and
the output serialisation, the document describes what the code does rather than what
someone remembered to write down: a route cannot exist undocumented, and a response
cannot have a field the schema lacks.

Two undocumented helpers make the whole ``/api/v1`` tree answer in the API's own error
shape: any other method on a documented path is a 405 with ``Allow`` (and OPTIONS lists
exactly the documented methods), and any other path is a 404.
"""
from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass

from flask import jsonify, request
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.json_schema import models_json_schema

from app.web.api import bp
from app.web.api.auth import current_user
from app.web.api.errors import ApiError, not_found, validation_details
from app.web.api.schemas import MAX_ID, DbId, Error

API_VERSION = "1"
REF = "#/components/schemas/{model}"
_PATH_VAR = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_ID = TypeAdapter(DbId)
ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "QUERY")
HELPER_ENDPOINTS = ("method_not_allowed", "no_such_path")


@dataclass
class Operation:
    method: str
    rule: str
    endpoint: str
    summary: str
    description: str
    response: type[BaseModel] | None
    status: int
    query: type[BaseModel] | None
    body: type[BaseModel] | None
    roles: tuple[str, ...] | None
    public: bool

    @property
    def path(self) -> str:
        return (bp.url_prefix or "") + _PATH_VAR.sub(r"{\1}", self.rule)

    @property
    def path_params(self) -> list[str]:
        return _PATH_VAR.findall(self.rule)

    @property
    def refers(self) -> bool:
        """Whether a query or body field names another object (``*_id``, ``module_key``)."""
        fields = [*(self.query.model_fields if self.query else ()),
                  *(self.body.model_fields if self.body else ())]
        return any(name.endswith(("_id", "_key")) for name in fields)

    @property
    def error_statuses(self) -> list[int]:
        statuses = {400} if self.body else set()
        if not self.public:
            statuses.add(401)
        if self.roles:
            statuses.add(403)
        if self.path_params or self.refers:
            statuses.add(404)  # the object, or one a filter or body field names, is out of sight
        if self.query or self.body:
            statuses.add(422)
        return sorted(statuses)


OPERATIONS: dict[str, Operation] = {}


def is_public(endpoint: str | None) -> bool:
    name = (endpoint or "").rpartition(".")[2]
    return name in HELPER_ENDPOINTS or (name in OPERATIONS and OPERATIONS[name].public)


def _parse(model: type[BaseModel], data, where: str):
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(422, "invalid_request", f"The {where} is not valid.",
                       details=validation_details(exc, where)) from None


def _json_body():
    data = request.get_json(force=True, silent=True)
    if data is None:
        raise ApiError(400, "bad_request", "The body must be a JSON object (Content-Type: application/json).")
    return data


def _path_id(value: str) -> int:
    """Path ids are parsed here, not by Flask's converter, so a bad one is the API's own 404."""
    try:
        return _ID.validate_python(int(value) if value.isdigit() else value)
    except (ValidationError, ValueError):
        raise not_found() from None


def operation(method: str, rule: str, *, response: type[BaseModel] | None, status: int = 200,
              query: type[BaseModel] | None = None, body: type[BaseModel] | None = None,
              roles: tuple[str, ...] | None = None, public: bool = False):
    """Route ``method rule`` to the view and document it.

    The view receives path ids as ``int``, ``query=`` and ``body=`` as parsed models, and
    returns an instance of ``response`` (or ``(instance, headers)``); ``response=None``
    passes a plain dict through (the OpenAPI document itself).
    """

    def decorator(view: Callable):
        doc = inspect.cleandoc(view.__doc__ or "")
        summary, _, description = doc.partition("\n")
        op = Operation(method=method.upper(), rule=rule, endpoint=view.__name__, summary=summary.strip(),
                       description=description.strip(), response=response, status=status, query=query,
                       body=body, roles=roles, public=public)
        if op.endpoint in OPERATIONS:
            raise ValueError(f"API operation {op.endpoint} is defined twice")
        OPERATIONS[op.endpoint] = op

        @functools.wraps(view)
        def wrapper(**path_values):
            if roles and current_user().role not in roles:
                raise ApiError(403, "forbidden", f"Only {' and '.join(roles)} users may do this.")
            kwargs = {name: _path_id(value) for name, value in path_values.items()}
            if query is not None:
                kwargs["query"] = _parse(query, request.args.to_dict(), "query")
            if body is not None:
                kwargs["body"] = _parse(body, _json_body(), "body")
            result, headers = view(**kwargs), {}
            if isinstance(result, tuple):
                result, headers = result
            if response is not None and not isinstance(result, response):
                raise TypeError(f"{op.endpoint} returned {type(result).__name__}, not {response.__name__}")
            out = jsonify(result.model_dump(mode="json") if response is not None else result)
            out.status_code = status
            out.headers.update(headers)
            return out

        bp.add_url_rule(rule, op.endpoint, wrapper, methods=[op.method], provide_automatic_options=False)
        return wrapper

    return decorator


def documented_methods(rule: str) -> list[str]:
    methods = {op.method for op in OPERATIONS.values() if op.rule == rule}
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods | {"OPTIONS"})


def _method_not_allowed(**_path_values):
    allow = ", ".join(documented_methods(request.url_rule.rule.removeprefix(bp.url_prefix or "")))
    if request.method == "OPTIONS":
        return "", 204, {"Allow": allow}
    raise ApiError(405, "method_not_allowed", f"{request.method} is not supported here.",
                   headers={"Allow": allow})


def _no_such_path(**_path_values):
    raise not_found("There is no such API path.")


def add_helper_routes() -> None:
    """Call once, after every ``@operation``: the 405/OPTIONS and 404 catch-alls."""
    for rule in dict.fromkeys(op.rule for op in OPERATIONS.values()):
        other = [m for m in ALL_METHODS if m not in documented_methods(rule) or m == "OPTIONS"]
        bp.add_url_rule(rule, "method_not_allowed", _method_not_allowed, methods=other,
                        provide_automatic_options=False)
    bp.add_url_rule("/<path:_rest>", "no_such_path", _no_such_path, methods=list(ALL_METHODS),
                    provide_automatic_options=False)


# ---- the document -----------------------------------------------------------------------

def _parameter_schema(schema: dict) -> dict:
    """A query field's JSON Schema without pydantic's ``null`` branch (absent means null)."""
    schema = {k: v for k, v in schema.items() if k not in ("title", "description")}
    if "anyOf" in schema:
        branches = [b for b in schema.pop("anyOf") if b != {"type": "null"}]
        schema = {**(branches[0] if len(branches) == 1 else {"anyOf": branches}), **schema}
    if schema.get("default", 0) is None:
        del schema["default"]
    return schema


def _parameters(op: Operation) -> list[dict]:
    params = [{"name": name, "in": "path", "required": True, "description": "The object's id.",
               "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID}} for name in op.path_params]
    if op.query is not None:
        schema = op.query.model_json_schema(ref_template=REF)
        for name, prop in schema["properties"].items():
            params.append({"name": name, "in": "query", "required": name in schema.get("required", ()),
                           "description": prop.get("description", ""), "schema": _parameter_schema(prop)})
    return params


ERROR_RESPONSES = {
    400: ("BadRequest", "The body is not a JSON object."),
    401: ("Unauthorized", "No API token, or not a valid one."),
    403: ("Forbidden", "Your role may not do this."),
    404: ("NotFound", "No such object among your sites (objects of other sites are not found either)."),
    422: ("Unprocessable", ("A parameter or body field is not valid (`details` says which), "
                            "or the request cannot be carried out.")),
}


def _error_response(status: int, ref: dict) -> dict:
    description = ERROR_RESPONSES[status][1]
    response = {"description": description, "content": {"application/json": {"schema": ref}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"required": True, "schema": {"type": "string"},
                                                    "description": "`Bearer realm=\"saathi\"`"}}
    return response


def _operation_object(op: Operation, refs: dict) -> dict:
    success = {"description": op.summary}
    success["content"] = {"application/json": {
        "schema": refs[(op.response, "serialization")] if op.response is not None else {"type": "object"}}}
    if op.status == 201:
        success["headers"] = {"Location": {"required": True, "schema": {"type": "string"},
                                           "description": "The new object's URL."}}
    obj = {"operationId": op.endpoint, "summary": op.summary, "tags": [op.rule.strip("/").split("/")[0]],
           "parameters": _parameters(op), "responses": {str(op.status): success}}
    if op.description:
        obj["description"] = op.description
    if op.body is not None:
        obj["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": refs[(op.body, "validation")]}}}
    if op.public:
        obj["security"] = []
    for status in op.error_statuses:
        obj["responses"][str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    return obj


@functools.lru_cache(maxsize=1)
def build_document() -> dict:
    """The OpenAPI 3.1 document of every ``@operation``, schemas from ``schemas.py``."""
    wanted = [(Error, "serialization")]
    for op in OPERATIONS.values():
        if op.response is not None:
            wanted.append((op.response, "serialization"))
        if op.body is not None:
            wanted.append((op.body, "validation"))
    refs, defs = models_json_schema(list(dict.fromkeys(wanted)), ref_template=REF)
    paths: dict[str, dict] = {}
    for op in sorted(OPERATIONS.values(), key=lambda o: (o.path, o.method)):
        paths.setdefault(op.path, {})[op.method.lower()] = _operation_object(op, refs)
    error_ref = refs[(Error, "serialization")]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Saathi API",
            "version": API_VERSION,
            "description": (
                "Read what staff see on the dashboard (sites, cohorts, learners, sessions, answers, "
                "feedback) and mark sessions as held. Every call needs `Authorization: Bearer <token>`; "
                "an admin creates tokens with `saathi tokens create --email USER`. You see only your "
                "sites' data (admins: all sites); phone numbers are masked except for admins. Lists "
                "are ordered by id and paged: pass `next_cursor` back as `cursor` until it is null."),
        },
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "responses": {name: _error_response(status, error_ref)
                          for status, (name, _) in ERROR_RESPONSES.items()},
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                               "description": "A token from `saathi tokens create`."}},
        },
        "security": [{"bearerAuth": []}],
    }
