"""`GET /api/v1/openapi.json` and `GET /api/v1/docs` through the real server on a loopback
port, and the schema maker they are made with (`orchestrator.api._schema`)."""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

import attrs
import httpx
import pytest
from openapi_spec_validator import validate

from orchestrator.api import Access
from orchestrator.api._accounts import AccountQuery
from orchestrator.api._create import CreateTasks
from orchestrator.api._openapi import declaration
from orchestrator.api._render import TaskView
from orchestrator.api._schema import Schemas
from orchestrator.converter import Range
from orchestrator.plans import Plan, default_plan, plan_named
from scripts import SCRIPTS

from .conftest import DEADLINE, AppAndCore

TOKEN = "t0ken-for-docs"


async def _serve(farm: AppAndCore, *, plan: Plan | None = None,
                 access: Access | None = None) -> str:
    app = farm.app(plan=plan or default_plan(), access=access or Access())
    return f"{await farm.serve(app)}/api/v1"


@pytest.fixture
async def base_url(farm: AppAndCore) -> str:
    return await _serve(farm)


@pytest.fixture
async def document(base_url: str) -> dict[str, Any]:
    answer = await _get(f"{base_url}/openapi.json")
    assert answer.headers["content-type"] == "application/json"
    found: dict[str, Any] = answer.json()
    return found


async def _get(url: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=DEADLINE) as client:
        return await client.get(url, headers=headers)


def _resolve(document: Mapping[str, Any], schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """`schema`, or what its `$ref` points to."""
    ref = schema.get("$ref")
    if ref is None:
        return schema
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return _resolve(document, node)


def _data(document: Mapping[str, Any], path: str, method: str) -> Mapping[str, Any]:
    """The schema of `data` in the success answer of an operation."""
    answer = document["paths"][path][method]["responses"]["200"]
    envelope = answer["content"]["application/json"]["schema"]
    assert envelope["required"] == ["code", "message", "data"]
    assert envelope["properties"]["code"] == {"const": 0}
    return _resolve(document, envelope["properties"]["data"])


class TestDocument:
    async def test_is_valid_openapi_31(self, document: dict[str, Any]) -> None:
        """The document passes the OpenAPI 3.1 validator (its JSON Schema 2020-12 too)."""
        assert document["openapi"] == "3.1.0"
        validate(document)

    async def test_every_route_is_in_it(self, farm: AppAndCore, document: dict[str, Any]) -> None:
        """Every route of the app but Quart's own `static` declares itself, and is in the
        document with each of its methods (HEAD and OPTIONS are Quart's)."""
        app = farm.app()
        seen = set()
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            assert declaration(app.view_functions[rule.endpoint]) is not None, rule
            path = re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule)
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                assert method.lower() in document["paths"][path], (method, path)
                seen.add((method.lower(), path))
        documented = {(method, path) for path, operations in document["paths"].items()
                      for method in operations}
        assert documented == seen
        assert {("get", "/api/v1/openapi.json"), ("get", "/api/v1/docs"),
                ("post", "/api/v1/task"), ("get", "/api/v1/devices"),
                ("post", "/api/v1/accounts/import"), ("post", "/api/v1/materials")} <= seen

    async def test_create_body_is_the_facade_class(self, document: dict[str, Any]) -> None:
        """`POST /task`'s body has `CreateTasks`' fields; `script_config` is one of every
        script's config class (each a component), `script_name` one of their names."""
        body = document["paths"]["/api/v1/task"]["post"]["requestBody"]
        schema = body["content"]["application/json"]["schema"]
        assert list(schema["properties"]) == [field.name for field in attrs.fields(CreateTasks)]
        assert schema["properties"]["min_interval"] == {"type": "integer", "format": "int64",
                                                        "minimum": 0, "default": 0}
        assert schema["properties"]["script_name"]["enum"] == list(SCRIPTS)
        configs = schema["properties"]["script_config"]["anyOf"]
        names = {spec.script.config_class.__name__ for spec in SCRIPTS.values() if spec.script}
        assert {option["$ref"].rpartition("/")[2] for option in configs} == names
        follow = document["components"]["schemas"]["FollowConfig"]
        assert "additionalProperties" not in follow  # unknown keys are kept, as the API says
        assert follow["properties"]["access_method"] == {
            "type": "string", "enum": ["direct", "search"], "default": "direct"}

    async def test_answers_are_the_facade_classes(self, document: dict[str, Any]) -> None:
        data = _data(document, "/api/v1/task/{task_id}", "get")
        assert list(data["properties"]) == [field.name for field in attrs.fields(TaskView)]
        assert data["required"] == list(data["properties"])
        assert data["properties"]["end_time"] == {"anyOf": [{"type": "string"},
                                                            {"type": "null"}]}
        page = _data(document, "/api/v1/task", "get")
        assert _resolve(document, page["properties"]["tasks"]["items"]) == data
        assert set(_data(document, "/api/v1/task/stats", "get")["properties"]) == {
            "total", "pending", "running", "completed", "failed"}
        assert set(_data(document, "/api/v1/license/check", "get")["properties"]) == {
            "plan_name", "api_enabled", "device_limit", "message"}

    async def test_queries_and_paths(self, document: dict[str, Any]) -> None:
        """Query parameters are the query class's fields (None is absence: never null);
        an id in the path is a non-negative 64-bit integer."""
        parameters = {p["name"]: p for p in document["paths"]["/api/v1/accounts"]["get"][
            "parameters"]}
        assert list(parameters) == [field.name for field in attrs.fields(AccountQuery)]
        assert parameters["page_size"]["schema"] == {"type": "integer", "format": "int64",
                                                     "minimum": 1, "maximum": 100,
                                                     "default": 20}
        assert parameters["platform"] == {"name": "platform", "in": "query", "required": False,
                                          "schema": {"type": "string",
                                                     "enum": ["tiktok", "instagram"]}}
        [task_id] = document["paths"]["/api/v1/task/{task_id}"]["get"]["parameters"]
        assert task_id == {"name": "task_id", "in": "path", "required": True,
                           "schema": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}}

    async def test_other_bodies(self, document: dict[str, Any]) -> None:
        """Uploads are multipart with `file` parts; an import is a JSON array or CSV; a
        change of an account takes any of its fields."""
        upload = document["paths"]["/api/v1/materials"]["post"]["requestBody"]["content"]
        form = upload["multipart/form-data"]["schema"]
        assert form["required"] == ["file"]
        assert form["properties"]["file"]["items"] == {"type": "string", "format": "binary"}
        assert set(form["properties"]) == {"tag", "replace", "file"}
        imports = document["paths"]["/api/v1/accounts/import"]["post"]["requestBody"]["content"]
        assert set(imports) == {"application/json", "text/csv"}
        assert imports["application/json"]["schema"]["items"] == {
            "$ref": "#/components/schemas/AccountBody"}
        change = document["paths"]["/api/v1/accounts/{account_id}"]["put"]["requestBody"]
        assert "required" not in change["content"]["application/json"]["schema"]

    async def test_error_answers(self, document: dict[str, Any]) -> None:
        """Every operation may answer 40101 (with `WWW-Authenticate: Bearer`), 40301 and
        50001; those that read input 40001, those with an id 40401; those that ask the
        scheduler 50301 (with `Retry-After`); `POST /task` 40002 and 40003 too. Each is
        the envelope."""
        codes: dict[str, list[int]] = {}
        for name, answer in document["components"]["responses"].items():
            schema = answer["content"]["application/json"]["schema"]
            assert schema["required"] == ["code", "message", "data"]
            codes[name] = schema["properties"]["code"]["enum"]
        assert document["components"]["responses"]["Unauthorized"]["headers"] == {
            "www-authenticate": {"required": True, "schema": {"type": "string",
                                                              "const": "Bearer"}}}

        def answers(path: str, method: str) -> dict[str, list[int]]:
            refs = document["paths"][path][method]["responses"]
            return {status: codes[ref["$ref"].rpartition("/")[2]]
                    for status, ref in refs.items() if status != "200"}

        always = {"401": [40101], "403": [40301], "500": [50001]}
        busy = {"503": [50301]}
        assert answers("/api/v1/devices", "get") == {**always, **busy}
        assert answers("/api/v1/task", "get") == {**always, "400": [40001]}
        assert answers("/api/v1/task", "post") == {**always, **busy,
                                                   "400": [40001, 40002, 40003]}
        assert answers("/api/v1/task/{task_id}", "get") == {**always, "404": [40401]}
        assert answers("/api/v1/task/{task_id}/stop", "post") == {
            **always, **busy, "400": [40001], "404": [40401]}
        assert document["components"]["responses"]["Unavailable"]["headers"] == {
            "retry-after": {"required": True, "schema": {"type": "string", "const": "1"}}}
        assert document["security"] == [{}, {"bearer": []}]


class TestSchemas:
    """The schema maker on classes of its own."""

    class Color(enum.Enum):
        RED = "red"
        ANY = -1

    @attrs.frozen(kw_only=True)
    class Inner:
        """Why an inner class."""

        name: str

    @attrs.frozen(kw_only=True)
    class Outer:
        count: Annotated[int, Range(1, 9)]
        ratio: float = 0.5
        flag: bool = False
        color: TestSchemas.Color = attrs.field(factory=lambda: TestSchemas.Color.RED)
        kind: Literal["a", "b"] = "a"
        inner: TestSchemas.Inner | None = None
        many: Sequence[TestSchemas.Inner] = ()
        pair: tuple[int, str] = (1, "x")
        words: tuple[str, ...] | str = ()
        extra: Mapping[str, Any] = attrs.Factory(dict)
        scores: dict[str, int] = attrs.Factory(dict)
        anything: Any = None

    def test_fields(self) -> None:
        schemas = Schemas()
        assert schemas.of(self.Outer) == {"$ref": "#/components/schemas/Outer"}
        inner = {"$ref": "#/components/schemas/Inner"}
        assert schemas.components["Outer"] == {"type": "object", "required": ["count"],
                                               "properties": {
            "count": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9},
            "ratio": {"type": "number", "default": 0.5},
            "flag": {"type": "boolean", "default": False},
            "color": {"enum": ["red", -1], "default": "red"},
            "kind": {"type": "string", "enum": ["a", "b"], "default": "a"},
            "inner": {"anyOf": [inner, {"type": "null"}], "default": None},
            "many": {"type": "array", "items": inner, "default": []},
            "pair": {"type": "array", "items": False, "default": [1, "x"],
                     "prefixItems": [{"type": "integer", "format": "int64"},
                                     {"type": "string"}]},
            "words": {"anyOf": [{"type": "array", "items": {"type": "string"}},
                                {"type": "string"}], "default": []},
            "extra": {"type": "object", "default": {}},
            "scores": {"type": "object", "default": {},
                       "additionalProperties": {"type": "integer", "format": "int64"}},
            "anything": {"default": None},
        }}
        assert schemas.components["Inner"] == {
            "type": "object", "required": ["name"], "description": "Why an inner class.",
            "properties": {"name": {"type": "string"}}}

    def test_same_names_get_their_module(self) -> None:
        """Two classes of one name (each route module has its `ListQuery`) stay apart."""
        from orchestrator.api._materials import ListQuery as MaterialQuery
        from orchestrator.api._tasks import ListQuery as TaskQuery

        schemas = Schemas()
        assert schemas.of(TaskQuery) == {"$ref": "#/components/schemas/ListQuery"}
        assert schemas.of(MaterialQuery) == {"$ref": "#/components/schemas/MaterialsListQuery"}
        assert schemas.of(TaskQuery) == {"$ref": "#/components/schemas/ListQuery"}

    def test_unknown_types_are_refused(self) -> None:
        with pytest.raises(TypeError, match="no JSON Schema"):
            Schemas().of(set[int])


class TestDocsPage:
    async def test_works_offline(self, base_url: str) -> None:
        """The page names only files this server serves (no CDN), each with its media
        type, and points Swagger UI at the document."""
        page = await _get(f"{base_url}/docs")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert 'data-url="/api/v1/openapi.json"' in page.text
        links = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert len(links) == 4
        origin = base_url.removesuffix("/api/v1")
        for link in links:
            assert link.startswith("/api/v1/docs/"), link
            asset = await _get(origin + link)
            assert asset.status_code == 200, link
            media = {"css": "text/css", "js": "text/javascript", "png": "image/png"}[
                link.rpartition(".")[2]]
            assert asset.headers["content-type"].startswith(media)
        bundle = await _get(f"{base_url}/docs/swagger-ui-bundle.js")
        assert b"SwaggerUIBundle" in bundle.content
        assert (await _get(f"{base_url}/docs/")).text == page.text

    async def test_other_files_are_not_served(self, base_url: str) -> None:
        """Only the page's own files: anything else is 40401, the envelope."""
        for name in ["index.html", "..%2F_app.py", "swagger-ui.js.map", "docs-init.js"]:
            answer = await _get(f"{base_url}/docs/{name}")
            assert (answer.status_code, answer.json()["code"]) == (404, 40401), name

    async def test_behind_the_plan_gate(self, farm: AppAndCore) -> None:
        """A Starter plan has no API: the document and the page answer 40301 too."""
        base_url = await _serve(farm, plan=plan_named("starter"))
        for path in ["openapi.json", "docs", "docs/swagger-ui.css"]:
            answer = await _get(f"{base_url}/{path}")
            assert (answer.status_code, answer.json()["code"]) == (403, 40301), path

    async def test_behind_the_token(self, farm: AppAndCore) -> None:
        base_url = await _serve(farm, access=Access(token=TOKEN))
        answer = await _get(f"{base_url}/openapi.json")
        assert (answer.status_code, answer.json()["code"]) == (401, 40101)
        answer = await _get(f"{base_url}/openapi.json", Authorization=f"Bearer {TOKEN}")
        assert answer.json()["openapi"] == "3.1.0"
