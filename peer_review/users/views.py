from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.operations import send_invitation
from ..cities.models import City
from ..errors import ValidationFailed, apply_to_form
from ..extensions import db
from ..pagination import paginate
from ..permissions import can, require
from . import operations as ops
from .forms import InviteForm, MembershipForm, TokenForm, UserEditForm, city_choices
from .models import CITY_ROLES, NETWORK_ROLES, User

bp = Blueprint("users", __name__, url_prefix="/users")


def _get_user_or_404(user_id: int) -> User:
    return db.get_or_404(User, user_id)


def _city_by_slug(slug: str | None) -> City | None:
    if not slug:
        return None
    return db.session.execute(db.select(City).filter_by(slug=slug)).scalar_one_or_none()


@bp.route("/")
@login_required
def index():
    require("user.list")
    q = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role") or None
    city = _city_by_slug(request.args.get("city"))
    pager = paginate(ops.search_users(q, role, city.id if city else None))
    return render_template("users/index.html", pager=pager, q=q, role=role, city=city,
                           role_choices=NETWORK_ROLES + CITY_ROLES, cities=city_choices())


@bp.route("/invite", methods=["GET", "POST"])
@login_required
def invite():
    require("user.invite")
    form = InviteForm()
    form.city.choices = city_choices(include_blank=True)
    if form.validate_on_submit():
        try:
            if any(not can(current_user, "user.grant_role", r) for r in form.roles.data or []):
                raise ValidationFailed({"roles": [_("Only an administrator can give the facilitator and "
                                                    "administrator roles")]})
            user = ops.create_user(form.email.data, form.name.data, roles=form.roles.data or [],
                                   city=_city_by_slug(form.city.data), city_role=form.city_role.data,
                                   locale=form.locale.data, actor=current_user, audit_action="user.invite")
            send_invitation(user, current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("Invitation sent to %(email)s.", email=user.email), "success")
            return redirect(url_for("users.show", user_id=user.id))
    return render_template("users/invite.html", form=form), (400 if form.errors else 200)


@bp.route("/me")
@login_required
def me():
    return redirect(url_for("users.show", user_id=current_user.id))


@bp.route("/<int:user_id>")
@login_required
def show(user_id: int):
    user = _get_user_or_404(user_id)
    require("user.view", user)
    membership_form = MembershipForm() if can(current_user, "user.access", user) else None
    if membership_form is not None:
        membership_form.city.choices = city_choices()
    token_form = TokenForm() if can(current_user, "token.manage", user) else None
    return render_template("users/show.html", user=user, membership_form=membership_form,
                           token_form=token_form, new_token=None)


@bp.route("/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit(user_id: int):
    user = _get_user_or_404(user_id)
    require("user.edit", user)
    form = UserEditForm(obj=user)
    # Only the roles this person may give or take are offered; the others stay as they are.
    may_change_roles = can(current_user, "user.access", user)
    grantable = {r for r, _label in form.roles.choices if can(current_user, "user.grant_role", r)}
    form.roles.choices = [(r, label) for r, label in form.roles.choices if r in grantable]
    fixed_roles = sorted(user.roles - grantable)
    if request.method == "GET":
        form.roles.data = sorted(user.roles & grantable)
    if form.validate_on_submit():
        roles = None
        if may_change_roles:
            roles = (set(form.roles.data or []) & grantable) | set(fixed_roles)
        try:
            ops.update_user(user, name=form.name.data, locale=form.locale.data, roles=roles, actor=current_user)
        except ValidationFailed as err:
            db.session.rollback()
            apply_to_form(form, err)
        else:
            db.session.commit()
            flash(_("Changes to %(name)s saved.", name=user.name), "success")
            return redirect(url_for("users.show", user_id=user.id))
    return render_template("users/edit.html", form=form, user=user, may_change_roles=may_change_roles,
                           fixed_roles=fixed_roles,
                           fixed_labels=", ".join(str(dict(NETWORK_ROLES)[r]) for r in fixed_roles)), \
        (400 if form.errors else 200)


@bp.route("/<int:user_id>/memberships", methods=["POST"])
@login_required
def add_membership(user_id: int):
    user = _get_user_or_404(user_id)
    require("user.edit", user)
    require("user.access", user)
    form = MembershipForm()
    form.city.choices = city_choices()
    if form.validate_on_submit():
        city = _city_by_slug(form.city.data)
        try:
            ops.add_membership(user, city, form.role.data, actor=current_user)
        except ValidationFailed as err:
            db.session.rollback()
            flash(err.first_message, "error")
            return redirect(url_for("users.show", user_id=user.id))
        db.session.commit()
        flash(_("%(name)s added to %(city)s.", name=user.name, city=city.name), "success")
    else:
        for errors in form.errors.values():
            flash(errors[0], "error")
    return redirect(url_for("users.show", user_id=user.id))


@bp.route("/<int:user_id>/memberships/<int:membership_id>/delete", methods=["POST"])
@login_required
def remove_membership(user_id: int, membership_id: int):
    user = _get_user_or_404(user_id)
    require("user.access", user)
    try:
        removed = ops.remove_membership(user, membership_id, actor=current_user)
    except ValidationFailed as err:
        flash(err.first_message, "error")
        return redirect(url_for("users.show", user_id=user.id))
    if not removed:
        abort(404)
    db.session.commit()
    flash(_("Membership removed."), "success")
    return redirect(url_for("users.show", user_id=user.id))


@bp.route("/<int:user_id>/active", methods=["POST"])
@login_required
def set_active(user_id: int):
    user = _get_user_or_404(user_id)
    require("user.access", user)
    active = request.form.get("active") == "1"
    try:
        ops.set_user_active(user, active, actor=current_user)
    except ValidationFailed as err:
        flash(err.first_message, "error")
        return redirect(url_for("users.show", user_id=user.id))
    db.session.commit()
    flash(_("%(name)s reactivated.", name=user.name) if active else
          _("%(name)s deactivated; their sessions and API tokens no longer work.", name=user.name), "success")
    return redirect(url_for("users.show", user_id=user.id))


@bp.route("/<int:user_id>/tokens", methods=["POST"])
@login_required
def create_token(user_id: int):
    user = _get_user_or_404(user_id)
    require("token.manage", user)
    form = TokenForm()
    if form.validate_on_submit():
        _token, raw = ops.create_token(user, form.name.data)
        db.session.commit()
        membership_form = None
        if can(current_user, "user.access", user):
            membership_form = MembershipForm()
            membership_form.city.choices = city_choices()
        # Shown once, never stored in clear.
        return render_template("users/show.html", user=user, membership_form=membership_form,
                               token_form=TokenForm(formdata=None), new_token=raw)
    for errors in form.errors.values():
        flash(errors[0], "error")
    return redirect(url_for("users.show", user_id=user.id))


@bp.route("/<int:user_id>/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke_token(user_id: int, token_id: int):
    user = _get_user_or_404(user_id)
    require("token.manage", user)
    if not ops.revoke_token(user, token_id):
        abort(404)
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("users.show", user_id=user.id))
