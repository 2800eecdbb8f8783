"""Creating, changing and deactivating people; roles, memberships and API tokens. All audited."""
from __future__ import annotations

import secrets

from sqlalchemy import func, or_

from ..audit.operations import record
from ..cities.models import City
from ..errors import ValidationFailed
from ..extensions import db
from ..i18n import lazy_gettext as _l
from ..utils import strip_control, utcnow
from .models import CITY_ROLES, NETWORK_ROLES, ApiToken, Membership, NetworkRole, User

ROLE_VALUES = {r for r, _ in NETWORK_ROLES}
CITY_ROLE_VALUES = {r for r, _ in CITY_ROLES}
LOCALES = {"en", "es", "fr"}


def snapshot(user: User) -> dict:
    return {
        "email": user.email, "name": user.name, "locale": user.locale, "active": user.active,
        "roles": sorted(user.roles),
        "memberships": sorted(f"{m.city.slug}:{m.role}" for m in user.memberships),
    }


def find_user(email: str) -> User | None:
    return db.session.execute(db.select(User).filter_by(email=email.strip().lower())).scalar_one_or_none()


def _check_person(name: str | None, locale: str | None, roles) -> dict:
    errors: dict[str, list] = {}
    if name is not None:
        name = strip_control(name).strip()
        if not name or len(name) > 120:
            errors["name"] = [_l("Enter a name of 1 to 120 characters")]
    if locale is not None and locale not in LOCALES:
        errors["locale"] = [_l("Choose English, Spanish or French")]
    if roles is not None and not set(roles) <= ROLE_VALUES:
        errors["roles"] = [_l("Unknown role: choose from facilitator, secretariat, admin")]
    if errors:
        raise ValidationFailed(errors)
    return {"name": name}


def create_user(email: str, name: str, *, roles=(), city: City | None = None, city_role: str = "member",
                password: str | None = None, locale: str = "en", actor: User | None = None,
                audit_action: str = "user.create") -> User:
    email = (email or "").strip().lower()
    if not email or "@" not in email or len(email) > 254 or any(c.isspace() for c in email):
        raise ValidationFailed({"email": [_l("Enter an email address in the correct format")]})
    if find_user(email) is not None:
        raise ValidationFailed({"email": [_l("Someone already has an account with this email address")]})
    if city_role not in CITY_ROLE_VALUES:
        raise ValidationFailed({"city_role": [_l("Choose coordinator or member")]})
    clean = _check_person(name, locale, roles)
    user = User(email=email, name=clean["name"], locale=locale)
    if password:
        user.set_password(password)
    user.network_roles = [NetworkRole(role=r) for r in sorted(set(roles))]
    if city is not None:
        user.memberships = [Membership(city=city, role=city_role)]
    db.session.add(user)
    db.session.flush()
    record(audit_action, "user", user.id, summary=user.email, after=snapshot(user), actor=actor)
    return user


def update_user(user: User, *, name: str | None = None, locale: str | None = None, roles=None,
                actor: User | None = None) -> User:
    before = snapshot(user)
    clean = _check_person(name, locale, roles)
    if name is not None:
        user.name = clean["name"]
    if locale is not None:
        user.locale = locale
    if roles is not None and set(roles) != user.roles:
        wanted = set(roles)
        check_role_change(user, wanted ^ user.roles, actor)
        user.network_roles = [r for r in user.network_roles if r.role in wanted] + \
            [NetworkRole(role=r) for r in sorted(wanted - user.roles)]
    db.session.flush()
    after = snapshot(user)
    if after != before:
        record("user.update", "user", user.id, summary=user.email, before=before, after=after, actor=actor)
    return user


def check_role_change(user: User, changed: set[str], actor: User | None, field: str = "roles") -> None:
    """Refuse a change of roles or memberships the actor may not make (the command line has no actor)."""
    from ..permissions import can
    if actor is None:
        return
    if actor.id == user.id:
        raise ValidationFailed({field: [_l("You cannot change your own roles or city memberships; ask another "
                                           "administrator")]})
    if not can(actor, "user.access", user):
        raise ValidationFailed({field: [_l("Only an administrator can change an administrator's roles")]})
    if any(not can(actor, "user.grant_role", role) for role in changed):
        raise ValidationFailed({field: [_l("Only an administrator can give or take the facilitator and "
                                           "administrator roles")]})


def add_membership(user: User, city: City, role: str, actor: User | None = None) -> Membership:
    if role not in CITY_ROLE_VALUES:
        raise ValidationFailed({"role": [_l("Choose coordinator or member")]})
    check_role_change(user, {role}, actor, field="city")
    before = snapshot(user)
    existing = next((m for m in user.memberships if m.city_id == city.id), None)
    if existing is not None:
        existing.role = role
        membership = existing
    else:
        membership = Membership(user=user, city=city, role=role)
        db.session.add(membership)
    db.session.flush()
    db.session.refresh(user)
    record("user.membership_add", "user", user.id, summary=f"{user.email} {city.slug}:{role}",
           before=before, after=snapshot(user), actor=actor)
    return membership


def remove_membership(user: User, membership_id: int, actor: User | None = None) -> bool:
    membership = next((m for m in user.memberships if m.id == membership_id), None)
    if membership is None:
        return False
    check_role_change(user, {membership.role}, actor, field="city")
    before = snapshot(user)
    user.memberships.remove(membership)
    db.session.flush()
    record("user.membership_remove", "user", user.id, summary=f"{user.email} {membership.city.slug}",
           before=before, after=snapshot(user), actor=actor)
    return True


def set_user_active(user: User, active: bool, actor: User | None = None) -> None:
    if actor is not None and actor.id == user.id and not active:
        raise ValidationFailed({"active": [_l("You cannot deactivate your own account")]})
    if user.active == active:
        return
    if actor is not None and actor.id != user.id:
        check_role_change(user, set(), actor, field="active")
    before = snapshot(user)
    user.active = active
    user.session_token = secrets.token_hex(16)  # ends every open session of that person
    if not active:
        for token in user.api_tokens:
            token.revoked_at = token.revoked_at or utcnow()
    record("user.reactivate" if active else "user.deactivate", "user", user.id, summary=user.email,
           before=before, after=snapshot(user), actor=actor)


def create_token(user: User, name: str, actor: User | None = None) -> tuple[ApiToken, str]:
    name = (strip_control(name or "") or "").strip()
    if not name or len(name) > 80:
        raise ValidationFailed({"name": [_l("Give the token a name of 1 to 80 characters")]})
    token, raw = ApiToken.issue(user, name)
    db.session.add(token)
    db.session.flush()
    record("token.create", "user", user.id, summary=f"{user.email}: {name} ({token.prefix}…)",
           after={"token": token.prefix, "name": name}, actor=actor or user)
    return token, raw


def revoke_token(user: User, token_id: int, actor: User | None = None) -> bool:
    token = next((t for t in user.api_tokens if t.id == token_id and t.active), None)
    if token is None:
        return False
    token.revoked_at = utcnow()
    record("token.revoke", "user", user.id, summary=f"{user.email}: {token.name} ({token.prefix}…)",
           before={"token": token.prefix, "revoked": False}, after={"token": token.prefix, "revoked": True},
           actor=actor or user)
    return True


def search_users(q: str | None = None, role: str | None = None, city_id: int | None = None,
                 include_inactive: bool = True):
    stmt = db.select(User).order_by(User.name)
    if q:
        like = f"%{q.strip().lower()[:100]}%"
        stmt = stmt.filter(or_(func.lower(User.name).like(like), User.email.like(like)))
    if role in ROLE_VALUES:
        stmt = stmt.filter(User.network_roles.any(NetworkRole.role == role))
    elif role in CITY_ROLE_VALUES:
        stmt = stmt.filter(User.memberships.any(Membership.role == role))
    if city_id:
        stmt = stmt.filter(User.memberships.any(Membership.city_id == city_id))
    if not include_inactive:
        stmt = stmt.filter(User.active.is_(True))
    return stmt
