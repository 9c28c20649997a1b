"""The API's orjson renderer writes every value as django-ninja's own JSON encoder did."""

import datetime as dt
import json

from ninja.responses import NinjaJSONEncoder

from coursedesk.api.renderers import json_bytes


def test_the_renderer_writes_values_as_django_ninja_did():
    data = {
        "at": dt.datetime(2026, 11, 21, 10, 0, 0, 123456, tzinfo=dt.UTC),
        "times": [
            dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC),
            dt.datetime(2026, 11, 21, 10, 0, 0, 500, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            dt.datetime(2026, 11, 21, 10, 0),
        ],
        "on": dt.date(2026, 11, 21),
        "name": "Zoë",
        "items": (1, None, True),
    }

    written = json_bytes(data)

    assert json.loads(written) == json.loads(json.dumps(data, cls=NinjaJSONEncoder))
    assert b'"2026-11-21T10:00:00.123Z"' in written
    assert b'"2026-11-21T10:00:00Z","2026-11-21T10:00:00.000+02:00","2026-11-21T10:00:00"' in written
