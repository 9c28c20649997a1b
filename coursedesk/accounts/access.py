"""Who a creator page acts for.

Every creator page is wrapped in `creator_required`: it signs the visitor in (or sends them to the
sign-in page) and sets `request.creator`, the account whose courses, customers and money the page
shows. Views read `request.creator`, never `request.user`, so that who signed in and whose data is
shown are two separate facts.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required


def creator_required(view):
    """Signs the visitor in and sets `request.creator` before the view runs."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.creator = request.user
        return view(request, *args, **kwargs)

    return wrapped
