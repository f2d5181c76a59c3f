"""`guanxi automation`: run the engine once, and manage rules and templates from a shell.

    guanxi automation tick [--now T] [--json]
    guanxi automation rules list [--json] | export FILE | import FILE | enable ID | disable ID
    guanxi automation templates list [--json] | install KEY [--enable]
    guanxi automation coupons list [--json] | load POOL FILE

`tick --now` runs one engine pass "as of" any instant (ISO 8601; without a zone, the
installation's). An import is all or nothing: a file with any bad rule changes nothing, and
every problem is printed.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.automation import selectors
from guanxi.core.management.actors import command_actor
from guanxi.core.management.base import GuanxiCommand


class Command(GuanxiCommand):
    help = gettext_lazy(
        "Run the automation engine once (`tick`), or list, export, import, enable and disable "
        "rules (`rules …`) and install rule templates (`templates …`)."
    )

    def add_arguments(self, parser) -> None:
        areas = parser.add_subparsers(
            dest="area", required=True, metavar="{tick,rules,templates,coupons}"
        )

        tick = areas.add_parser("tick", help=_("Run one engine pass and print what it did."))
        tick.add_argument(
            "--now", default="", help=_("Run as of this instant (ISO 8601, e.g. 2026-12-01T09:01).")
        )
        _json(tick)

        rules = areas.add_parser("rules", help=_("List, export, import, enable or disable rules."))
        rule_actions = rules.add_subparsers(dest="action", required=True)
        _json(rule_actions.add_parser("list", help=_("List the rules.")))
        export = rule_actions.add_parser(
            "export", help=_("Write the rules (not the system rules) to a JSON file.")
        )
        export.add_argument("file", help=_("The JSON file to write (- for the output)."))
        imported = rule_actions.add_parser(
            "import", help=_("Create rules (as drafts) from a JSON file; all or nothing.")
        )
        imported.add_argument("file", help=_("A JSON file written by `rules export`."))
        _actor(imported)
        for name, text in (("enable", _("Activate a rule.")), ("disable", _("Pause a rule."))):
            switch = rule_actions.add_parser(name, help=text)
            switch.add_argument("id", type=int, help=_("The rule's id."))
            _actor(switch)

        templates = areas.add_parser("templates", help=_("List or install rule templates."))
        template_actions = templates.add_subparsers(dest="action", required=True)
        _json(template_actions.add_parser("list", help=_("List the rule templates.")))
        install = template_actions.add_parser("install", help=_("Install a template as a rule."))
        install.add_argument("key", help=_("The template's key (see `templates list`)."))
        install.add_argument(
            "--enable", action="store_true", help=_("Activate the rule (default: a draft).")
        )
        _json(install)
        _actor(install)

        coupons = areas.add_parser("coupons", help=_("List coupon pools or load codes into one."))
        coupon_actions = coupons.add_subparsers(dest="action", required=True)
        _json(coupon_actions.add_parser("list", help=_("List the coupon pools and what is left.")))
        load = coupon_actions.add_parser(
            "load", help=_("Load codes into a pool from a file, one per line (all or nothing).")
        )
        load.add_argument("pool", help=_("The pool's name (letters, digits, - and _)."))
        load.add_argument("file", help=_("A text or CSV file: the first column of each line."))
        _json(load)
        _actor(load)

    def handle(self, *, area: str, **options: Any) -> None:
        if area == "tick":
            return self._tick(now=options["now"], as_json=options["json"])
        handler = getattr(self, f"_{area}_{options['action']}")
        return handler(**options)

    # --- tick ---------------------------------------------------------------------------

    def _tick(self, *, now: str, as_json: bool) -> None:
        from guanxi.automation.engine import tick

        report = tick(now=_instant(now) if now else None)
        counts = report.as_json()
        if as_json:
            self.stdout.write(_dumps(counts))
            return
        self.stdout.write(
            _("Enrolled %(enrolled)d, executed %(executed)d, failed %(failed)d, "
              "skipped %(skipped)d, waiting %(waiting)d.") % counts
        )  # fmt: skip

    # --- rules --------------------------------------------------------------------------

    def _rules_list(self, *, json: bool, **_options) -> None:
        from guanxi.automation.models import Rule

        rules = Rule.objects.select_related("current_version").order_by("pk")
        rows = [_rule_row(r) for r in rules]
        if json:
            self.stdout.write(_dumps(rows))
            return
        if not rows:
            self.stdout.write(_("No rules."))
            return
        header = [_("id"), _("name"), _("status"), _("trigger"), _("template"), _("version")]
        self.stdout.write("\t".join(header))
        for row in rows:
            trigger = row["trigger"] + (f":{row['event']}" if row["event"] else "")
            template = row["template_key"] + (f" ({_('system')})" if row["is_system"] else "")
            cells = [row["id"], row["name"], row["status"], trigger, template, row["version"]]
            self.stdout.write("\t".join(str(c) for c in cells))

    def _rules_export(self, *, file: str, **_options) -> None:
        from guanxi.automation.models import Rule

        # System rules come with every installation (migration 0002): not exported.
        rules = Rule.objects.filter(is_system=False).select_related("current_version")
        data = [
            {
                "name": r.name,
                "description": r.description,
                "status": r.status,
                "template_key": r.template_key,
                "definition": r.current_version.definition if r.current_version else None,
            }
            for r in rules.order_by("pk")
        ]
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if file == "-":
            self.stdout.write(text, ending="")
            return
        Path(file).write_text(text, encoding="utf-8")
        self.stdout.write(_("Exported %(n)d rules to %(file)s.") % {"n": len(data), "file": file})

    def _rules_import(self, *, file: str, username: str, **_options) -> None:
        from guanxi.activity.models import Source
        from guanxi.automation.services import rule_create
        from guanxi.core.errors import ApplicationError

        items = _read_rules(file)
        actor = command_actor(username)
        taken = set(selectors.installed_templates())
        problems: list[str] = []
        notes: list[str] = []
        created = []
        with transaction.atomic():
            for number, item in enumerate(items, start=1):
                where = _("rule %(n)d") % {"n": number}
                if not isinstance(item, dict):
                    problems.append(_("%(where)s: expected an object.") % {"where": where})
                    continue
                name = item.get("name")
                if isinstance(name, str) and name.strip():
                    where = f"{where} “{name.strip()}”"
                key = item.get("template_key") or ""
                if not isinstance(key, str) or len(key) > 50:
                    problems.append(
                        _("%(where)s: the template key is not valid.") % {"where": where}
                    )
                    continue
                if key and key in taken:
                    notes.append(
                        _("%(where)s: the template “%(key)s” is already installed; imported "
                          "as a plain rule.") % {"where": where, "key": key}
                    )  # fmt: skip
                    key = ""
                try:
                    rule = rule_create(
                        actor=actor,
                        name=name if isinstance(name, str) else "",
                        description=str(item.get("description") or ""),
                        definition=item.get("definition"),
                        template_key=key,
                        source=Source.IMPORT,
                    )
                except ApplicationError as exc:
                    details = [f"{field}: {m}" for field, ms in exc.errors.items() for m in ms]
                    for detail in details or [exc.message]:
                        problems.append(f"{where}: {detail}")
                    continue
                if key:
                    taken.add(key)
                created.append(rule)
            if problems:
                transaction.set_rollback(True)
        if problems:
            for line in problems:
                self.stderr.write(line)
            raise CommandError(
                _("Nothing was imported: the file has %(n)d problems.") % {"n": len(problems)}
            )
        for line in notes:
            self.stdout.write(line)
        self.stdout.write(
            _("Imported %(n)d rules as drafts: %(ids)s.")
            % {"n": len(created), "ids": ", ".join(str(r.pk) for r in created) or "-"}
        )

    def _rules_enable(self, *, id: int, username: str, **_options) -> None:
        from guanxi.automation.services import rule_activate

        rule = rule_activate(actor=command_actor(username), rule=_rule(id), source=_source())
        self.stdout.write(
            _("Rule %(id)d “%(name)s” is active.") % {"id": rule.pk, "name": rule.name}
        )

    def _rules_disable(self, *, id: int, username: str, **_options) -> None:
        from guanxi.automation.models import RuleStatus
        from guanxi.automation.services import rule_pause

        actor = command_actor(username)
        rule = rule_pause(
            actor=actor,
            rule=_rule(id),
            reason=_("Paused by %(user)s from the command line.") % {"user": actor.get_username()},
            source=_source(),
        )
        values = {"id": rule.pk, "name": rule.name}
        if rule.status == RuleStatus.PAUSED:
            self.stdout.write(_("Rule %(id)d “%(name)s” is paused.") % values)
        else:
            self.stdout.write(_("Rule %(id)d “%(name)s” is a draft: nothing to pause.") % values)

    # --- coupons ------------------------------------------------------------------------

    def _coupons_list(self, *, json: bool, **_options) -> None:
        from guanxi.automation.coupons import coupon_pools

        rows = [
            {"pool": p.pool, "total": p.total, "issued": p.issued, "available": p.available}
            for p in coupon_pools(user=None)
        ]
        if json:
            self.stdout.write(_dumps(rows))
            return
        if not rows:
            self.stdout.write(_("No coupon pools."))
            return
        self.stdout.write("\t".join([_("pool"), _("codes"), _("issued"), _("available")]))
        for row in rows:
            self.stdout.write("\t".join(str(v) for v in row.values()))

    def _coupons_load(self, *, pool: str, file: str, json: bool, username: str, **_options) -> None:
        from guanxi.automation.coupons import coupon_codes_load, first_column
        from guanxi.core.errors import ApplicationError

        try:
            text = Path(file).read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            message = _("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc}
            raise CommandError(message) from exc
        try:
            loaded = coupon_codes_load(
                actor=command_actor(username), pool=pool, codes=first_column(text),
                source=_source(),
            )  # fmt: skip
        except ApplicationError as exc:
            details = [m for ms in exc.errors.values() for m in ms if m != exc.message]
            raise CommandError(" ".join([exc.message, *details])) from exc
        result = {"pool": pool, "added": loaded.added, "duplicates": loaded.duplicates}
        if json:
            self.stdout.write(_dumps(result))
            return
        self.stdout.write(
            _("Loaded %(added)d codes into “%(pool)s”; %(duplicates)d were already there or "
              "repeated.") % result
        )  # fmt: skip

    # --- templates ----------------------------------------------------------------------

    def _templates_list(self, *, json: bool, **_options) -> None:
        from guanxi.automation.catalog import templates_list

        installed = selectors.installed_templates()
        rows = [
            {
                "key": t.key,
                "name": str(t.name),
                "description": str(t.description),
                "installed_rule_id": installed.get(t.key),
            }
            for t in templates_list()
        ]
        if json:
            self.stdout.write(_dumps(rows))
            return
        self.stdout.write("\t".join([_("key"), _("name"), _("installed as rule")]))
        for row in rows:
            rule = row["installed_rule_id"]
            self.stdout.write("\t".join([row["key"], row["name"], str(rule) if rule else "-"]))

    def _templates_install(self, *, key: str, enable: bool, json: bool, username: str,
                           **_options) -> None:  # fmt: skip
        from guanxi.automation.catalog import template_install
        from guanxi.core.errors import ApplicationError

        actor = command_actor(username)
        try:
            rule = template_install(actor=actor, key=key, enable=enable)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if json:
            self.stdout.write(_dumps(_rule_row(rule)))
            return
        values = {"key": key, "id": rule.pk, "name": rule.name}
        if enable:
            self.stdout.write(
                _("Installed the template “%(key)s” as rule %(id)d “%(name)s”, active.") % values
            )
        else:
            self.stdout.write(
                _("Installed the template “%(key)s” as rule %(id)d “%(name)s”, a draft: check "
                  "it, then `guanxi automation rules enable %(id)d`.") % values
            )  # fmt: skip


def _json(parser) -> None:
    parser.add_argument("--json", action="store_true", help=_("Print JSON instead of text."))


def _actor(parser) -> None:
    parser.add_argument(
        "--as", dest="username", default="",
        help=_("Act as this user (default: the first active administrator)."),
    )  # fmt: skip


def _source() -> str:
    from guanxi.activity.models import Source

    return Source.SYSTEM


def _instant(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise CommandError(
            _("--now takes a date and time in ISO 8601, e.g. 2026-12-01T09:01 (got %(value)r).")
            % {"value": text}
        ) from exc
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def _rule(pk: int):
    from guanxi.automation.models import Rule

    rule = Rule.objects.filter(pk=pk).first()
    if rule is None:
        raise CommandError(_("No rule %(id)s.") % {"id": pk})
    return rule


def _rule_row(rule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "status": rule.status,
        "trigger": rule.trigger_kind,
        "event": rule.trigger_event,
        "template_key": rule.template_key,
        "is_system": rule.is_system,
        "version": rule.current_version.number if rule.current_version_id else None,
        "next_run_at": timezone.localtime(rule.next_run_at).isoformat()
        if rule.next_run_at
        else None,
    }


def _read_rules(file: str) -> list:
    try:
        text = Path(file).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s") % {"file": file, "error": exc.strerror or exc}
        ) from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CommandError(
            _("%(file)s is not valid JSON: %(error)s") % {"file": file, "error": exc}
        ) from exc
    if not isinstance(data, list):
        raise CommandError(
            _("%(file)s must hold a list of rules, as `rules export` writes.") % {"file": file}
        )
    return data


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
