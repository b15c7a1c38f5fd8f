"""`awslogin configure`: write an awslogin profile into the AWS config file."""

from __future__ import annotations

import argparse

from awslogin.cli.base import Invocation, Subparsers, add_command, add_profile, positive_int
from awslogin.errors import EXIT_OK


def add_parser(subparsers: Subparsers) -> None:
    parser = add_command(
        subparsers, "configure", "write an awslogin profile into the AWS config file", run
    )
    add_profile(parser, "profile to write (default: AWS_PROFILE, else default)")
    parser.add_argument("--provider", choices=["oidc", "aws-signin", "sso"], default="oidc")
    parser.add_argument("--issuer", help="OpenID Connect issuer URL")
    parser.add_argument("--client-id", help="public OIDC client id (PKCE)")
    parser.add_argument("--role-arn", help="IAM role to assume with the ID token")
    parser.add_argument("--relay", help="relay URL for remote logins")
    parser.add_argument("--region", help="AWS region of the profile")
    parser.add_argument(
        "--expected-identity",
        metavar="ARN_GLOB",
        help="oidc, aws-signin: the only caller ARN a login may save (a glob: * and ?); "
        "a login as anyone else is refused",
    )
    parser.add_argument("--scopes", help="OIDC scopes (default: 'openid offline_access')")
    parser.add_argument(
        "--duration", type=positive_int, help="credential lifetime in seconds (900-43200)"
    )
    sso = parser.add_argument_group("provider sso (IAM Identity Center)")
    sso.add_argument("--sso-session", help="name of the [sso-session] to use or create")
    sso.add_argument("--sso-start-url", help="AWS access portal URL (https://...)")
    sso.add_argument("--sso-region", help="region of IAM Identity Center")
    sso.add_argument(
        "--sso-registration-scopes", help="comma-separated (default: sso:account:access)"
    )
    sso.add_argument("--account-id", help="account to use (else chosen from a list)")
    sso.add_argument("--role-name", help="role to use (else chosen from a list)")
    sso.add_argument("--use-device-code", action="store_true", help="sign in with a device code")
    sso.add_argument(
        "--no-browser", action="store_true", help="print the sign-in URL instead of opening it"
    )


def run(options: argparse.Namespace, invocation: Invocation) -> int:
    from awslogin.usecases.configure import ConfigureOptions, configure

    lines = configure(
        ConfigureOptions(
            profile=invocation.profile,
            provider=options.provider,
            region=options.region,
            relay=options.relay,
            expected_identity=options.expected_identity,
            issuer=options.issuer,
            client_id=options.client_id,
            role_arn=options.role_arn,
            scopes=options.scopes,
            duration=options.duration,
            sso_session=options.sso_session,
            sso_start_url=options.sso_start_url,
            sso_region=options.sso_region,
            sso_registration_scopes=options.sso_registration_scopes,
            account_id=options.account_id,
            role_name=options.role_name,
            use_device_code=options.use_device_code,
            open_browser=not options.no_browser,
            debug=invocation.debug,
        ),
        invocation.environ,
        invocation.terminal,
    )
    invocation.terminal.result("\n".join(lines))
    return EXIT_OK
