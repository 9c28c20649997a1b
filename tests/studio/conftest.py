"""Studio fixtures: the catalog's temporary MEDIA_ROOT and in-memory images."""

from tests.catalog.conftest import image_upload, media_root  # noqa: F401  (fixtures and helper shared)
