"""Commands for organisations, users, API tokens and signing in: ``bastion orgs|users|tokens|login``.

Every command acts as the principal behind ``BASTION_TOKEN``, except ``users bootstrap-admin`` (which
works only while there are no users at all) and ``login`` (which turns a password into a session token).
"""

from __future__ import annotations

import getpass
import sys
from datetime import timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from bastion.cli import context
from bastion.cli.auth import current_principal, identity_service
from bastion.core.errors import InvalidInput
from bastion.core.ids import TokenID
from bastion.core.principal import Classification, OrgID, OrgKind, Role, UserID
from bastion.identity import IssuedToken, TokensPublic, UserPublic, UsersPublic

orgs = typer.Typer(help="Organisations: frontier labs, agencies, trusted partners, the programme office.")
users = typer.Typer(help="Users, their roles and clearance.")
tokens = typer.Typer(help="API tokens for programs (shown once, stored hashed).")

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin", help="Read a password from standard input.")]


def _clearance(value: str) -> Classification:
    try:
        return Classification.parse(value)
    except ValueError as e:
        raise InvalidInput(str(e), code="invalid_clearance") from None


def _read_password() -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise InvalidInput("no password on standard input", hint="pipe it in: `... --password-stdin < file`")
    return password


def _ask_password() -> str:
    """Ask on the terminal. The end of input (Ctrl-D) is a missing password, not an interruption."""
    try:
        password = getpass.getpass("password: ")
    except EOFError:
        password = ""
    if not password:
        raise InvalidInput("no password given", hint="type it at the prompt, or pipe it in with --password-stdin")
    return password


def _print_users(rows: list[UserPublic]) -> None:
    table = Table(title=f"{len(rows)} users")
    for column in ("id", "email", "name", "organisation", "roles", "clearance", "active"):
        table.add_column(column)
    for u in rows:
        roles = ", ".join(r.value for r in u.roles)
        table.add_row(
            *(
                Text(c)
                for c in (
                    u.id,
                    u.email,
                    u.display_name,
                    u.org_name,
                    roles,
                    u.clearance.name,
                    "yes" if u.active else "no",
                )
            )
        )
    context.console.print(table)


def _print_secret(issued: IssuedToken) -> None:
    context.err_console.print(
        f"token {issued.id} ({issued.name}) expires {issued.expires_at:%Y-%m-%d %H:%M} UTC. "
        "Copy it now: it is not shown again.",
        highlight=False,
    )
    context.console.print(issued.token, highlight=False, soft_wrap=True)


@orgs.command("list")
def orgs_list() -> None:
    """List organisations."""
    rows = identity_service().list_organisations(current_principal())
    table = Table(title=f"{len(rows)} organisations")
    for column in ("id", "name", "kind"):
        table.add_column(column)
    for org in rows:
        table.add_row(Text(org.id), Text(org.name), Text(org.kind.value))
    context.console.print(table)


@orgs.command("create")
def orgs_create(
    name: Annotated[str, typer.Argument(help="The organisation's name.")],
    kind: Annotated[OrgKind, typer.Option("--kind", help="What kind of organisation.")],
) -> None:
    """Create an organisation (programme administrators)."""
    org = identity_service().create_organisation(current_principal(), name=name, kind=kind)
    context.console.print(f"created organisation {org.id} ({escape(org.name)}, {org.kind.value})", highlight=False)


@users.command("list")
def users_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List the users you may see."""
    rows = identity_service().list_users(current_principal(), org_id=None if org is None else OrgID(org))
    if as_json:
        context.print_json(UsersPublic(data=rows, count=len(rows)).model_dump_json())
        return
    _print_users(rows)


@users.command("create")
def users_create(
    *,
    email: Annotated[str, typer.Option("--email", help="The user's email address (they sign in with it).")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    org: Annotated[str, typer.Option("--org", help="Organisation id (see `bastion orgs list`).")],
    role: Annotated[list[Role], typer.Option("--role", help="A role; repeat for several.")],
    clearance: Annotated[str, typer.Option("--clearance", help="e.g. UNCLASSIFIED, CUI, SECRET.")] = "UNCLASSIFIED",
    password_stdin: PasswordStdin = False,
) -> None:
    """Create a user (programme administrators)."""
    password = _read_password() if password_stdin else None
    user = identity_service().create_user(
        current_principal(),
        org_id=OrgID(org),
        email=email,
        display_name=name,
        roles=role,
        clearance=_clearance(clearance),
        password=password,
    )
    context.console.print(f"created user {user.id} ({escape(user.email)})", highlight=False)


@users.command("update")
def users_update(
    user_id: Annotated[str, typer.Argument(help="The user's id.")],
    name: Annotated[str | None, typer.Option("--name", help="New display name.")] = None,
    role: Annotated[list[Role] | None, typer.Option("--role", help="Replace the roles; repeat.")] = None,
    clearance: Annotated[str | None, typer.Option("--clearance", help="A new clearance, e.g. CUI, SECRET.")] = None,
    active: Annotated[bool | None, typer.Option("--active/--inactive", help="Enable or disable.")] = None,
) -> None:
    """Change a user: display name (yourself), roles, clearance, active (programme administrators)."""
    user = identity_service().update_user(
        current_principal(),
        UserID(user_id),
        display_name=name,
        roles=role or None,
        clearance=_clearance(clearance) if clearance is not None else None,
        active=active,
    )
    _print_users([user])


@users.command("bootstrap-admin")
def users_bootstrap_admin(
    email: Annotated[str, typer.Option("--email", help="The administrator's email address.")],
    name: Annotated[str, typer.Option("--name", help="Display name.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Create the first programme administrator (only while no user exists) and print its API token."""
    password = _read_password() if password_stdin else None
    user, issued = identity_service().bootstrap_admin(email=email, display_name=name, password=password)
    context.err_console.print(f"created programme administrator {user.id} ({escape(user.email)})", highlight=False)
    _print_secret(issued)


@tokens.command("create")
def tokens_create(
    name: Annotated[str, typer.Option("--name", help="What the token is for.")],
    user: Annotated[str | None, typer.Option("--user", help="Whose token (default: yours).")] = None,
    days: Annotated[int | None, typer.Option("--days", min=1, max=366, help="Lifetime (default 90).")] = None,
) -> None:
    """Create an API token and print it (once)."""
    principal = current_principal()
    ttl = timedelta(days=days) if days else None
    issued = identity_service().issue_token(
        principal, user_id=UserID(user) if user else principal.user_id, name=name, ttl=ttl
    )
    _print_secret(issued)


@tokens.command("list")
def tokens_list(
    user: Annotated[str | None, typer.Option("--user", help="Only this user's.")] = None,
    as_json: JsonOption = False,
) -> None:
    """List API tokens you may see (never their secrets)."""
    rows = identity_service().list_tokens(current_principal(), user_id=None if user is None else UserID(user))
    if as_json:
        context.print_json(TokensPublic(data=rows, count=len(rows)).model_dump_json())
        return
    table = Table(title=f"{len(rows)} tokens")
    for column in ("id", "user", "name", "prefix", "expires", "last used", "status"):
        table.add_column(column)
    for t in rows:
        last = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        table.add_row(
            *(Text(c) for c in (t.id, t.user_id, t.name, t.prefix, f"{t.expires_at:%Y-%m-%d}", last, t.status.value))
        )
    context.console.print(table)


@tokens.command("revoke")
def tokens_revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (see `bastion tokens list`).")],
) -> None:
    """Revoke an API token: it stops working at once."""
    identity_service().revoke_token(current_principal(), TokenID(token_id))
    context.console.print(f"revoked token {token_id}", highlight=False)


def login(
    email: Annotated[str, typer.Option("--email", help="Your email address.")],
    password_stdin: PasswordStdin = False,
) -> None:
    """Sign in with email and password; prints a session token (use it as BASTION_TOKEN)."""
    password = _read_password() if password_stdin or not sys.stdin.isatty() else _ask_password()
    issued = identity_service().login(email, password)
    context.err_console.print(f"signed in; the session expires {issued.expires_at:%Y-%m-%d %H:%M} UTC")
    context.console.print(issued.token, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    app.add_typer(orgs, name="orgs")
    app.add_typer(users, name="users")
    app.add_typer(tokens, name="tokens")
    app.command("login")(login)
