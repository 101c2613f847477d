from __future__ import annotations

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.di import NamedDependency
from litestar.params import SkipValidation
from msgspec import Struct

from application.ports import HealthProbe
from entrypoints.http.auth import NO_KEY, OPEN


class LiveOut(Struct):
    status: str


class ReadyOut(Struct):
    status: str
    checks: dict[str, str]


class HealthController(Controller):
    path = "/health"
    opt = OPEN
    security = NO_KEY
    tags = ["operations"]

    @get("/live")
    async def live(self) -> LiveOut:
        return LiveOut(status="ok")

    @get("/ready", responses={503: ResponseSpec(ReadyOut, description="A dependency is not ready")})
    async def ready(self, health: NamedDependency[SkipValidation[HealthProbe]]) -> Response[ReadyOut]:
        """200 when every check is ok, else 503 with the failing checks' reasons."""
        checks = await health.check()
        ok = all(result == "ok" for result in checks.values())
        return Response(ReadyOut(status="ok" if ok else "unavailable", checks=checks), status_code=200 if ok else 503)
