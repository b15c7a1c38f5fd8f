"""The `sso` portal's operations: accounts, roles, role credentials and Logout.

A mixin of SsoState, which holds the records it reads (the access tokens sso-oidc
issued, the accounts, the page cursors) and the one lock every operation takes.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from contextlib import AbstractContextManager
from typing import Any

import boto3

from tests.fakes.sso.model import (
    ACCOUNT_ACCESS_SCOPE,
    AccessToken,
    Account,
    FakeSettings,
    IssuedRoleCredentials,
    PageCursor,
    SignIn,
    portal_error,
)

_NO_SESSION = "Session token not found or invalid"


def reserved_role_arn(account_id: str, role_name: str) -> str:
    """The IAM role IAM Identity Center provisions for a permission set in an account."""
    suffix = hashlib.sha256(f"{account_id}/{role_name}".encode()).hexdigest()[:16]
    return (
        f"arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/"
        f"AWSReservedSSO_{role_name}_{suffix}"
    )


def _assumed(
    sts_url: str, account_id: str, role_name: str, user: str, expiration_ms: int
) -> IssuedRoleCredentials:
    """Role credentials minted by STS for `user` (AssumeRole, RoleSessionName = user)."""
    sts = boto3.client(
        "sts",
        endpoint_url=sts_url,
        region_name="us-east-1",
        aws_access_key_id="AKIDSSOFAKE",
        aws_secret_access_key="sso-fake",
    )
    answer = sts.assume_role(
        RoleArn=reserved_role_arn(account_id, role_name), RoleSessionName=user
    )["Credentials"]
    return IssuedRoleCredentials(
        account_id=account_id,
        role_name=role_name,
        access_key_id=answer["AccessKeyId"],
        secret_access_key=answer["SecretAccessKey"],
        session_token=answer["SessionToken"],
        expiration_ms=expiration_ms,
    )


class PortalOperations:
    settings: FakeSettings
    accounts: dict[str, Account]
    calls: Counter[str]
    issued_credentials: list[IssuedRoleCredentials]
    _lock: AbstractContextManager[Any]
    _access_tokens: dict[str, AccessToken]
    _cursors: dict[str, PageCursor]

    def now(self) -> float:
        raise NotImplementedError

    def list_accounts(
        self, token: str | None, max_result: str | None, next_token: str | None
    ) -> dict[str, Any]:
        with self._lock:
            self.calls["ListAccounts"] += 1
            self._signed_in(token)
            items = [
                {
                    "accountId": a.account_id,
                    "accountName": a.account_name,
                    "emailAddress": a.email_address,
                }
                for a in self.accounts.values()
            ]
            page, cursor = self._page("accounts", None, items, max_result, next_token)
            return {"accountList": page, **({"nextToken": cursor} if cursor else {})}

    def list_account_roles(
        self,
        token: str | None,
        account_id: str | None,
        max_result: str | None,
        next_token: str | None,
    ) -> dict[str, Any]:
        with self._lock:
            self.calls["ListAccountRoles"] += 1
            self._signed_in(token)
            account = self._assigned_account(account_id)
            items = [{"roleName": r, "accountId": account.account_id} for r in account.roles]
            page, cursor = self._page("roles", account.account_id, items, max_result, next_token)
            return {"roleList": page, **({"nextToken": cursor} if cursor else {})}

    def get_role_credentials(
        self, token: str | None, account_id: str | None, role_name: str | None
    ) -> dict[str, Any]:
        with self._lock:
            self.calls["GetRoleCredentials"] += 1
            self._signed_in(token)
            # The model: roleName is required; a role not assigned is "No access" as above.
            if not role_name:
                raise portal_error("InvalidRequestException", "role_name is required")
            account = self._assigned_account(account_id)
            if role_name not in account.roles:
                raise portal_error("ForbiddenException", "No access")
            user = self._signed_in(token).user
            expiration_ms = int((self.now() + self.settings.role_credentials_ttl) * 1000)
            if self.settings.sts_url is None:
                issued = IssuedRoleCredentials(
                    account_id=account.account_id,
                    role_name=role_name,
                    access_key_id="ASIA"
                    + "".join(
                        secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)
                    ),
                    secret_access_key=secrets.token_urlsafe(30)[:40],
                    session_token=secrets.token_urlsafe(96),
                    expiration_ms=expiration_ms,
                )
            else:
                issued = _assumed(
                    self.settings.sts_url, account.account_id, role_name, user, expiration_ms
                )
            self.issued_credentials.append(issued)
            return {
                "roleCredentials": {
                    "accessKeyId": issued.access_key_id,
                    "secretAccessKey": issued.secret_access_key,
                    "sessionToken": issued.session_token,
                    "expiration": issued.expiration_ms,
                }
            }

    def logout(self, token: str | None) -> None:
        with self._lock:
            self.calls["Logout"] += 1
            # The model lists UnauthorizedException for Logout; `aws sso logout` catches any
            # ClientError from it and goes on (awscli/customizations/sso/logout.py).
            self._signed_in(token).ended = True

    # ----------------------------------------------------------------- internals

    def _signed_in(self, token: str | None) -> SignIn:
        """The model's UnauthorizedException: "an invalid access token in the request"
        (unknown, expired, or of a sign-in that Logout ended; botocore turns it into
        UnauthorizedSSOTokenError). A token of a client registered with scopes that lack
        sso:account:access does not reach the portal either: that scope is the one the
        AWS CLI registers for account access (SSOTokenFetcherAuth's default)."""
        record = self._access_tokens.get(token or "")
        if record is None or record.sign_in.ended or record.expires_at <= self.now():
            raise portal_error("UnauthorizedException", _NO_SESSION)
        scopes = record.sign_in.scopes
        if scopes and ACCOUNT_ACCESS_SCOPE not in scopes:
            raise portal_error("UnauthorizedException", _NO_SESSION)
        return record.sign_in

    def _assigned_account(self, account_id: str | None) -> Account:
        """account_id is required (model); an account not assigned to the person is the
        real portal's ForbiddenException "No access"."""
        if not account_id:
            raise portal_error("InvalidRequestException", "account_id is required")
        account = self.accounts.get(account_id)
        if account is None:
            raise portal_error("ForbiddenException", "No access")
        return account

    def _page(
        self,
        kind: str,
        account_id: str | None,
        items: list[dict[str, str]],
        max_result: str | None,
        next_token: str | None,
    ) -> tuple[list[dict[str, str]], str | None]:
        # The model: maxResults 1..100; a nextToken is one this portal handed out for the
        # same listing (InvalidRequestException otherwise).
        size = self.settings.default_page_size
        if max_result is not None:
            if not max_result.isdigit() or not 1 <= int(max_result) <= 100:
                raise portal_error("InvalidRequestException", "max_result must be 1..100")
            size = int(max_result)
        offset = 0
        if next_token is not None:
            cursor = self._cursors.get(next_token)
            if cursor is None or cursor.kind != kind or cursor.account_id != account_id:
                raise portal_error("InvalidRequestException", "Invalid next_token")
            offset = cursor.offset
        end = offset + size
        if end >= len(items):
            return items[offset:], None
        token = secrets.token_urlsafe(24)
        self._cursors[token] = PageCursor(kind, account_id, end)
        return items[offset:end], token
