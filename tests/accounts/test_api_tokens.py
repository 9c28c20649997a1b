import datetime as dt

from coursedesk.accounts.models import ApiToken, Creator, Membership
from coursedesk.core import clock
from tests.factories import make_creator


def test_a_token_authenticates_its_creator_and_records_its_use(creator, frozen_now):
    token, key = ApiToken.issue(creator=creator)
    assert ApiToken.authenticate(key) == creator
    token.refresh_from_db()
    assert token.last_used_at == frozen_now


def test_last_use_is_written_at_most_once_a_minute(creator, frozen_now, django_assert_num_queries):
    token, key = ApiToken.issue(creator=creator)
    ApiToken.authenticate(key)

    clock.advance(dt.timedelta(seconds=5))
    with django_assert_num_queries(0):  # kept in the cache, no write
        assert ApiToken.authenticate(key) == creator
    clock.advance(dt.timedelta(seconds=25))
    with django_assert_num_queries(1):  # looked up again, still no write
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


# The identity of a token is kept in the shared cache; each change of what it may do removes it there,
# so every process refuses (or narrows) the token at its next use. Each test first has it cached.


def test_a_cached_token_revoked_through_another_instance_is_refused_at_once(creator, frozen_now):
    token, key = ApiToken.issue(creator=creator)
    assert ApiToken.authenticate(key) == creator

    ApiToken.objects.get(pk=token.pk).revoke()

    assert ApiToken.authenticate(key) is None


def test_a_cached_token_of_a_creator_deactivated_elsewhere_is_refused_at_once(creator, frozen_now):
    _, key = ApiToken.issue(creator=creator)
    assert ApiToken.authenticate(key) == creator

    account = Creator.objects.get(pk=creator.pk)
    account.is_active = False
    account.save(update_fields=["is_active"])

    assert ApiToken.authenticate(key) is None


def test_a_cached_token_of_a_deleted_token_is_refused_at_once(creator, frozen_now):
    token, key = ApiToken.issue(creator=creator)
    assert ApiToken.authenticate(key) == creator

    ApiToken.objects.get(pk=token.pk).delete()

    assert ApiToken.authenticate(key) is None


def test_a_cached_member_token_follows_a_role_change_at_once(creator, frozen_now):
    person = make_creator(email="sam@helpers.example")
    membership = Membership.objects.create(account=creator, person=person, role="admin")
    _, key = ApiToken.issue(creator=creator, member=person, scope="write")
    assert ApiToken.identify(key).role == "admin"

    membership = Membership.objects.get(pk=membership.pk)
    membership.role = "viewer"
    membership.save(update_fields=["role"])

    identity = ApiToken.identify(key)
    assert (identity.role, identity.scopes) == ("viewer", ["read"])
    Membership.objects.get(pk=membership.pk).delete()
    assert ApiToken.identify(key) is None


def test_saving_a_creator_for_another_field_keeps_their_tokens_cached(
    creator, frozen_now, django_assert_num_queries
):
    _, key = ApiToken.issue(creator=creator)
    ApiToken.authenticate(key)

    creator.display_name = "Ada"
    creator.save(update_fields=["display_name"])

    with django_assert_num_queries(0):
        assert ApiToken.authenticate(key) == creator
