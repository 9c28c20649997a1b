"""Who the token speaks for (API.md, Teams): the creator, the member, its role and scopes.

A creator's own token is the owner with every scope. Team members' tokens will carry their own
role and scopes; `token_identity` is the one place that answers for both. The route reads no
customer data, so it is also the cheapest authenticated request the API serves.
"""

from __future__ import annotations

from typing import Literal

from ninja import Router, Schema

router = Router(tags=["teams"])

Role = Literal["owner", "admin", "support", "viewer"]
Scope = Literal["read", "write"]
OWNER_SCOPES: list[Scope] = ["read", "write"]


class MeOut(Schema):
    creator_id: str
    member_email: str
    role: Role
    scopes: list[Scope]


def token_identity(request) -> MeOut:
    creator = request.auth
    return MeOut(creator_id=str(creator.pk), member_email=creator.email, role="owner", scopes=OWNER_SCOPES)


@router.get("", response=MeOut, summary="The creator, member, role and scopes of this token")
def me(request):
    return token_identity(request)
