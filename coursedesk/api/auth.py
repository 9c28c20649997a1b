"""Bearer-token authentication for the creator API: the token's creator becomes `request.auth`."""

from ninja.security import HttpBearer

from coursedesk.accounts.models import ApiToken


class CreatorToken(HttpBearer):
    def authenticate(self, request, token: str):
        return ApiToken.authenticate(token)
