"""OAuth 2 for the Mastodon face: apps, one-time authorization codes (PKCE) and opaque bearer tokens.

Plain Python over two ports, an ``OAuthStore`` (``chalicelib.mastodon.store`` on DynamoDB; ``MemoryStore``
here for tests) and the platform's ``IdentityProvider`` (Cognito). Every secret (client secret, code, access
and refresh token) is a random string the caller sees once; only its SHA-256 is stored.

A user's token is backed by the Cognito session its sign-in opened: the record keeps Cognito's access and
refresh tokens, and ``Authority.admit`` refreshes the session server-side once Cognito's access token has
expired. If Cognito refuses (signed out everywhere, password reset, account deleted), the Mastodon token is
revoked and refused. App tokens (``client_credentials``) have no user and no session.

Each request is counted against the token's rate-limit window, but not written one by one: a process admits a
token it has seen from memory and adds its count to the record every ``SYNC_EVERY`` requests or
``SYNC_SECONDS`` (one UpdateItem that also proves the token is still live), and on every request near the
limit. So a timeline page costs the reads ``/v1/feed`` costs; a revocation made in another process is seen
within ``SYNC_SECONDS`` (one made here, at once), and a burst spread over many processes may pass the limit by
``SYNC_EVERY`` per process. (A ``/v1`` access token outlives a sign-out by up to an hour: it is never looked up.)

Usage::

    authority = Authority(store, identity, verify=verify_token)
    app, secret = authority.register_app("Tusky", ["urn:ietf:wg:oauth:2.0:oob"], "read write", None)
    issued = authority.password_grant(app.client_id, secret, "ada", "Correct-horse-1", "read")
    admission = authority.admit(issued.access_token)   # token record, principal, rate-limit window
    authority.revoke(app.client_id, secret, issued.access_token)
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import urlsplit

from chalicelib.auth.identity import Challenge, Tokens
from chalicelib.core import errors
from chalicelib.core.tokens import Principal
from chalicelib.mastodon import scopes as scope_rules
from chalicelib.mastodon.errors import OAuthError

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_SECONDS = 600  # an authorization code is good for 10 minutes, once
RATE_WINDOW_SECONDS = 300  # Mastodon: 300 requests per 5 minutes per account
RATE_LIMIT = 300
REVOKED_KEPT_SECONDS = 7 * 86_400  # revoked records linger (then DynamoDB's TTL removes them)
SESSION_MARGIN_SECONDS = 30  # refresh Cognito's access token a little before it expires
SYNC_EVERY = 10  # requests a process admits from memory before adding them to the token's record
SYNC_SECONDS = 10.0  # ... or seconds: how late a revocation made by another process is seen
MAX_REMEMBERED = 10_000  # tokens a process remembers (forgotten all at once past it: each costs one sync)
GRANT_TYPES = ("authorization_code", "password", "client_credentials", "refresh_token")
TOKEN_USE = "mastodon"  # Principal.token_use of a caller known by a Mastodon token


def digest(secret: str) -> str:
    """What the store keeps of a secret: its SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class App:
    client_id: str
    secret_hash: str
    name: str
    redirect_uris: tuple[str, ...]
    scopes: frozenset[str]
    website: str | None
    created_at: int

    def accepts_secret(self, secret: str | None) -> bool:
        return secret is not None and hmac.compare_digest(self.secret_hash, digest(secret))


@dataclass(frozen=True)
class Session:
    """The Cognito session behind a user's token."""

    access_token: str
    refresh_token: str
    expires_at: int  # epoch seconds when Cognito's access token expires

    @classmethod
    def of(cls, tokens: Tokens, now: int) -> Session:
        return cls(tokens.access_token, tokens.refresh_token, now + tokens.expires_in)


@dataclass(frozen=True)
class User:
    """Who signed in: the principal's fields and their Cognito session."""

    user_id: str
    username: str
    groups: frozenset[str]
    session: Session


@dataclass(frozen=True)
class Code:
    code_hash: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    user: User
    challenge: str | None
    challenge_method: str | None
    expires_at: int


@dataclass(frozen=True)
class Token:
    """A stored token (access or refresh, by ``kind``); a refresh token names its access token in ``pair``."""

    token_hash: str
    kind: str  # "access" or "refresh"
    client_id: str
    scopes: frozenset[str]
    created_at: int
    user: User | None = None  # None: an app token (client_credentials)
    pair: str | None = None  # the other token's hash
    revoked: bool = False

    @property
    def principal(self) -> Principal | None:
        if self.user is None:
            return None
        return Principal(user_id=self.user.user_id, username=self.user.username, groups=self.user.groups,
                         token_use=TOKEN_USE)


@dataclass(frozen=True)
class Admission:
    """An admitted request: the token and the rate-limit window it was counted in."""

    token: Token
    used: int  # requests in this window, this one included
    window_start: int

    @property
    def limit(self) -> int:
        return RATE_LIMIT

    @property
    def remaining(self) -> int:
        return max(0, RATE_LIMIT - self.used)

    @property
    def reset_at(self) -> int:
        return self.window_start + RATE_WINDOW_SECONDS

    @property
    def exceeded(self) -> bool:
        return self.used > RATE_LIMIT


@dataclass(frozen=True)
class Issued:
    access_token: str
    token: Token
    refresh_token: str | None = None

    def body(self) -> dict[str, object]:
        """The token endpoint's answer (Mastodon's Token entity)."""
        answer: dict[str, object] = {"access_token": self.access_token, "token_type": "Bearer",
                                     "scope": scope_rules.render(self.token.scopes),
                                     "created_at": self.token.created_at}
        if self.refresh_token is not None:
            answer["refresh_token"] = self.refresh_token
        return answer


class SignIn(Protocol):
    """What the OAuth server needs of the identity provider (``chalicelib.auth.identity.CognitoIdentity``)."""

    def login(self, username: str, password: str) -> Tokens | Challenge: ...

    def refresh(self, refresh_token: str) -> Tokens: ...


class OAuthStore(Protocol):
    def put_app(self, app: App) -> None: ...

    def get_app(self, client_id: str) -> App | None: ...

    def put_code(self, code: Code) -> None: ...

    def take_code(self, code_hash: str) -> Code | None:
        """The code, deleted in the same step: a second take of it finds nothing."""

    def put_token(self, token: Token) -> None: ...

    def get_token(self, token_hash: str) -> Token | None: ...

    def admit(self, token_hash: str, window_start: int, count: int = 1) -> tuple[Token, int] | None:
        """Authenticate and count in one step: the live (unrevoked) access token and its count in the window
        starting at ``window_start`` once ``count`` more requests are added; None if no such live token."""

    def set_session(self, token_hash: str, user: User) -> None: ...

    def revoke(self, token_hash: str, expires_at: int) -> Token | None:
        """Mark the token revoked (kept until ``expires_at``); the token as it was, None if unknown."""


@dataclass
class MemoryStore:
    """``OAuthStore`` in a dict, for tests and tools."""

    apps: dict[str, App] = field(default_factory=dict)
    codes: dict[str, Code] = field(default_factory=dict)
    tokens: dict[str, Token] = field(default_factory=dict)
    windows: dict[str, tuple[int, int]] = field(default_factory=dict)

    def put_app(self, app: App) -> None:
        self.apps[app.client_id] = app

    def get_app(self, client_id: str) -> App | None:
        return self.apps.get(client_id)

    def put_code(self, code: Code) -> None:
        self.codes[code.code_hash] = code

    def take_code(self, code_hash: str) -> Code | None:
        return self.codes.pop(code_hash, None)

    def put_token(self, token: Token) -> None:
        self.tokens[token.token_hash] = token

    def get_token(self, token_hash: str) -> Token | None:
        return self.tokens.get(token_hash)

    def admit(self, token_hash: str, window_start: int, count: int = 1) -> tuple[Token, int] | None:
        token = self.tokens.get(token_hash)
        if token is None or token.revoked or token.kind != "access":
            return None
        start, used = self.windows.get(token_hash, (window_start, 0))
        used = used + count if start == window_start else count
        self.windows[token_hash] = (window_start, used)
        return token, used

    def set_session(self, token_hash: str, user: User) -> None:
        self.tokens[token_hash] = replace(self.tokens[token_hash], user=user)

    def revoke(self, token_hash: str, expires_at: int) -> Token | None:
        token = self.tokens.get(token_hash)
        if token is not None:
            self.tokens[token_hash] = replace(token, revoked=True)
        return token


def verify_pkce(verifier: str | None, challenge: str | None, method: str | None) -> bool:
    """RFC 7636: the ``code_verifier`` against the stored challenge (no challenge: no verifier needed)."""
    if challenge is None:
        return verifier is None
    if verifier is None or not 43 <= len(verifier) <= 128:
        return False
    if (method or "plain") == "S256":
        computed = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed, challenge)


def valid_redirect_uri(uri: str) -> bool:
    """An absolute URI without a fragment (RFC 6749 3.1.2), or the out-of-band marker."""
    if uri == OOB:
        return True
    parts = urlsplit(uri)
    return bool(parts.scheme) and not parts.fragment and (bool(parts.netloc) or parts.scheme not in {"http", "https"})


@dataclass
class _Counted:
    """A token this process admits from memory, and its window's count: what the store said at the last
    sync, plus the requests admitted here since."""

    token: Token
    window_start: int
    stored: int
    pending: int
    synced_at: float


class Authority:
    """The OAuth server's rules over a store, the identity provider and a clock."""

    def __init__(self, store: OAuthStore, identity: SignIn, *, verify: Callable[[str], Principal],
                 clock: Callable[[], float] = time.time, sync_every: int = SYNC_EVERY,
                 sync_seconds: float = SYNC_SECONDS) -> None:
        self._store, self._identity, self._clock = store, identity, clock
        self._sync_every, self._sync_seconds = sync_every, sync_seconds
        self._counted: dict[str, _Counted] = {}
        self._lock = threading.Lock()  # the local platform serves requests on threads
        # Who a Cognito access token names (the route layer's JWT verification): at sign-in and after a refresh.
        self._verify = verify

    def now(self) -> int:
        return int(self._clock())

    # Apps ---------------------------------------------------------------------------------------

    def register_app(self, name: str, redirect_uris: Sequence[str], scopes: str | None,
                     website: str | None) -> tuple[App, str]:
        """A new app and its client secret (shown once). ValueError for bad redirect URIs or scopes."""
        uris = tuple(uri.strip() for uri in redirect_uris if uri.strip())
        if not uris or not all(valid_redirect_uri(uri) for uri in uris):
            raise ValueError("redirect_uris must be absolute URIs or urn:ietf:wg:oauth:2.0:oob")
        secret = new_secret()
        app = App(client_id=new_secret(), secret_hash=digest(secret), name=name, redirect_uris=uris,
                  scopes=scope_rules.parse(scopes), website=website or None, created_at=self.now())
        self._store.put_app(app)
        return app, secret

    def app(self, client_id: str | None) -> App | None:
        return self._store.get_app(client_id) if client_id else None

    def client(self, client_id: str | None, client_secret: str | None) -> App:
        """The app the credentials prove (401 invalid_client otherwise)."""
        app = self.app(client_id)
        if app is None or not app.accepts_secret(client_secret):
            raise OAuthError("invalid_client", "Client authentication failed due to unknown client, no client "
                             "authentication included, or unsupported authentication method.", 401)
        return app

    def requested_scopes(self, app: App, requested: str | None) -> frozenset[str]:
        """What a grant asks for (the app's scopes if unsaid), refused if unknown or beyond the app's."""
        try:
            wanted = scope_rules.parse(requested, default=app.scopes)
        except ValueError as exc:
            raise OAuthError("invalid_scope", f"The requested scope is invalid: {exc}") from exc
        if not scope_rules.within(wanted, app.scopes):
            raise OAuthError("invalid_scope", "The requested scope is invalid, unknown, or malformed.")
        return wanted

    # Sign-in and codes ----------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> User:
        """Cognito's sign-in; errors.Unauthorized for wrong credentials or a sign-in that needs a second factor."""
        answer = self._identity.login(username, password)
        if isinstance(answer, Challenge):
            # The consent page and the password grant have no place for the authenticator's code yet.
            raise errors.Unauthorized("challenge_required", "this account signs in with an authenticator code")
        return self._user(answer)

    def _user(self, tokens: Tokens, *, previous: User | None = None) -> User:
        principal = self._verify(tokens.access_token)
        if previous is not None and principal.user_id != previous.user_id:
            raise errors.Unauthorized("account_mismatch", "the session belongs to another account")
        return User(principal.user_id, principal.username, principal.groups, Session.of(tokens, self.now()))

    def authorize(self, app: App, redirect_uri: str, requested: str | None, user: User,
                  challenge: str | None, challenge_method: str | None) -> str:
        """A one-time code for ``user`` (10 minutes), bound to the app, the redirect URI, scopes and PKCE."""
        if redirect_uri not in app.redirect_uris:
            raise OAuthError("invalid_redirect_uri", "The redirect uri included is not valid.")
        if challenge_method not in (None, "S256", "plain") or (challenge_method and not challenge):
            raise OAuthError("invalid_request", "code_challenge_method must be S256 or plain")
        code = new_secret()
        self._store.put_code(Code(digest(code), app.client_id, redirect_uri, self.requested_scopes(app, requested),
                                  user, challenge or None, (challenge_method or "plain") if challenge else None,
                                  self.now() + CODE_SECONDS))
        return code

    # Grants -----------------------------------------------------------------------------------------

    def code_grant(self, client_id: str | None, client_secret: str | None, code: str | None,
                   redirect_uri: str | None, verifier: str | None) -> Issued:
        app = self.client(client_id, client_secret)
        stored = self._store.take_code(digest(code)) if code else None
        invalid = OAuthError("invalid_grant", "The provided authorization grant is invalid, expired, revoked, does "
                             "not match the redirection URI used in the authorization request, or was issued to "
                             "another client.")
        if stored is None or stored.client_id != app.client_id or stored.expires_at <= self.now():
            raise invalid
        if redirect_uri != stored.redirect_uri:
            raise invalid
        if not verify_pkce(verifier, stored.challenge, stored.challenge_method):
            raise OAuthError("invalid_grant", "The code verifier does not match the code challenge.")
        return self._issue(app, stored.scopes, stored.user)

    def password_grant(self, client_id: str | None, client_secret: str | None, username: str | None,
                       password: str | None, requested: str | None) -> Issued:
        app = self.client(client_id, client_secret)
        wanted = self.requested_scopes(app, requested)
        if not username or not password:
            raise OAuthError("invalid_request", "username and password are required")
        try:
            user = self.sign_in(username, password)
        except errors.Unauthorized as exc:
            raise OAuthError("invalid_grant", "The provided authorization grant is invalid, expired, revoked, "
                             "does not match the redirection URI used in the authorization request, or was "
                             "issued to another client.") from exc
        return self._issue(app, wanted, user)

    def client_grant(self, client_id: str | None, client_secret: str | None, requested: str | None) -> Issued:
        app = self.client(client_id, client_secret)
        return self._issue(app, self.requested_scopes(app, requested), None)

    def refresh_grant(self, client_id: str | None, client_secret: str | None, refresh_token: str | None) -> Issued:
        """A new access (and refresh) token for a refresh token; the old pair is revoked."""
        app = self.client(client_id, client_secret)
        stored = self._store.get_token(digest(refresh_token)) if refresh_token else None
        if stored is None or stored.kind != "refresh" or stored.revoked or stored.client_id != app.client_id:
            raise OAuthError("invalid_grant", "The refresh token is invalid, revoked, or was issued to another "
                             "client.")
        self._revoke(stored)
        return self._issue(app, stored.scopes, stored.user)

    def _issue(self, app: App, granted: frozenset[str], user: User | None) -> Issued:
        access = new_secret()
        now = self.now()
        token = Token(digest(access), "access", app.client_id, granted, now, user)
        if user is None:  # an app token: nothing to refresh
            self._store.put_token(token)
            return Issued(access, token)
        refresh = new_secret()
        token = replace(token, pair=digest(refresh))
        self._store.put_token(token)
        self._store.put_token(Token(digest(refresh), "refresh", app.client_id, granted, now, user,
                                    pair=token.token_hash))
        return Issued(access, token, refresh)

    def revoke(self, client_id: str | None, client_secret: str | None, token: str | None) -> None:
        """RFC 7009: revoke an access or refresh token (and its pair) of this client; unknown tokens are fine."""
        app = self.client(client_id, client_secret)
        stored = self._store.get_token(digest(token)) if token else None
        if stored is None or stored.client_id != app.client_id:
            return  # RFC 7009 2.2: an invalid token is no error
        self._revoke(stored)

    def _revoke(self, token: Token) -> None:
        """Revoke a token and its pair (access and refresh), in the store and in this process's memory."""
        expires = self.now() + REVOKED_KEPT_SECONDS
        self._store.revoke(token.token_hash, expires)
        if token.pair is not None:
            self._store.revoke(token.pair, expires)
        self._forget(token.token_hash, token.pair)

    # Every authenticated request ----------------------------------------------------------------------

    def admit(self, access_token: str) -> Admission | None:
        """The live token and its rate-limit window, counted (a store call once per ``SYNC_EVERY`` requests or
        ``SYNC_SECONDS``); None if the token is unknown, revoked, or its Cognito session is gone.
        errors.Unavailable if Cognito is down."""
        now = self.now()
        window = now - now % RATE_WINDOW_SECONDS
        token_hash = digest(access_token)
        found = self._counted_here(token_hash, window)
        if found is None:
            return None
        token, used = found
        user = token.user
        if user is not None and user.session.expires_at - SESSION_MARGIN_SECONDS <= now:
            try:
                refreshed = self._user(self._identity.refresh(user.session.refresh_token), previous=user)
            except errors.Unauthorized:  # Cognito refuses the session: the token dies with it
                self._revoke(token)
                return None
            self._store.set_session(token_hash, refreshed)
            token = replace(token, user=refreshed)
            with self._lock:
                if (seen := self._counted.get(token_hash)) is not None:
                    seen.token = token
        return Admission(token, used, window)

    def _counted_here(self, token_hash: str, window: int) -> tuple[Token, int] | None:
        """The token and its window's count with this request, from memory while that is allowed, else from the
        store (adding the requests admitted here since the last sync)."""
        with self._lock:
            seen = self._counted.get(token_hash)
            same = seen is not None and seen.window_start == window
            if seen is not None and same and seen.pending + 1 < self._sync_every \
                    and self._clock() - seen.synced_at < self._sync_seconds \
                    and seen.stored + seen.pending + self._sync_every < RATE_LIMIT:  # near the limit: exact
                seen.pending += 1
                return seen.token, seen.stored + seen.pending
            unsynced = seen.pending if seen is not None and same else 0  # an older window's are over with it
        found = self._store.admit(token_hash, window, unsynced + 1)
        with self._lock:
            if found is None:
                self._counted.pop(token_hash, None)
                return None
            if len(self._counted) >= MAX_REMEMBERED:
                self._counted.clear()
            self._counted[token_hash] = _Counted(found[0], window, found[1], 0, self._clock())
        return found

    def _forget(self, *token_hashes: str | None) -> None:
        with self._lock:
            for token_hash in token_hashes:
                if token_hash is not None:
                    self._counted.pop(token_hash, None)
