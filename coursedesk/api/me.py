"""Who the token speaks for (API.md, Teams): the creator, the member, its role and scopes.

A creator's own token is the owner; a team member's token carries the member's current role, and its
scopes are those it was made with (a viewer's token reads only). The route reads no customer data, so
it is also the cheapest authenticated request the API serves.
"""

from __future__ import annotations

from typing import Literal

from ninja import Router, Schema

router = Router(tags=["teams"])

Role = Literal["owner", "admin", "support", "viewer"]
Scope = Literal["read", "write"]


class MeOut(Schema):
    creator_id: str
    member_email: str
    role: Role
    scopes: list[Scope]


def token_identity(request) -> MeOut:
    identity = request.token_identity
    return MeOut(
        creator_id=str(identity.account.pk),
        member_email=identity.person.email,
        role=identity.role,
        scopes=identity.scopes,
    )


@router.get("", response=MeOut, summary="The creator, member, role and scopes of this token")
def me(request):
    return token_identity(request)
