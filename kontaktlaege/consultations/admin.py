from django.contrib import admin

from .models import Consultation, OpeningWindow, WaitingRoom


class OpeningWindowInline(admin.TabularInline):
    model = OpeningWindow
    extra = 0


@admin.register(WaitingRoom)
class WaitingRoomAdmin(admin.ModelAdmin):
    list_display = ["clinic", "mode"]
    inlines = [OpeningWindowInline]


@admin.register(Consultation)
class ConsultationAdmin(admin.ModelAdmin):
    list_display = ["pk", "clinic", "kind", "state", "queued_at"]
    list_filter = ["state", "kind", "clinic"]
    # Health data: administrators see the lifecycle, not the citizen or the reason.
    fields = (
        "clinic",
        "kind",
        "state",
        "queued_at",
        "admitted_at",
        "ended_at",
        "rejected_at",
        "cancelled_at",
        "cleared_at",
        "abandoned_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False
