"""People, their network roles, their city memberships and their API tokens."""
from __future__ import annotations

import hashlib
import secrets

from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import utcnow

FACILITATOR = "facilitator"
SECRETARIAT = "secretariat"
ADMIN = "admin"
NETWORK_ROLES = (
    (FACILITATOR, _l("Facilitator")),
    (SECRETARIAT, _l("Secretariat")),
    (ADMIN, _l("Administrator")),
)

COORDINATOR = "coordinator"
MEMBER = "member"
CITY_ROLES = (
    (COORDINATOR, _l("City coordinator")),
    (MEMBER, _l("City member")),
)


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(db.String(254), unique=True, index=True)
    name: Mapped[str] = mapped_column(db.String(120))
    locale: Mapped[str] = mapped_column(db.String(8), default="en")
    active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(db.String(256))
    # Rotated on password change or deactivation so that old sessions and remember-me cookies die.
    session_token: Mapped[str] = mapped_column(db.String(32), default=lambda: secrets.token_hex(16))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    last_login_at: Mapped[object | None] = mapped_column(db.DateTime)
    invited_at: Mapped[object | None] = mapped_column(db.DateTime)

    network_roles = relationship("NetworkRole", back_populates="user", cascade="all, delete-orphan",
                                 lazy="selectin")
    memberships = relationship("Membership", back_populates="user", cascade="all, delete-orphan",
                               lazy="selectin")
    api_tokens = relationship("ApiToken", back_populates="user", cascade="all, delete-orphan")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return bool(self.active)

    @property
    def roles(self) -> set[str]:
        return {r.role for r in self.network_roles}

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def has_password(self) -> bool:
        return bool(self.password_hash)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)
        self.session_token = secrets.token_hex(16)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def city_ids(self, *roles: str) -> set[int]:
        return {m.city_id for m in self.memberships if not roles or m.role in roles}

    def __repr__(self) -> str:
        return f"<User {self.email}>"


class NetworkRole(db.Model):
    __tablename__ = "network_roles"
    __table_args__ = (
        db.UniqueConstraint("user_id", "role", name="uq_network_roles_user_role"),
        db.CheckConstraint("role in ('facilitator', 'secretariat', 'admin')", name="valid_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(db.String(20))
    user = relationship("User", back_populates="network_roles")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (
        db.UniqueConstraint("user_id", "city_id", name="uq_memberships_user_city"),
        db.CheckConstraint("role in ('coordinator', 'member')", name="valid_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    city_id: Mapped[int] = mapped_column(db.ForeignKey("cities.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(db.String(20), default=MEMBER)
    user = relationship("User", back_populates="memberships")
    city = relationship("City", back_populates="memberships", lazy="joined")


class ApiToken(db.Model):
    """A personal API token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(db.String(80))
    token_hash: Mapped[str] = mapped_column(db.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(db.String(12))
    created_at: Mapped[object] = mapped_column(db.DateTime, default=utcnow)
    last_used_at: Mapped[object | None] = mapped_column(db.DateTime)
    revoked_at: Mapped[object | None] = mapped_column(db.DateTime)
    user = relationship("User", back_populates="api_tokens")

    PREFIX = "scw_"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @classmethod
    def issue(cls, user: User, name: str) -> tuple["ApiToken", str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=cls.hash(raw), prefix=raw[:10])
        return token, raw

    @property
    def active(self) -> bool:
        return self.revoked_at is None
