"""The `/materials` routes: the host's library of media files that `post` draws from
(`material_source: materialLibrary`, `materials_tags`).

A file is addressed as `/materials/{tag}/{name}`, where the tag `_` is the untagged
root; `?tag=_` lists the root's files. A tag and a file name are single path segments.

An upload (`POST /materials`, multipart/form-data) is at most `MAX_UPLOAD_BYTES`, 2 GiB,
all its parts together, and may take up to an hour to arrive; every other body of the API
is at most 1 MiB (`_body`). A larger one is 40001 naming the limit.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated

import attrs
from quart import Blueprint, Response, request

from scripts._materials import Material, MaterialLibrary, MaterialNotFound, MaterialRefused

from ..converter import Range
from ..errors import InvalidParams, NotFound
from ._body import takes_body
from ._idempotency import Idempotency
from ._openapi import Doc
from ._wire import Paging, envelope, read_body, read_form, read_query

__all__ = ["MAX_UPLOAD_BYTES", "material_routes"]

#: The largest request body the app takes: one upload of videos, all parts together.
MAX_UPLOAD_BYTES = 2 * 1024**3
#: Seconds an upload may take to arrive (Quart's default, 60, is short for videos).
UPLOAD_SECONDS = 3600


class Kind(enum.StrEnum):
    VIDEO = "video"
    IMAGE = "image"


@attrs.frozen(kw_only=True)
class ListQuery(Paging):
    """The query of `GET /materials`; `used` is 0 or 1."""

    tag: str | None = None
    kind: Kind | None = None
    used: Annotated[int, Range(0, 1)] | None = None


@attrs.frozen(kw_only=True)
class UploadForm:
    """The form fields of `POST /materials` besides its `file` parts."""

    tag: str = ""
    replace: Annotated[int, Range(0, 1)] = 0


@attrs.frozen(kw_only=True)
class Retag:
    """The body of `PUT /materials/{tag}/{name}`; `""` is the untagged root."""

    tag: str


@attrs.frozen(kw_only=True)
class ResetUsed:
    """The body of `POST /materials/reset-used`; no tag: the whole library."""

    tag: str | None = None


@attrs.frozen(kw_only=True)
class MaterialPage:
    materials: Sequence[Material]
    total: int
    page: int
    page_size: int


@attrs.frozen(kw_only=True)
class Uploaded:
    materials: Sequence[Material]
    uploaded_count: int


@attrs.frozen(kw_only=True)
class Reset:
    reset_count: int


@contextmanager
def _library_errors() -> Iterator[None]:
    """The library's refusals as the API's errors."""
    try:
        yield
    except MaterialRefused as exc:
        raise InvalidParams(str(exc)) from exc
    except MaterialNotFound as exc:
        raise NotFound(str(exc)) from exc


def material_routes(materials: MaterialLibrary, idempotent: Idempotency) -> Blueprint:
    """The `/materials` routes on `materials`; an upload takes an `Idempotency-Key`."""
    routes = Blueprint("materials", __name__)

    @routes.post("/materials")
    @Doc(summary="Upload files to the library", form=UploadForm, files="file",
         answer=Uploaded)
    @takes_body(MAX_UPLOAD_BYTES, seconds=UPLOAD_SECONDS)
    @idempotent
    async def upload() -> Response:
        form = await read_form(UploadForm)
        files = (await request.files).getlist("file")
        if not files:
            raise InvalidParams("$.file: a multipart/form-data body with at least one "
                                "`file` part is required")
        with _library_errors():
            stored = await materials.add(
                form.tag, [(part.filename or "", part.stream) for part in files],
                replace=bool(form.replace))
        return envelope(Uploaded(materials=stored, uploaded_count=len(stored)))

    @routes.get("/materials")
    @Doc(summary="List the library (filtered, paged)", query=ListQuery,
         answer=MaterialPage)
    async def list_materials() -> Response:
        query = read_query(ListQuery)
        with _library_errors():
            found = await materials.catalog(
                tag=query.tag, kind=query.kind,
                used=None if query.used is None else bool(query.used))
        return envelope(MaterialPage(materials=found[query.offset:query.offset + query.page_size],
                                     total=len(found), page=query.page,
                                     page_size=query.page_size))

    @routes.put("/materials/<tag>/<name>")
    @Doc(summary="Move a file to another tag", body=Retag, answer=Material)
    async def retag(tag: str, name: str) -> Response:
        body = await read_body(Retag)
        with _library_errors():
            return envelope(await materials.move(tag, name, body.tag))

    @routes.delete("/materials/<tag>/<name>")
    @Doc(summary="Delete a file", answer=Material, errors=(InvalidParams,))
    async def delete(tag: str, name: str) -> Response:
        with _library_errors():
            return envelope(await materials.delete(tag, name))

    @routes.post("/materials/reset-used")
    @Doc(summary="Mark files unused again (a tag's, or all)", body=ResetUsed,
         answer=Reset)
    async def reset_used() -> Response:
        body = await read_body(ResetUsed)
        with _library_errors():
            return envelope(Reset(reset_count=await materials.reset(body.tag)))

    return routes
