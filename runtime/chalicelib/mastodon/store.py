"""``OAuthStore`` on DynamoDB (the tables of ``chalicelib.mastodon.models``).

``admit`` is the one call an authenticated request may make (``oauth.Authority`` makes it once per
``SYNC_EVERY`` requests a process admits): a conditional UpdateItem that both proves the token (it exists, is
an access token, is not revoked) and adds the requests counted to the current fixed window,
returning the whole record (ALL_NEW), so the route needs no other read to know who calls. Only when the
window has rolled over does a second conditional update start the new one; a third try covers the race of two
requests rolling it over at once.

Usage::

    store = DynamoOAuthStore()
    found = store.admit(token_hash, window_start)   # (Token, count) or None
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from chalicelib.mastodon import scopes as scope_rules
from chalicelib.mastodon.models import MastodonAppModel, MastodonCodeModel, MastodonTokenModel
from chalicelib.mastodon.oauth import App, Code, Session, Token, User


def _epoch(moment: datetime | None) -> int:
    return int(moment.timestamp()) if moment is not None else 0


def _user_fields(user: User | None) -> dict[str, Any]:
    if user is None:
        return {}
    return {"user_id": user.user_id, "username": user.username, "groups": " ".join(sorted(user.groups)),
            "cognito_access": user.session.access_token, "cognito_refresh": user.session.refresh_token,
            "session_expires_at": user.session.expires_at}


def _user_of(row: MastodonCodeModel | MastodonTokenModel) -> User | None:
    if not row.user_id or not row.username:
        return None
    session = Session(row.cognito_access or "", row.cognito_refresh or "", int(row.session_expires_at or 0))
    return User(row.user_id, row.username, frozenset((row.groups or "").split()), session)


def _token_of(row: MastodonTokenModel) -> Token:
    return Token(token_hash=row.token_hash, kind=row.kind, client_id=row.client_id,
                 scopes=scope_rules.parse(row.scopes), created_at=int(row.created_at), user=_user_of(row),
                 pair=row.pair, revoked=bool(row.revoked))


def _conditional_failure(exc: UpdateError | DeleteError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoOAuthStore:
    def put_app(self, app: App) -> None:
        MastodonAppModel(app.client_id, secret_hash=app.secret_hash, name=app.name,
                         redirect_uris="\n".join(app.redirect_uris), scopes=scope_rules.render(app.scopes),
                         website=app.website, created_at=app.created_at).save()

    def get_app(self, client_id: str) -> App | None:
        try:
            row = MastodonAppModel.get(client_id)
        except MastodonAppModel.DoesNotExist:
            return None
        return App(row.client_id, row.secret_hash, row.name, tuple(row.redirect_uris.split("\n")),
                   scope_rules.parse(row.scopes), row.website, int(row.created_at))

    def put_code(self, code: Code) -> None:
        MastodonCodeModel(code.code_hash, client_id=code.client_id, redirect_uri=code.redirect_uri,
                          scopes=scope_rules.render(code.scopes), challenge=code.challenge,
                          challenge_method=code.challenge_method,
                          expires_at=datetime.fromtimestamp(code.expires_at, UTC), **_user_fields(code.user)).save()

    def take_code(self, code_hash: str) -> Code | None:
        # One conditional DeleteItem returning the old item: of two concurrent exchanges only one gets the code.
        try:
            answer = MastodonCodeModel._get_connection().delete_item(
                code_hash, condition=MastodonCodeModel.code_hash.exists(), return_values="ALL_OLD")
        except DeleteError as exc:
            if _conditional_failure(exc):
                return None
            raise
        row = MastodonCodeModel.from_raw_data(answer["Attributes"])
        user = _user_of(row)
        if user is None:  # every code is made for a signed-in user
            return None
        return Code(row.code_hash, row.client_id, row.redirect_uri, scope_rules.parse(row.scopes), user,
                    row.challenge, row.challenge_method, _epoch(row.expires_at))

    def put_token(self, token: Token) -> None:
        MastodonTokenModel(token.token_hash, kind=token.kind, client_id=token.client_id,
                           scopes=scope_rules.render(token.scopes), created_at=token.created_at, pair=token.pair,
                           revoked=token.revoked, **_user_fields(token.user)).save()

    def get_token(self, token_hash: str) -> Token | None:
        try:
            return _token_of(MastodonTokenModel.get(token_hash, consistent_read=True))
        except MastodonTokenModel.DoesNotExist:
            return None

    def admit(self, token_hash: str, window_start: int, count: int = 1) -> tuple[Token, int] | None:
        live = (MastodonTokenModel.token_hash.exists() & (MastodonTokenModel.kind == "access")
                & (MastodonTokenModel.revoked == False))  # noqa: E712 (a PynamoDB condition, not a comparison)
        same_window = live & (MastodonTokenModel.window_start == window_start)
        rolled_over = live & (MastodonTokenModel.window_start < window_start)
        attempts: tuple[tuple[Condition, list[Action]], ...] = (
                (same_window, [MastodonTokenModel.window_count.add(count)]),
                (rolled_over, [MastodonTokenModel.window_start.set(window_start),
                               MastodonTokenModel.window_count.set(count)]),
                (same_window, [MastodonTokenModel.window_count.add(count)]))  # another request rolled it over first
        for condition, actions in attempts:
            row = MastodonTokenModel(token_hash)
            try:
                row.update(actions=actions, condition=condition, add_version_condition=False)
            except UpdateError as exc:
                if _conditional_failure(exc):
                    continue
                raise
            return _token_of(row), int(row.window_count)
        return None

    def set_session(self, token_hash: str, user: User) -> None:
        MastodonTokenModel(token_hash).update(actions=[
            MastodonTokenModel.groups.set(" ".join(sorted(user.groups))),
            MastodonTokenModel.cognito_access.set(user.session.access_token),
            MastodonTokenModel.cognito_refresh.set(user.session.refresh_token),
            MastodonTokenModel.session_expires_at.set(user.session.expires_at)],
            condition=MastodonTokenModel.token_hash.exists(), add_version_condition=False)

    def revoke(self, token_hash: str, expires_at: int) -> Token | None:
        row = MastodonTokenModel(token_hash)
        try:
            row.update(actions=[MastodonTokenModel.revoked.set(True),
                                MastodonTokenModel.expires_at.set(datetime.fromtimestamp(expires_at, UTC))],
                       condition=MastodonTokenModel.token_hash.exists(), add_version_condition=False)
        except UpdateError as exc:
            if _conditional_failure(exc):
                return None
            raise
        return _token_of(row)
