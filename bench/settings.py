"""Settings of `make bench`: CourseDesk's own settings (DEBUG off, static files collected first by
bench/run.py) with one page more, the bare page that desk pages are compared to (bench/urls.py)."""

from config.settings import *  # noqa: F403
from config.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.urls"
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "jinja2"]}, *TEMPLATES[1:]]
