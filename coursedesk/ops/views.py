"""Health, readiness and metrics endpoints for balancers, orchestrators and Prometheus.

/healthz: the process answers (the balancer's check; no database, so a database outage does not
take every node out at once). /readyz: the database, the cache and the task queue answer; the
replica is reported (up, lag) but a replica that is down only degrades, since reads fall back to
the primary. Anyone sees the state and the names of the failed checks; the details (which may name
internal hosts) only the monitoring does. /metrics: Prometheus text, for a bearer token
(METRICS_TOKEN) or an allowed address.
"""

from __future__ import annotations

import hmac
import logging
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.http import Http404, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_tasks_db.models import DBTaskResult
from prometheus_client import CONTENT_TYPE_LATEST

from coursedesk.core import replica
from coursedesk.ops.metrics import metrics_text

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database():
    with connections[replica.PRIMARY].cursor() as cursor:
        cursor.execute("SELECT 1")
    return {}


def _check_replica():
    status = replica.replica_status(refresh=True)
    if status is None:
        raise ConnectionError("the replica does not answer; reads use the primary")
    details = {"lag_seconds": round(status.lag_seconds, 3), "replay_paused": status.replay_paused}
    if not status.fresh_enough(settings.DATABASE_REPLICA_MAX_LAG):
        raise ConnectionError(
            f"the replica lags {status.lag_seconds:.0f} s (limit {settings.DATABASE_REPLICA_MAX_LAG:g} s); "
            "reads use the primary"
        )
    return details


def _check_cache():
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    if cache.get(key) != "1":
        raise ConnectionError("the cache did not keep a value")
    cache.delete(key)
    return {}


def _check_queue():
    if settings.TASKS_BACKEND == "rq":
        import django_rq  # noqa: PLC0415 - an installed app only with TASKS_BACKEND=rq

        django_rq.get_connection("default").ping()
        return {"backend": "rq"}
    if settings.TASKS_BACKEND == "database":
        DBTaskResult.objects.exists()
        return {"backend": "database"}
    return {"backend": settings.TASKS_BACKEND}


# Checks whose failure makes the node unready (503); the others only make it "degraded".
REQUIRED = ("database", "cache", "queue")


@never_cache
@require_GET
def readyz(request):
    checks = {"database": _check_database, "cache": _check_cache, "queue": _check_queue}
    if replica.replica_configured():
        checks["replica"] = _check_replica
    results, failed = {}, []
    for name, check in checks.items():
        try:
            results[name] = {"ok": True, **check()}
        except Exception as error:
            logger.warning("readiness check %s failed: %s", name, error)
            results[name] = {
                "ok": False,
                "error": str(error).strip().splitlines()[0][:200] or type(error).__name__,
            }
            failed.append(name)
    if any(name in REQUIRED for name in failed):
        state, code = "unavailable", 503
    elif failed:
        state, code = "degraded", 200
    else:
        state, code = "ready", 200
    body = {"status": state, "failed": failed}
    if _metrics_allowed(request):
        body["checks"] = results
    return JsonResponse(body, status=code)


def _metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), token):
        return True
    return request.META.get("REMOTE_ADDR", "") in settings.METRICS_ALLOWED_IPS


@never_cache
@require_GET
def metrics(request):
    if not _metrics_allowed(request):
        raise Http404  # nothing tells a stranger that metrics exist here
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)
