"""JSON log lines (LOG_FORMAT=json): one object a line, with the request id on every one."""

from __future__ import annotations

from pythonjsonlogger.json import JsonFormatter


class CourseDeskJsonFormatter(JsonFormatter):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", False)
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s", *args, **kwargs)
