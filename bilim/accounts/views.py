"""User administration pages (`/accounts/users/`): thin callers of `bilim.accounts.users`.

Administrators only (the `users` capability); a scoped administrator sees and manages the accounts
of its subtree. A refused change shows the form again with the message on the field concerned.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import users as svc
from .models import Role
from .permissions import BY_METHOD, READ, WRITE, permission_required

MAX_UNITS_LISTED = 5000  # beyond this the datalist would be heavy: the code is typed (the picker comes)


class UserForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("User name"), max_length=150)
    role = forms.ChoiceField(label=gettext_lazy("Role"), choices=Role.choices)
    scope = forms.CharField(label=gettext_lazy("Scope"), max_length=32, required=False,
                            help_text=gettext_lazy("The org unit whose subtree the user works in; empty: the whole republic."))
    email = forms.EmailField(label=gettext_lazy("E-mail"), required=False)
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150, required=False)
    language = forms.ChoiceField(label=gettext_lazy("Language"), required=False,
                                 choices=[("", "—"), ("kk", "Қазақша"), ("ru", "Русский"), ("en", "English")])


class NewUserForm(UserForm):
    password = forms.CharField(label=gettext_lazy("Password"), widget=forms.PasswordInput(render_value=False), max_length=128)
    password2 = forms.CharField(label=gettext_lazy("Password again"), widget=forms.PasswordInput(render_value=False),
                                max_length=128)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") is not None and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class PasswordForm(forms.Form):
    password = forms.CharField(label=gettext_lazy("New password"), widget=forms.PasswordInput, max_length=128)
    password2 = forms.CharField(label=gettext_lazy("Password again"), widget=forms.PasswordInput, max_length=128)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password2") is not None and data["password"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


def _put(form: forms.Form, e: svc.AccountError) -> None:
    form.add_error(e.field if e.field in form.fields else None, e.message)


def _units(request):
    qs = svc.assignable_units(request.user)
    return list(qs.only("code", "name_kk", "name_ru", "name_en", "kind")[:MAX_UNITS_LISTED])


def _user_or_404(request, username: str):
    try:
        return svc.get_user(request.user, username)
    except svc.AccountError as e:
        if e.status == 404:
            raise Http404(e.message) from None
        raise


def _edit_form(user, data=None) -> UserForm:
    form = UserForm(data, initial={"username": user.username, "role": user.role,
                                   "scope": user.scope.code if user.scope_id else "", "email": user.email,
                                   "first_name": user.first_name, "last_name": user.last_name,
                                   "language": user.language})
    form.fields["username"].disabled = True
    return form


def _detail(request, user, *, form=None, password_form=None, new_key: str | None = None, status: int = 200):
    return render(request, "accounts/user_detail.html", {
        "account": user, "form": form or _edit_form(user), "units": _units(request),
        "password_form": password_form or PasswordForm(), "tokens": svc.tokens_of(request.user, user),
        "new_key": new_key}, status=status)


@permission_required("users", READ)
def user_list(request):
    qs = svc.manageable_users(request.user).prefetch_related("api_tokens")
    q = (request.GET.get("q") or "").strip()[:150]
    if q:
        qs = qs.filter(username__icontains=q)
    role = request.GET.get("role") or ""
    if role in Role.values:
        qs = qs.filter(role=role)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/users.html", {"page": page, "q": q, "role": role, "roles": Role.choices})


@permission_required("users", BY_METHOD)
def user_new(request):
    form = NewUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = svc.create_user(request.user, d["username"], d["password"], d["role"], d["scope"] or None,
                                   email=d["email"], first_name=d["first_name"], last_name=d["last_name"],
                                   language=d["language"])
        except svc.AccountError as e:
            if e.status == 403 and not e.field:
                return HttpResponseForbidden(e.message)
            _put(form, e)
        else:
            messages.success(request, _("User %(user)s added.") % {"user": user.username})
            return redirect("accounts:user", username=user.username)
    return render(request, "accounts/user_form.html", {"form": form, "units": _units(request), "new": True},
                  status=400 if request.method == "POST" else 200)


@permission_required("users", BY_METHOD)
def user_detail(request, username: str):
    user = _user_or_404(request, username)
    if request.method != "POST":
        return _detail(request, user)
    form = _edit_form(user, request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            svc.update_user(request.user, user, role=d["role"], scope=d["scope"] or None, email=d["email"],
                            first_name=d["first_name"], last_name=d["last_name"], language=d["language"])
        except svc.AccountError as e:
            _put(form, e)
        else:
            messages.success(request, _("User %(user)s saved.") % {"user": user.username})
            return redirect("accounts:user", username=user.username)
    user.refresh_from_db()
    return _detail(request, user, form=form, status=400)


@require_POST
@permission_required("users", WRITE)
def user_active(request, username: str):
    user = _user_or_404(request, username)
    active = request.POST.get("active") == "1"
    try:
        svc.set_active(request.user, user, active)
    except svc.AccountError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, (_("User %(user)s activated.") if active else _("User %(user)s deactivated."))
                         % {"user": user.username})
    return redirect("accounts:user", username=user.username)


@require_POST
@permission_required("users", WRITE)
def user_password(request, username: str):
    user = _user_or_404(request, username)
    form = PasswordForm(request.POST)
    if form.is_valid():
        try:
            svc.reset_password(request.user, user, form.cleaned_data["password"])
        except svc.AccountError as e:
            _put(form, e)
        else:
            messages.success(request, _("The password of %(user)s was changed.") % {"user": user.username})
            return redirect("accounts:user", username=user.username)
    return _detail(request, user, password_form=form, status=400)


@require_POST
@permission_required("users", WRITE)
def token_issue(request, username: str):
    """The key is in this answer only (not stored, not put in the session): copy it now."""
    user = _user_or_404(request, username)
    try:
        key = svc.issue_token(request.user, user, (request.POST.get("name") or "")[:100])
    except svc.AccountError as e:
        messages.error(request, e.message)
        return redirect("accounts:user", username=user.username)
    response = _detail(request, user, new_key=key)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@permission_required("users", WRITE)
def token_revoke(request, username: str, prefix: str):
    user = _user_or_404(request, username)
    try:
        token = svc.find_token(request.user, prefix, user)
        svc.revoke_token(request.user, token)
    except svc.AccountError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("Token %(prefix)s… revoked.") % {"prefix": token.prefix})
    return redirect("accounts:user", username=user.username)
