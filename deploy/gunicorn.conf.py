"""gunicorn settings of a CourseDesk web node: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

WEB_BIND, WEB_WORKERS and WEB_THREADS come from the environment. Workers are processes (gunicorn's
sync workers) unless WEB_THREADS is above 1: the desk's pages keep the CPU busy, and under 16 clients
`make bench` measured a lower p99 with processes than with threads (see README, Benchmarks). Threads
(gthread) suit a node whose requests mostly wait on the network; with DATABASE_POOL each worker
process then keeps a psycopg pool that its threads share.
"""

import os

from prometheus_client import multiprocess

bind = os.environ.get("WEB_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = 60
graceful_timeout = 20
# A balancer keeps connections open between requests; keep them a little longer than it does.
keepalive = 65
accesslog = None  # CourseDesk logs each request itself (LOG_FORMAT=json), with its request id
errorlog = "-"
# Several nodes on one machine would share the default control socket path; the nodes need none.
control_socket_disable = True
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


# With LOG_FORMAT=json gunicorn's own lines are JSON too, like the application's.
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "coursedesk.ops.json_logs.CourseDeskJsonFormatter"}},
        "filters": {"request_id": {"()": "coursedesk.ops.requests.RequestIdFilter"}},
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["request_id"]}
        },
        "loggers": {"gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False}},
    }


def child_exit(server, worker):
    # Prometheus counters from several processes: a dead worker's live gauges are dropped.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(worker.pid)
