"""The `guanxi` command line, run in-process: dispatch, exit codes, and what each command does."""

import re

import pytest
from django.utils import translation

from guanxi.accounts.models import User
from guanxi.accounts.tests.factories import UserFactory
from guanxi.accounts.tokens import token_authenticate
from guanxi.activity.models import ActivityEvent
from guanxi.cli import COMMANDS, main


def guanxi(*args: str) -> int:
    # English output whatever the catalogs hold; checks are the suite's business, not each call's.
    with translation.override("en"):
        if args[0] in SKIPPABLE:
            args = (args[0], "--skip-checks", *args[1:])
        return main(list(args))


SKIPPABLE = {"user", "token", "createadmin", "scheduler"}


def password_from(output: str) -> str:
    match = re.search(r"Password: (\S+)", output)
    assert match, output
    return match.group(1)


def test_help_lists_every_command(capsys):
    assert guanxi("--help") == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert f"  {name} " in out


def test_no_command_is_a_usage_error(capsys):
    assert main([]) == 2
    assert "usage: guanxi" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys):
    assert guanxi("frobnicate") == 2
    assert "unknown command 'frobnicate'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["run", "worker", "scheduler", "user", "token", "createadmin"])
def test_every_command_has_help(name, capsys):
    with pytest.raises(SystemExit) as exc:
        guanxi(name, "--help")
    assert exc.value.code == 0
    assert f"usage: guanxi {name}" in capsys.readouterr().out


def test_bad_option_exits_2_with_usage(capsys):
    with pytest.raises(SystemExit) as exc:
        guanxi("run", "--port", "eighty")
    assert exc.value.code == 2
    assert "invalid int value" in capsys.readouterr().err


@pytest.mark.django_db
def test_user_add_creates_team_and_department_and_prints_a_working_password(capsys):
    code = guanxi("user", "add", "lisi", "--role", "supervisor", "--team", "华东一组",
                  "--department", "销售部", "--display-name", "李四")  # fmt: skip

    assert code == 0
    user = User.objects.select_related("role", "team", "department").get(username="lisi")
    assert (user.role.slug, user.team.name, user.department.name) == (
        "supervisor",
        "华东一组",
        "销售部",
    )
    assert user.data_scope == "team"  # the role's default
    assert user.display_name == "李四"
    assert user.check_password(password_from(capsys.readouterr().out))
    event = ActivityEvent.objects.get(target_type="accounts.user", target_id=user.pk)
    assert (event.verb, event.source, event.actor) == ("created", "system", None)


@pytest.mark.django_db
def test_user_add_with_password_and_scope_prints_no_password(capsys):
    code = guanxi("user", "add", "wangwu", "--role", "sales", "--scope", "department",
                  "--password", "Guanxi-Strong-Pass-9")  # fmt: skip

    assert code == 0
    user = User.objects.get(username="wangwu")
    assert user.data_scope == "department"
    assert user.check_password("Guanxi-Strong-Pass-9")
    assert "Password:" not in capsys.readouterr().out


@pytest.mark.django_db
def test_user_add_refuses_a_weak_password_and_creates_nothing(capsys):
    assert guanxi("user", "add", "weak", "--role", "sales", "--password", "123") == 1

    assert "guanxi user: password:" in capsys.readouterr().err
    assert not User.objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_user_add_refuses_an_unknown_role(capsys):
    assert guanxi("user", "add", "nobody", "--role", "emperor") == 1

    assert "emperor" in capsys.readouterr().err
    assert not User.objects.filter(username="nobody").exists()


@pytest.mark.django_db
def test_user_add_refuses_a_taken_username(capsys):
    UserFactory(username="taken")

    assert guanxi("user", "add", "taken", "--role", "sales") == 1
    assert "username" in capsys.readouterr().err
    assert User.objects.filter(username="taken").count() == 1


def test_user_add_refuses_an_unknown_scope(capsys):
    with pytest.raises(SystemExit) as exc:
        guanxi("user", "add", "x", "--role", "sales", "--scope", "galaxy")
    assert exc.value.code == 2


@pytest.mark.django_db
def test_token_prints_a_key_that_authenticates_the_user(capsys):
    user = UserFactory(username="zhaoliu")

    assert guanxi("token", "zhaoliu", "--name", "ERP sync") == 0
    key = capsys.readouterr().out.strip()

    assert token_authenticate(key=key) == user
    assert user.api_tokens.get().name == "ERP sync"


@pytest.mark.django_db
def test_token_for_an_unknown_user_fails(capsys):
    assert guanxi("token", "ghost") == 1
    assert "ghost" in capsys.readouterr().err


@pytest.mark.django_db
def test_createadmin_creates_then_resets_and_keeps_the_run_login_in_step(capsys, settings):
    from guanxi.core import startup

    assert guanxi("createadmin") == 0
    first = password_from(capsys.readouterr().out)
    admin = User.objects.get(username="admin")
    assert admin.role.slug == "admin" and admin.check_password(first)

    assert guanxi("createadmin", "--password", "Another-Admin-Pass-7") == 0
    admin.refresh_from_db()
    assert admin.check_password("Another-Admin-Pass-7")
    assert startup.admin_password_file().read_text().strip() == "Another-Admin-Pass-7"


@pytest.mark.django_db
def test_createadmin_promotes_an_existing_user(capsys):
    UserFactory(username="boss", role_slug="sales")

    assert guanxi("createadmin", "--username", "boss", "--password", "Boss-Pass-Word-42") == 0
    boss = User.objects.get(username="boss")
    assert (boss.role.slug, boss.data_scope) == ("admin", "all")
    assert boss.check_password("Boss-Pass-Word-42")


def test_demo_reports_clearly_when_demo_data_is_not_installed(monkeypatch, capsys):
    import django.core.management as management

    commands = {k: v for k, v in management.get_commands().items() if k != "demo"}
    monkeypatch.setattr(management, "get_commands", lambda: commands)

    assert guanxi("demo", "--customers", "5") == 1
    assert "demo data is not available" in capsys.readouterr().err


@pytest.mark.django_db
def test_scheduler_once_enqueues_due_jobs(capsys):
    assert guanxi("scheduler", "--once") == 0
    assert "followups.send_task_reminders" in capsys.readouterr().out


def test_scheduler_list_shows_the_registry(capsys):
    with translation.override("en"):
        assert main(["scheduler", "--list", "--skip-checks"]) == 0
    assert "guanxi.followups.tasks.send_task_reminders" in capsys.readouterr().out


def test_manage_passes_through_to_django(capsys):
    assert guanxi("manage", "check") == 0
    assert "no issues" in capsys.readouterr().out
