import datetime as dt

from coursedesk.accounts.models import ApiToken
from coursedesk.core import clock


def test_a_token_authenticates_its_creator_and_records_its_use(creator, frozen_now):
    token, key = ApiToken.issue(creator=creator)
    assert ApiToken.authenticate(key) == creator
    token.refresh_from_db()
    assert token.last_used_at == frozen_now


def test_last_use_is_written_at_most_once_a_minute(creator, frozen_now, django_assert_num_queries):
    token, key = ApiToken.issue(creator=creator)
    ApiToken.authenticate(key)

    clock.advance(dt.timedelta(seconds=30))
    with django_assert_num_queries(1):  # the look-up only, no write
        assert ApiToken.authenticate(key) == creator
    token.refresh_from_db()
    assert token.last_used_at == frozen_now

    clock.advance(dt.timedelta(seconds=31))
    ApiToken.authenticate(key)
    token.refresh_from_db()
    assert token.last_used_at == frozen_now + dt.timedelta(seconds=61)


def test_revoked_and_unknown_tokens_are_refused(creator, frozen_now):
    token, key = ApiToken.issue(creator=creator)
    token.revoked_at = frozen_now
    token.save()
    assert ApiToken.authenticate(key) is None
    assert ApiToken.authenticate("cd_not-a-real-token") is None
    assert ApiToken.authenticate("") is None


def test_a_deactivated_creators_token_is_refused(creator):
    _, key = ApiToken.issue(creator=creator)
    creator.is_active = False
    creator.save()
    assert ApiToken.authenticate(key) is None
