"""API keys in the back-office: a shop admin creates one (its secret shown once, on the next
page), changes its scopes, revokes it. Writes go through api.keys."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from api.keys import api_key_create, api_key_revoke, api_key_set_scopes
from api.models import ApiKey
from api.scopes import SCOPE_CHOICES


class ApiKeyForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple
    )
    revoked = forms.BooleanField(label=_("revoked"), required=False)

    class Meta:
        model = ApiKey
        fields = ["name", "scopes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is None:
            del self.fields["revoked"]
        else:
            self.fields["revoked"].initial = self.instance.revoked_at is not None
            self.fields["revoked"].disabled = self.instance.revoked_at is not None


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["name", "prefix", "scopes", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "created_by", "last_used_at", "revoked_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scopes"]
        return ["name", "prefix", "scopes", "revoked", *self.readonly_fields[1:]]

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, never deleted: what a key did stays attributed

    def save_model(self, request, obj, form, change):
        if not change:
            key, secret = api_key_create(
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                created_by=request.user,
            )
            obj.pk = key.pk
            obj.__dict__.update(ApiKey.objects.get(pk=key.pk).__dict__)
            messages.warning(
                request,
                gettext("The key, shown only now (copy it, it is not stored): %(secret)s")
                % {"secret": secret},
            )
            return
        ApiKey.objects.filter(pk=obj.pk).update(name=obj.name)
        api_key_set_scopes(obj, form.cleaned_data["scopes"])
        if form.cleaned_data.get("revoked") and obj.revoked_at is None:
            api_key_revoke(obj)
