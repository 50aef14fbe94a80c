"""Sign-in to the administration web through the municipality's OpenID Connect provider (Entra ID /
AD FS, or any other), with Authlib; the local accounts stay as the fall-back.

The provider says who the person is (``preferred_username``, else ``email``, else ``sub``) and, in a
claim (``roles`` or ``groups``), what they are; the file maps each value of that claim to a role and
the branches it sees. The highest role among those matched wins, and the branches add up. A person
whose claims match no mapping is not let in (and the refusal is audited). The account is written
down at each sign-in (without a password: only the provider lets them in), so that the pages and the
audit log name them as they name local users.

    [oidc]
    name = "Aarhus Kommune"           # on the login button
    metadata_url = "https://login.microsoftonline.com/<tenant>/v2.0/.well-known/openid-configuration"
    client_id = "..."
    client_secret = "..."
    claim = "roles"                   # the claim the mappings read (a list of strings, or one string)

    [[oidc.roles]]
    value = "Selvbetjening.Administrator"
    role = "administrator"

    [[oidc.roles]]
    value = "Viby.Personale"
    role = "staff"
    branches = ["viby"]
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field

from kiosk.settings.base import Section, validate
from kiosk.settings.tomlfile import read_toml
from sync.central.server.web.accounts import ROLES


class _Section(Section):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class RoleMapping(_Section):
    value: str = Field(min_length=1)
    role: str = Field(pattern="^(administrator|technician|staff)$")
    branches: tuple[str, ...] = ("*",)


class OidcSettings(_Section):
    name: str = Field(default="OpenID Connect", min_length=1, max_length=60)
    metadata_url: str = Field(pattern="^https?://")
    client_id: str = Field(min_length=1)
    client_secret: str = ""
    claim: str = "roles"
    scope: str = "openid email profile"
    roles: tuple[RoleMapping, ...] = Field(min_length=1)


def load_oidc_settings(path: Path) -> OidcSettings:
    """The ``[oidc]`` table of a TOML file; :class:`ConfigError` names what is wrong."""
    return validate(OidcSettings, read_toml(path, "oidc").get("oidc", {}), path)


def who(claims: Mapping[str, Any]) -> str:
    """The person's name for the pages and the audit log."""
    for name in ("preferred_username", "email", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:128]
    return ""


def role_of(settings: OidcSettings, claims: Mapping[str, Any]) -> tuple[str, tuple[str, ...]] | None:
    """(role, branches) the claims give, or None when they match no mapping."""
    found = claims.get(settings.claim)
    if isinstance(found, str):
        values = {found}
    elif isinstance(found, list):
        values = {value for value in found if isinstance(value, str)}
    else:
        values = set()
    matched = [mapping for mapping in settings.roles if mapping.value in values]
    if not matched:
        return None
    rank = {role: index for index, role in enumerate(reversed(ROLES))}  # staff < technician < administrator
    role = max((mapping.role for mapping in matched), key=rank.__getitem__)
    branches = {branch for mapping in matched for branch in mapping.branches}
    return role, ("*",) if "*" in branches else tuple(sorted(branches))
