"""Operations endpoints: liveness, readiness, metrics.

Each route is a thin decorated shell over an undecorated function of the same name with a
leading underscore, where mutmut 3 can reach the logic (docs/mutation.md, "Route handlers").
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from authsvc.deps import Ops
from authsvc.routes.base import JsonRoute, problem_responses
from authsvc.schemas import Health

__all__ = ["router"]

router = APIRouter(route_class=JsonRoute, tags=["ops"])


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Health:
    """The process is up and serving requests."""
    return await _healthz()


@router.get("/readyz", response_model=Health, summary="Readiness", responses=problem_responses(503))
async def readyz(ops: Ops) -> Health:
    """The database answers ``SELECT 1``; 503 otherwise."""
    return await _readyz(ops)


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics",
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
async def metrics(ops: Ops) -> Response:
    """Prometheus text exposition of the service's metrics."""
    return await _metrics(ops)


async def _healthz() -> Health:
    return Health()


async def _readyz(ops: Ops) -> Health:
    await ops.offload.db(ops.repo.ping)
    return Health()


async def _metrics(ops: Ops) -> Response:
    body, content_type = ops.metrics.render()
    return Response(content=body, media_type=content_type)
