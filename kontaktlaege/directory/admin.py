from django import forms
from django.contrib import admin

from . import cpr as cprlib
from .models import Clinic, Doctor, Municipality, Region, RegistryEntry, Ydernummer


class YdernummerInline(admin.TabularInline):
    model = Ydernummer
    extra = 0


class DoctorInline(admin.TabularInline):
    model = Doctor
    extra = 0


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "region", "sor_code", "ean_number"]
    list_filter = ["region"]


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "municipality", "phone", "offers_video", "sor_code", "ean_number"]
    list_filter = ["municipality", "offers_video"]
    search_fields = ["name", "ydernumre__number"]
    inlines = [YdernummerInline]


@admin.register(Ydernummer)
class YdernummerAdmin(admin.ModelAdmin):
    list_display = ["number", "clinic"]
    search_fields = ["number"]
    inlines = [DoctorInline]


class RegistryEntryForm(forms.ModelForm):
    cpr = forms.CharField(label="CPR-nummer", max_length=11)

    class Meta:
        model = RegistryEntry
        fields = ["name", "ydernummer"]

    def clean_cpr(self) -> str:
        return cprlib.normalize(self.cleaned_data["cpr"])

    def save(self, commit: bool = True) -> RegistryEntry:
        self.instance.set_cpr(self.cleaned_data["cpr"])
        return super().save(commit)


@admin.register(RegistryEntry)
class RegistryEntryAdmin(admin.ModelAdmin):
    form = RegistryEntryForm
    list_display = ["name", "ydernummer"]
    search_fields = ["name"]
