"""Bearer-token authentication for the creator API.

`request.auth` is the account (creator) the token acts for, so every route reads its data as before;
`request.token_identity` says who acts (the member), with their role and the token's scopes. The
scope and role are checked here for every route before it runs (api.permissions).
"""

from ninja.security import HttpBearer

from coursedesk.accounts.models import ApiToken
from coursedesk.api.permissions import api_request_check
from coursedesk.audit.services import Actor, acting_member_use


class CreatorToken(HttpBearer):
    def authenticate(self, request, token: str):
        identity = ApiToken.identify(token)
        if identity is None:
            return None
        request.token_identity = identity
        api_request_check(identity=identity, method=request.method, path=request.path_info)
        if identity.membership_id is not None:
            actor = Actor.member(
                person=identity.person, role=identity.role, membership_id=identity.membership_id
            )
            acting_member_use(account_id=identity.account.pk, actor=actor)
        return identity.account
