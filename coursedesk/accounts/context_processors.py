"""What every creator page's header shows of the team: the account acted for, the role, and the
other accounts the person may switch to."""

from coursedesk.accounts.access import accounts_of, acting_resolve, works_for_teams


def team(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not hasattr(user, "team_memberships"):
        return {}
    acting = acting_resolve(request)
    switchable = (lambda: accounts_of(user)) if works_for_teams(request) else list
    return {"acting": acting, "switchable_accounts": switchable}
