from django.contrib import admin

from .models import FederatedIdentity, Organisation


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["cvr", "municipality", "clinic"]
    search_fields = ["cvr"]


@admin.register(FederatedIdentity)
class FederatedIdentityAdmin(admin.ModelAdmin):
    list_display = ["user", "idp", "created_at", "last_login_at"]
    list_filter = ["idp"]
    readonly_fields = ["user", "idp", "name_id", "person_uuid", "created_at", "last_login_at"]
    fields = [*readonly_fields, "confirmed"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False  # made by the first sign-in only
