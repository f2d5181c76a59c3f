from guanxi.accounts.permissions import Perm, has_perm


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"perms_gx": {p.name: has_perm(user, p) for p in Perm}}
