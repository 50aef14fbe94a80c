"""Staff accounts: local ones, their passwords as argon2 hashes; a role and the branches they see."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sync.central.server.store import CentralStore
from sync.central.server.tables import accounts

ROLES = ("administrator", "technician", "staff")
_hasher = PasswordHasher()
# Checked when the user does not exist, so that a wrong name takes as long as a wrong password.
_DUMMY = _hasher.hash("not a password anyone has")
EXTERNAL = "!external"  # the password of an account the municipality's sign-in vouches for: none


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    branches: tuple[str, ...]

    def sees(self, branch: str) -> bool:
        return "*" in self.branches or branch in self.branches


class Accounts:
    def __init__(self, store: CentralStore) -> None:
        self._store = store

    def set(self, username: str, password: str, role: str, branches: tuple[str, ...] = ("*",)) -> None:
        """Create or change an account (its password hashed with argon2)."""
        if role not in ROLES:
            raise ValueError(f"role: one of {', '.join(ROLES)}")
        if not 1 <= len(username) <= 128 or len(password) < 10:
            raise ValueError("a user name, and a password of at least 10 characters")
        row = {"username": username, "password_hash": _hasher.hash(password), "role": role,
               "branches": json.dumps(list(branches)), "created_at": dt.datetime.now(dt.UTC),
               "disabled": False}
        with self._store.writing() as db:
            db.execute(sa.delete(accounts).where(accounts.c.username == username))
            db.execute(sa.insert(accounts).values(**row))

    def set_external(self, username: str, role: str, branches: tuple[str, ...]) -> Account:
        """Write down an account the municipality's sign-in vouched for (no password: it cannot log
        in locally), with the role and branches its claims give now."""
        if role not in ROLES or not 1 <= len(username) <= 128:
            raise ValueError(f"role: one of {', '.join(ROLES)}; a user name")
        row = {"username": username, "password_hash": EXTERNAL, "role": role,
               "branches": json.dumps(list(branches)), "created_at": dt.datetime.now(dt.UTC),
               "disabled": False}
        with self._store.writing() as db:
            db.execute(sa.delete(accounts).where(accounts.c.username == username))
            db.execute(sa.insert(accounts).values(**row))
        return Account(username, role, branches)

    def login(self, username: str, password: str) -> Account | None:
        """The account, if the password is its own; None otherwise (the same time either way)."""
        with self._store.reading() as db:
            row = db.execute(sa.select(accounts).where(accounts.c.username == username,
                                                       accounts.c.disabled.is_(False))).mappings().first()
        try:
            _hasher.verify(row["password_hash"] if row else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        return None if row is None else self._account(row)

    def get(self, username: str) -> Account | None:
        with self._store.reading() as db:
            row = db.execute(sa.select(accounts).where(accounts.c.username == username,
                                                       accounts.c.disabled.is_(False))).mappings().first()
        return None if row is None else self._account(row)

    @staticmethod
    def _account(row: sa.RowMapping) -> Account:
        return Account(row["username"], row["role"], tuple(json.loads(row["branches"])))
