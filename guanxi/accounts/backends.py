"""Login with lockout after repeated failures."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from guanxi.core import clock


def is_locked(user) -> bool:
    return bool(user.locked_until and user.locked_until > clock.now())


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        User = get_user_model()
        try:
            user = User.objects.get(username=username)
        except User.DoesNotExist:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if is_locked(user):
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            if user.failed_logins:
                User.objects.filter(pk=user.pk).update(failed_logins=0, locked_until=None)
            return user
        failures = user.failed_logins + 1
        update = {"failed_logins": failures}
        if failures >= settings.GUANXI_LOGIN_MAX_FAILURES:
            update = {
                "failed_logins": 0,
                "locked_until": clock.now()
                + dt.timedelta(minutes=settings.GUANXI_LOGIN_LOCK_MINUTES),
            }
        User.objects.filter(pk=user.pk).update(**update)
        return None
