"""The app config that replaces ``django.contrib.admin`` in INSTALLED_APPS: the same admin with our
site (two-factor login, rate-limited; moderation/admin_site.py) as ``admin.site``. A module of its
own, so ``moderation.apps`` keeps a single app config."""

from django.contrib.admin.apps import AdminConfig


class AdminSiteConfig(AdminConfig):
    default_site = "moderation.admin_site.TwitterAdminSite"
