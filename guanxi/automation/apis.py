"""REST API of the automation engine (/api/v1/automation/…): rules and their versions, dry
runs, metrics and step boards; the enrollments and step executions they produce; and the
rule templates.

Reading needs "automation.view", changing anything "automation.manage" (checked before any
lookup, so a refusal never tells whether a record exists). Enrollments and executions are
those of customers the caller can see; any other id is a 404."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from guanxi.accounts.permissions import Perm
from guanxi.api.views import SOURCE, ApiViewSet
from guanxi.automation import catalog, selectors, services
from guanxi.automation import serializers as s
from guanxi.automation.coupons import coupon_codes_load, coupon_pools
from guanxi.automation.definition import DefinitionError, validate_definition
from guanxi.automation.dryrun import dry_run
from guanxi.automation.metrics import rule_metrics
from guanxi.automation.models import (
    Enrollment,
    EnrollmentStatus,
    Execution,
    ExecutionStatus,
    Rule,
)
from guanxi.core import clock
from guanxi.core.errors import ApplicationError, ConflictError, NotFoundError

VIEW, MANAGE = Perm.AUTOMATION_VIEW, Perm.AUTOMATION_MANAGE
ERROR = OpenApiResponse(description=gettext_lazy('{"detail": …, "errors": {field: […]}}'))
METRICS_DAYS = 30


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class RuleViewSet(ApiViewSet):
    """Automation rules. A changed definition is saved as a new version; journeys already
    running keep the version they started with."""

    queryset = Rule.objects.none()  # schema introspection only; data from selectors
    serializer_class = s.RuleSerializer
    http_method_names = ["get", "post", "patch", "delete", "head"]
    required_perms = {
        "list": VIEW,
        "retrieve": VIEW,
        "versions": VIEW,
        "board": VIEW,
        "metrics": VIEW,
        "dry_run": VIEW,
        "dry_run_draft": VIEW,
        "validate": VIEW,
        "create": MANAGE,
        "partial_update": MANAGE,
        "destroy": MANAGE,
        "activate": MANAGE,
        "pause": MANAGE,
        "enroll": MANAGE,
    }

    def _context(self, rules: list[Rule]) -> dict[str, Any]:
        summaries = selectors.rule_summaries(user=self.request.user, rules=rules)
        return {**self.get_serializer_context(), "summaries": summaries}

    def _detail(
        self, rule: Rule, *, status_code: int = status.HTTP_200_OK, fresh: bool = True
    ) -> Response:
        if fresh:  # as saved, with its current version and owner
            rule = selectors.rule_get(user=self.request.user, pk=rule.pk)
        data = s.RuleDetailSerializer(rule, context=self._context([rule])).data
        return Response(data, status=status_code)

    def _get(self, pk) -> Rule:
        return selectors.rule_get(user=self.request.user, pk=pk)

    @extend_schema(parameters=[s.RuleQuerySerializer], responses=s.RuleSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.RuleQuerySerializer)
        qs = selectors.rules_list(user=request.user, status=params["status"], q=params["q"])
        page = list(self.paginate_queryset(qs))
        data = s.RuleSerializer(page, many=True, context=self._context(page)).data
        return self.get_paginated_response(data)

    @extend_schema(responses={200: s.RuleDetailSerializer, 404: ERROR})
    def retrieve(self, request: Request, pk: int) -> Response:
        return self._detail(self._get(pk), fresh=False)

    @extend_schema(
        request=s.RuleCreateSerializer, responses={201: s.RuleDetailSerializer, 400: ERROR}
    )
    def create(self, request: Request) -> Response:
        """A new rule, as a draft (activate it to run). Definition errors answer 400 with
        `errors` keyed trigger / conditions / steps / enrollment / goal."""
        data = self.parse(s.RuleCreateSerializer)
        rule = services.rule_create(
            actor=request.user, name=data["name"], description=data["description"],
            definition=data["definition"], source=SOURCE,
        )  # fmt: skip
        return self._detail(rule, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.RuleUpdateSerializer,
        responses={200: s.RuleDetailSerializer, 400: ERROR, 404: ERROR, 409: ERROR},
    )
    def partial_update(self, request: Request, pk: int) -> Response:
        """Change name, description or definition; a changed definition is the next version."""
        rule = self._get(pk)
        data = self.parse(s.RuleUpdateSerializer)
        expected = data.pop("expected_version", None)
        if expected is not None and expected != rule.current_version.number:
            raise ConflictError(
                _("The rule was changed meanwhile (now version %(n)d); reload it first.")
                % {"n": rule.current_version.number}
            )
        rule = services.rule_update(actor=request.user, rule=rule, source=SOURCE, **data)
        return self._detail(rule)

    @extend_schema(responses={204: None, 400: ERROR, 404: ERROR})
    def destroy(self, request: Request, pk: int) -> Response:
        """Delete a rule with its runs; an active rule is refused (pause it first)."""
        services.rule_delete(actor=request.user, rule=self._get(pk), source=SOURCE)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: s.RuleDetailSerializer, 404: ERROR})
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: int) -> Response:
        rule = services.rule_activate(actor=request.user, rule=self._get(pk), source=SOURCE)
        return self._detail(rule)

    @extend_schema(request=s.PauseSerializer, responses={200: s.RuleDetailSerializer, 404: ERROR})
    @action(detail=True, methods=["post"])
    def pause(self, request: Request, pk: int) -> Response:
        rule = self._get(pk)
        data = self.parse(s.PauseSerializer)
        rule = services.rule_pause(
            actor=request.user, rule=rule, reason=data["reason"], source=SOURCE
        )
        return self._detail(rule)

    @extend_schema(
        request=s.EnrollRequestSerializer,
        responses={200: s.EnrolledSerializer, 400: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["post"])
    def enroll(self, request: Request, pk: int) -> Response:
        """Start the journey for chosen customers now (the rule must be active). Customers
        you cannot see, that do not meet the conditions or that the enrollment policy refuses
        are left out: `enrolled` says how many started."""
        rule = self._get(pk)
        data = self.parse(s.EnrollRequestSerializer)
        enrolled = services.rule_enroll(
            actor=request.user, rule=rule, customer_ids=data["customer_ids"], source=SOURCE
        )
        return Response({"enrolled": enrolled})

    @extend_schema(responses={200: s.RuleVersionSerializer(many=True), 404: ERROR})
    @action(detail=True, methods=["get"])
    def versions(self, request: Request, pk: int) -> Response:
        """Every saved definition of the rule, newest first."""
        rule = self._get(pk)
        qs = selectors.rule_versions(user=request.user, rule=rule)
        return self.respond_page(s.RuleVersionSerializer, qs)

    @extend_schema(responses={200: s.StepCountsSerializer(many=True), 404: ERROR})
    @action(detail=True, methods=["get"], pagination_class=None)
    def board(self, request: Request, pk: int) -> Response:
        """Per step: executions in each status and how many wait for a later time."""
        board = selectors.step_board(user=request.user, rule=self._get(pk), now=clock.now())
        return Response(s.StepCountsSerializer(board, many=True).data)

    @extend_schema(
        parameters=[s.MetricsQuerySerializer],
        responses={200: s.RuleMetricsSerializer, 400: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["get"], pagination_class=None)
    def metrics(self, request: Request, pk: int) -> Response:
        """Reach, response and conversion of the rule and of each step, over whole days
        (default: the last 30 days up to today)."""
        rule = self._get(pk)
        params = self.parse_query(s.MetricsQuerySerializer)
        until = params.get("until") or timezone.localdate(clock.now())
        since = params.get("since") or until - dt.timedelta(days=METRICS_DAYS)
        if since > until:
            message = _("Start on or before the last day.")
            raise ApplicationError(message, errors={"since": [message]})
        result = rule_metrics(
            user=request.user,
            rule=rule,
            since=_day_start(since),
            until=_day_start(until + dt.timedelta(days=1)),
        )
        return Response(result.as_json())

    @extend_schema(
        request=s.DryRunRequestSerializer,
        responses={200: s.DryRunSerializer, 400: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["post"], url_path="dry-run", url_name="dry-run")
    def dry_run(self, request: Request, pk: int) -> Response:
        """What the rule (or the definition sent along) would do now, doing none of it."""
        rule = self._get(pk)
        data = self.parse(s.DryRunRequestSerializer)
        return self._dry_run(data, default=rule.current_version.definition)

    @extend_schema(
        operation_id="automation_rules_dry_run_draft",
        request=s.DraftDryRunRequestSerializer,
        responses={200: s.DryRunSerializer, 400: ERROR},
    )
    @action(detail=False, methods=["post"], url_path="dry-run", url_name="dry-run-draft")
    def dry_run_draft(self, request: Request) -> Response:
        """The dry run of a rule not saved yet."""
        data = self.parse(s.DraftDryRunRequestSerializer)
        return self._dry_run(data)

    def _dry_run(self, data: dict[str, Any], *, default: dict | None = None) -> Response:
        result = dry_run(
            user=self.request.user,
            definition=data.get("definition") or default,
            sample=data["sample"],
            customer_ids=data.get("customer_ids") or None,
        )
        return Response(result.as_json())

    @extend_schema(
        request=s.DefinitionSerializer, responses={200: s.ValidationResultSerializer, 400: ERROR}
    )
    @action(detail=False, methods=["post"])
    def validate(self, request: Request) -> Response:
        """Check a definition without saving it; 400 lists every problem, keyed trigger /
        conditions / steps / enrollment / goal."""
        data = self.parse(s.DefinitionSerializer)
        try:
            clean = validate_definition(data["definition"])
        except DefinitionError as exc:
            raise ApplicationError(_("The rule has errors."), errors=exc.errors) from exc
        return Response({"valid": True, "definition": clean})


class ExecutionViewSet(ApiViewSet):
    """Step executions: one per step a journey reached (a wait is a pending one, due later)."""

    queryset = Execution.objects.none()  # schema introspection only; data from selectors
    serializer_class = s.ExecutionSerializer
    http_method_names = ["get", "post", "head"]
    required_perms = {
        "list": VIEW,
        "retrieve": VIEW,
        "retry": MANAGE,
        "skip": MANAGE,
        "retry_all": MANAGE,
        "skip_all": MANAGE,
    }

    @extend_schema(parameters=[s.ExecutionQuerySerializer], responses=s.ExecutionSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.ExecutionQuerySerializer)
        qs = selectors.executions_list(
            user=request.user,
            rule=params.get("rule"),  # an id filters as well as the row would
            status=params["status"],
            step_id=params["step"],
            customer_id=params.get("customer"),
            waiting=params["waiting"],
            now=clock.now(),
        )
        return self.respond_page(s.ExecutionSerializer, qs)

    @extend_schema(responses={200: s.ExecutionSerializer, 404: ERROR})
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.ExecutionSerializer, self._get(pk))

    @extend_schema(request=None, responses={200: s.ExecutionSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def retry(self, request: Request, pk: int) -> Response:
        """Run a failed step again now; the journey goes on from it."""
        execution = self._get(pk)
        if execution.status != ExecutionStatus.FAILED:
            raise ConflictError(_("Only a failed step can be retried."))
        services.executions_retry(actor=request.user, executions=[execution], source=SOURCE)
        return self.respond(s.ExecutionSerializer, self._get(pk))

    @extend_schema(request=None, responses={200: s.ExecutionSerializer, 404: ERROR, 409: ERROR})
    @action(detail=True, methods=["post"])
    def skip(self, request: Request, pk: int) -> Response:
        """Skip a failed or pending step; the journey goes on with the next one."""
        execution = self._get(pk)
        if execution.status not in (ExecutionStatus.FAILED, ExecutionStatus.PENDING):
            raise ConflictError(_("Only a failed or pending step can be skipped."))
        services.executions_skip(actor=request.user, executions=[execution], source=SOURCE)
        return self.respond(s.ExecutionSerializer, self._get(pk))

    @extend_schema(
        operation_id="automation_executions_retry_all",
        request=s.ExecutionBulkSerializer,
        responses={200: s.CountSerializer, 400: ERROR, 404: ERROR},
    )
    @action(detail=False, methods=["post"], url_path="retry", url_name="retry-all")
    def retry_all(self, request: Request) -> Response:
        """Retry every failed step of a rule (or of one of its steps) you can see."""
        data = self.parse(s.ExecutionBulkSerializer)
        if data["status"] != ExecutionStatus.FAILED:
            message = _("Only failed steps can be retried.")
            raise ApplicationError(message, errors={"status": [message]})
        count = services.executions_retry(
            actor=request.user, executions=self._matching(data), source=SOURCE
        )
        return Response({"count": count})

    @extend_schema(
        operation_id="automation_executions_skip_all",
        request=s.ExecutionBulkSerializer,
        responses={200: s.CountSerializer, 400: ERROR, 404: ERROR},
    )
    @action(detail=False, methods=["post"], url_path="skip", url_name="skip-all")
    def skip_all(self, request: Request) -> Response:
        """Skip every failed (or pending) step of a rule (or of one of its steps) you can see."""
        data = self.parse(s.ExecutionBulkSerializer)
        count = services.executions_skip(
            actor=request.user, executions=self._matching(data), source=SOURCE
        )
        return Response({"count": count})

    def _matching(self, data: dict[str, Any]):
        rule = selectors.rule_get(user=self.request.user, pk=data["rule"])
        return (
            selectors.executions_list(
                user=self.request.user, rule=rule, status=data["status"], step_id=data["step"]
            )
            .select_related(None)
            .only("pk", "status")
        )

    def _get(self, pk) -> Execution:
        return selectors.execution_get(user=self.request.user, pk=pk)


class EnrollmentViewSet(ApiViewSet):
    """Journeys: one customer going through one rule (a version of it)."""

    queryset = Enrollment.objects.none()  # schema introspection only; data from selectors
    serializer_class = s.EnrollmentSerializer
    http_method_names = ["get", "post", "head"]
    required_perms = {"list": VIEW, "retrieve": VIEW, "exit": MANAGE}

    @extend_schema(parameters=[s.EnrollmentQuerySerializer], responses=s.EnrollmentSerializer)
    def list(self, request: Request) -> Response:
        params = self.parse_query(s.EnrollmentQuerySerializer)
        qs = selectors.enrollments_list(
            user=request.user,
            rule=params.get("rule"),  # an id filters as well as the row would
            status=params["status"],
            customer_id=params.get("customer"),
        )
        return self.respond_page(s.EnrollmentSerializer, qs)

    @extend_schema(responses={200: s.EnrollmentDetailSerializer, 404: ERROR})
    def retrieve(self, request: Request, pk: int) -> Response:
        return self.respond(s.EnrollmentDetailSerializer, self._get(pk))

    @extend_schema(
        request=None, responses={200: s.EnrollmentDetailSerializer, 404: ERROR, 409: ERROR}
    )
    @action(detail=True, methods=["post"])
    def exit(self, request: Request, pk: int) -> Response:
        """End a journey in progress; its pending steps are skipped."""
        enrollment = self._get(pk)
        if enrollment.status != EnrollmentStatus.ACTIVE:
            raise ConflictError(_("This journey has already ended."))
        services.enrollments_exit(actor=request.user, enrollments=[enrollment])
        return self.respond(s.EnrollmentDetailSerializer, self._get(pk))

    def _get(self, pk) -> Enrollment:
        found = selectors.enrollments_list(user=self.request.user).filter(pk=pk).first()
        if found is None:
            raise NotFoundError(_("Enrollment not found."))
        return found


class RuleTemplateViewSet(ApiViewSet):
    """Ready-made rules to install (as a draft, or active right away)."""

    serializer_class = s.RuleTemplateSerializer
    http_method_names = ["get", "post", "head"]
    lookup_field = "key"
    lookup_value_converter = "slug"
    pagination_class = None  # a short fixed list
    required_perms = {"list": VIEW, "install": MANAGE}

    @extend_schema(responses=s.RuleTemplateSerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(s.RuleTemplateSerializer(catalog.templates_list(), many=True).data)

    @extend_schema(
        request=s.TemplateInstallSerializer,
        responses={201: s.RuleDetailSerializer, 400: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["post"])
    def install(self, request: Request, key: str) -> Response:
        """Create the template's rule; `enable` activates it too. A template is installed once:
        a second time answers 400."""
        data = self.parse(s.TemplateInstallSerializer)
        rule = catalog.template_install(actor=request.user, key=key, enable=data["enable"])
        rule = selectors.rule_get(user=request.user, pk=rule.pk)
        context = {
            **self.get_serializer_context(),
            "summaries": selectors.rule_summaries(user=request.user, rules=[rule]),
        }
        data = s.RuleDetailSerializer(rule, context=context).data
        return Response(data, status=status.HTTP_201_CREATED)


class CouponPoolViewSet(ApiViewSet):
    """Coupon pools: what each holds, and loading codes (a pool is created by its first codes).
    A load is all or nothing; codes already in the pool are counted, not added twice."""

    serializer_class = s.CouponPoolSerializer
    http_method_names = ["get", "post", "head"]
    pagination_class = None  # one row per pool
    required_perms = {"list": VIEW, "create": MANAGE}

    @extend_schema(responses=s.CouponPoolSerializer(many=True))
    def list(self, request: Request) -> Response:
        return Response(s.CouponPoolSerializer(coupon_pools(user=request.user), many=True).data)

    @extend_schema(
        request=s.CouponLoadSerializer, responses={201: s.CouponLoadedSerializer, 400: ERROR}
    )
    def create(self, request: Request) -> Response:
        data = self.parse(s.CouponLoadSerializer)
        loaded = coupon_codes_load(
            actor=request.user, pool=data["pool"], codes=data["codes"], source=SOURCE
        )
        body = {"pool": data["pool"].strip(), "added": loaded.added,
                "duplicates": loaded.duplicates}  # fmt: skip
        return Response(s.CouponLoadedSerializer(body).data, status=status.HTTP_201_CREATED)


def register(router: DefaultRouter) -> None:
    """Add the automation view sets to the v1 router."""
    router.register("automation/rules", RuleViewSet, basename="automation-rule")
    router.register("automation/executions", ExecutionViewSet, basename="automation-execution")
    router.register("automation/enrollments", EnrollmentViewSet, basename="automation-enrollment")
    router.register("automation/templates", RuleTemplateViewSet, basename="automation-template")
    router.register("automation/coupon-pools", CouponPoolViewSet, basename="automation-coupon-pool")
