"""Bearer-token authentication for the creator API."""

from ninja.security import HttpBearer

from coursedesk.accounts.models import ApiToken


class CreatorToken(HttpBearer):
    def authenticate(self, request, token: str):
        creator = ApiToken.authenticate(token)
        if creator is not None:
            request.creator = creator
        return creator
