from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from guanxi.accounts.models import Department, Role, Team, User


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"部门{n}")


class TeamFactory(DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"团队{n}")
    department = factory.SubFactory(DepartmentFactory)


class UserFactory(DjangoModelFactory):
    """A user with a built-in role: UserFactory(role_slug="supervisor", team=team)."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    class Params:
        role_slug = "sales"

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Faker("name", locale="zh_CN")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    role = factory.LazyAttribute(lambda o: Role.objects.get(slug=o.role_slug))
    team = factory.SubFactory(TeamFactory)
    department = factory.LazyAttribute(lambda o: o.team.department if o.team else None)
    data_scope = factory.LazyAttribute(lambda o: o.role.default_scope if o.role else "own")
    password = factory.PostGenerationMethodCall("set_password", "Guanxi-Pass-2024")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


PASSWORD = "Guanxi-Pass-2024"
