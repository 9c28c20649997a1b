"""Shared model pieces: tenancy-scoped querysets."""

from __future__ import annotations

from django.db import models


class CreatorScopedQuerySet(models.QuerySet):
    """Every creator-side query starts here: `Model.objects.for_creator(creator)`.

    Subclasses name the lookup from the model to its creator in `creator_path`.
    """

    creator_path = "creator"

    def for_creator(self, creator):
        if creator is None or not getattr(creator, "pk", None):
            return self.none()
        return self.filter(**{self.creator_path: creator})
