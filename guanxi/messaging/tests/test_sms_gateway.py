"""The SMS gateway channels against a real local HTTP server (no fakes): the generic JSON
gateway, and Aliyun / Tencent Cloud behind servers that check the signature the way the
providers' public documents describe, independently of the code under test."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote_plus

import pytest
from django.utils import translation

from guanxi.accounts.tests.factories import UserFactory
from guanxi.core import clock
from guanxi.customers.tests.factories import ContactFactory, CustomerFactory
from guanxi.messaging import template_services
from guanxi.messaging.channels import sms_providers
from guanxi.messaging.channels.sms_gateway import HttpGateway
from guanxi.messaging.delivery import deliver_due
from guanxi.messaging.models import Message, MessageStatus
from guanxi.messaging.sending import Content, message_queue


@pytest.fixture(autouse=True)
def _english():
    # Reasons are checked word for word in their English source; the site default is zh-hans.
    with translation.override("en"):
        yield


NOON = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PHONE = "+8613800138000"


@pytest.fixture(autouse=True)
def _noon(monkeypatch):
    # Outside SMS quiet hours, so queued messages are due at once.
    monkeypatch.setattr(clock, "now", lambda: NOON)


# --- a real HTTP server that records requests and answers as told -------------------------


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased
    body: bytes
    client: tuple[str, int]


@dataclass
class Answer:
    status: int = 200
    body: bytes | dict = field(default_factory=lambda: {"id": "gw-1"})
    delay: float = 0.0
    drop: bool = False  # close the connection without answering


class Server:
    def __init__(self, check=None) -> None:
        self.received: list[Seen] = []
        self.answers: list[Answer] = []
        self.check = check  # Seen -> Answer | None: a provider refusing a bad request
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real gateways do

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                seen = Seen(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=body,
                    client=self.client_address,
                )
                with server.lock:
                    server.received.append(seen)
                    refusal = server.check(seen) if server.check else None
                    answer = refusal or (server.answers.pop(0) if server.answers else Answer())
                if answer.delay:
                    time.sleep(answer.delay)
                if answer.drop:
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = answer.body
                if isinstance(data, dict):
                    data = json.dumps(data, ensure_ascii=False).encode()
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        return Handler

    def start(self) -> "Server":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def gateway(settings):
    server = Server().start()
    settings.GUANXI_SMS_URL = f"{server.base}/send"
    yield server
    server.stop()


def queued(text="华兴科技：您的订单已发货。", phone=PHONE) -> Message:
    customer = CustomerFactory(name="华兴科技")
    ContactFactory(customer=customer, phone=phone)
    return message_queue(
        actor=None,
        channel="sms",
        customer=customer,
        content=Content(text=text),
        category="transactional",
    )


def from_template(*, code="", params=(), phone=PHONE, contact="王芳") -> Message:
    """An SMS queued from a template version that names a provider template (or, with no
    code, one that does not: the carrier template of the URL)."""
    admin = UserFactory(role_slug="admin")
    template = template_services.template_create(
        actor=admin, key=f"t-{Message.objects.count()}-{phone[-4:]}", name="订单通知",
        channel="sms", category="transactional", language="zh-hans",
        text_body="{{ contact.salutation }}您好，{{ customer.name }}的订单已发货。",
        provider_template_code=code, provider_params=params,
    )  # fmt: skip
    customer = CustomerFactory(name="华兴科技")
    ContactFactory(customer=customer, name=contact, phone=phone)
    return message_queue(actor=None, channel="sms", customer=customer, template=template)


MAPPING = [["name", "{{ contact.salutation }}"], ["company", "{{ customer.name }}"]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- generic JSON gateway -----------------------------------------------------------------


@pytest.mark.django_db
def test_gateway_receives_the_exact_body_and_headers(gateway, settings):
    settings.GUANXI_SMS_URL = (
        f"{gateway.base}/v1/send?tenant=7&auth_header=X-Api-Key&auth=Bearer%20xyz%2B1"
    )
    message = queued()
    gateway.answer(Answer(body={"message_id": "m-42", "status": "queued"}))

    report = deliver_due()

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_message_id == "m-42"
    assert message.reason == ""
    [seen] = gateway.received
    assert (seen.method, seen.path) == ("POST", "/v1/send?tenant=7")
    assert json.loads(seen.body) == {
        "phone": PHONE,
        "text": message.body_text,
        "id": message.token,
    }
    assert "华兴科技：您的订单已发货。" in message.body_text
    assert seen.body == json.dumps(
        {"phone": PHONE, "text": message.body_text, "id": message.token},
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode("utf-8")
    assert seen.headers["content-type"] == "application/json; charset=utf-8"
    assert seen.headers["idempotency-key"] == message.token
    assert seen.headers["x-api-key"] == "Bearer xyz+1"
    assert "authorization" not in seen.headers


@pytest.mark.django_db
def test_sign_and_template_id_from_the_url_are_sent(gateway, settings):
    settings.GUANXI_SMS_URL = f"{gateway.base}/send?sign=%E5%8D%8E%E5%85%B4&template_id=T-9"
    message = queued()

    deliver_due()

    [seen] = gateway.received
    assert seen.path == "/send"
    assert json.loads(seen.body) == {
        "phone": PHONE,
        "text": message.body_text,
        "id": message.token,
        "sign": "华兴",
        "template_id": "T-9",
    }
    assert "authorization" not in seen.headers


@pytest.mark.django_db
def test_a_provider_template_replaces_the_urls_template_id_and_sends_params(gateway, settings):
    settings.GUANXI_SMS_URL = f"{gateway.base}/send?template_id=T-9"
    mapped = from_template(code="ORDER_SHIPPED", params=MAPPING, phone="+8613800138001")
    plain = from_template(phone="+8613800138002")  # its version names no provider template

    assert deliver_due().sent == 2

    by_id = {json.loads(s.body)["id"]: json.loads(s.body) for s in gateway.received}
    assert by_id[mapped.token] == {
        "phone": "+8613800138001",
        "text": "王芳您好，华兴科技的订单已发货。",
        "id": mapped.token,
        "template_id": "ORDER_SHIPPED",
        "params": {"name": "王芳", "company": "华兴科技"},
    }
    # Sent in the version's order, as the JSON object's order.
    raw = next(s.body for s in gateway.received if mapped.token.encode() in s.body)
    assert raw.index(b'"name":') < raw.index(b'"company":')
    assert by_id[plain.token] == {
        "phone": "+8613800138002",
        "text": "王芳您好，华兴科技的订单已发货。",
        "id": plain.token,
        "template_id": "T-9",
    }


@pytest.mark.django_db
def test_a_retry_sends_the_params_rendered_when_queued(gateway):
    message = from_template(code="ORDER_SHIPPED", params=MAPPING)
    # Renamed after queueing: the message keeps what it was rendered with.
    message.contact.name = "王小芳"
    message.contact.save()
    gateway.answer(Answer(503, b"busy"), Answer(body={"id": "gw-9"}))

    assert deliver_due().retrying == 1
    assert deliver_due(now=NOON + dt.timedelta(minutes=2)).sent == 1

    params = [json.loads(s.body)["params"] for s in gateway.received]
    assert params == [{"name": "王芳", "company": "华兴科技"}] * 2


@pytest.mark.django_db
def test_the_file_outbox_shows_the_provider_template(settings):
    settings.GUANXI_SMS_URL = ""
    message = from_template(code="ORDER_SHIPPED", params=MAPPING)

    assert deliver_due().sent == 1

    written = json.loads(
        (settings.GUANXI_OUTBOX_DIR / "sms" / f"{message.token}.json").read_text("utf-8")
    )
    assert (written["template_id"], written["params"]) == (
        "ORDER_SHIPPED",
        {"name": "王芳", "company": "华兴科技"},
    )


@pytest.mark.django_db
def test_user_and_password_in_the_url_become_basic_auth(gateway, settings):
    settings.GUANXI_SMS_URL = gateway.base.replace("http://", "http://api%40co:p%3Ass@") + "/s"
    queued()

    deliver_due()

    [seen] = gateway.received
    assert seen.headers["authorization"] == "Basic " + base64.b64encode(b"api@co:p:ss").decode()


@pytest.mark.django_db
def test_a_batch_reuses_one_connection(gateway):
    messages = [queued(phone=f"+861380013800{i}") for i in range(3)]

    report = deliver_due()

    assert report.sent == 3
    assert [json.loads(s.body)["id"] for s in gateway.received] == [m.token for m in messages]
    assert len({s.client for s in gateway.received}) == 1


@pytest.mark.django_db
def test_a_dropped_connection_retries_that_message_and_reconnects_for_the_next(gateway):
    first, second = queued(phone="+8613800138001"), queued(phone="+8613800138002")
    gateway.answer(Answer(drop=True), Answer(body={"id": "gw-2"}))

    report = deliver_due()

    assert (report.sent, report.retrying) == (1, 1)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == MessageStatus.QUEUED
    assert first.reason.startswith("SMS gateway unreachable: RemoteDisconnected")
    assert (second.status, second.provider_message_id) == (MessageStatus.SENT, "gw-2")
    assert len({s.client for s in gateway.received}) == 2


@pytest.mark.django_db
def test_503_is_queued_for_retry_with_the_reason_then_sent(gateway):
    message = queued()
    gateway.answer(Answer(503, b"upstream busy"), Answer(body={"BizId": "biz-7"}))

    report = deliver_due()

    assert report.retrying == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.reason == "SMS gateway answered 503: upstream busy"
    assert message.next_attempt_at == NOON + dt.timedelta(minutes=1)
    assert deliver_due().sent == 0  # not due yet

    report = deliver_due(now=NOON + dt.timedelta(minutes=2))

    assert report.sent == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (MessageStatus.SENT, 2)
    assert (message.provider_message_id, message.reason) == ("biz-7", "")
    assert [json.loads(s.body)["id"] for s in gateway.received] == [message.token] * 2
    assert {s.headers["idempotency-key"] for s in gateway.received} == {message.token}


@pytest.mark.django_db
def test_429_is_retried(gateway):
    message = queued()
    gateway.answer(Answer(429, {"error": "rate limited"}))

    assert deliver_due().retrying == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.reason == 'SMS gateway answered 429: {"error": "rate limited"}'


@pytest.mark.django_db
def test_401_is_retried_as_a_configuration_problem(gateway):
    message = queued()
    gateway.answer(Answer(401, b"bad key"))

    assert deliver_due().retrying == 1

    message.refresh_from_db()
    assert message.reason == "SMS gateway refused our credentials (401): bad key"


@pytest.mark.django_db
def test_400_fails_with_the_first_300_characters_of_the_gateways_text(gateway):
    message = queued()
    gateway.answer(Answer(400, ("text too long " * 40).encode()))

    assert deliver_due().failed == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.next_attempt_at is None
    prefix = "SMS gateway refused the message (400): "
    assert message.reason == prefix + ("text too long " * 40).strip()[:300]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "answer",
    [
        Answer(200, {"code": "INVALID_NUMBER", "message": "not a mobile"}),
        Answer(422, {"error": {"code": "invalid_phone_number"}}),
        Answer(503, {"error_code": 21211}),
    ],
)
def test_an_invalid_number_code_fails_at_once_whatever_the_status(gateway, answer):
    message = queued()
    gateway.answer(answer)

    assert deliver_due().failed == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert message.reason.startswith("Invalid mobile number (gateway code ")


@pytest.mark.django_db
def test_a_2xx_without_json_is_sent_without_a_provider_id(gateway):
    message = queued()
    gateway.answer(Answer(202, b"accepted"))

    assert deliver_due().sent == 1

    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (MessageStatus.SENT, "")


@pytest.mark.django_db
def test_an_unreachable_gateway_is_retried(settings):
    settings.GUANXI_SMS_URL = f"http://127.0.0.1:{free_port()}/send"
    message = queued()

    assert deliver_due().retrying == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.reason.startswith("SMS gateway unreachable: ConnectionRefusedError")


@pytest.mark.django_db
def test_a_gateway_slower_than_the_timeout_is_retried(gateway, settings):
    settings.GUANXI_SMS_URL = f"{gateway.base}/send?timeout=0.3"
    message = queued()
    gateway.answer(Answer(delay=1.0))

    assert deliver_due().retrying == 1

    message.refresh_from_db()
    assert message.reason == "SMS gateway did not answer within 0.3 s."


def test_the_default_timeout_is_ten_seconds():
    assert HttpGateway.from_url("https://sms.example.com/send").config.timeout == 10.0


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "ftp://sms.example.com/send",
            "must start with http://, https://, aliyun:// or tencent://",
        ),
        ("https:///send", "names no host"),
        ("https://sms.example.com:99999/send", "has a bad port"),
        ("https://sms.example.com/send?timeout=soon", "timeout must be 0–300 seconds"),
        ("https://sms.example.com/send?auth=a&auth=b", "gives auth= twice"),
        ("https://u:secret1@sms.example.com/?auth=Bearer%20x", "user:password@ or auth=, not both"),
        ("https://sms.example.com/?auth_header=X%20Key&auth=k", "not a valid header name"),
        ("https://sms.example.com/?auth=a%0D%0AX-Evil:%201", "auth contains a line break"),
        ("aliyun://dysmsapi.aliyuncs.com/?sign=s&template=t", "needs the key id and secret"),
        ("aliyun://id:secret1@/?sign=s", "needs template="),
        ("tencent://id:secret1@/?template=1", "needs app="),
        ("tencent://id:secret1@/?app=1&template=2&sgin=x", "unknown option 'sgin'"),
        ("aliyun://id:secret1@/?sign=s&template=t&endpoint=127.0.0.1", "endpoint must be"),
    ],
)
def test_a_bad_url_raises_value_error_without_its_secrets(url, problem):
    with pytest.raises(ValueError, match=re.escape(problem)) as raised:
        HttpGateway.from_url(url)

    assert "GUANXI_SMS_URL" in str(raised.value)
    assert "secret1" not in str(raised.value)


# --- Aliyun -------------------------------------------------------------------------------

ALI_ID, ALI_SECRET = "LTAI5tTestKeyId", "aliyun+secret/=="


def aliyun_doc_encode(value: str) -> str:
    # The recipe in Aliyun's signature document: form-encode, then + → %20, * → %2A, %7E → ~.
    return quote_plus(value, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


def aliyun_doc_signature(params: dict[str, str], secret: str, method: str) -> str:
    canonical = "&".join(
        aliyun_doc_encode(k) + "=" + aliyun_doc_encode(v) for k, v in sorted(params.items())
    )
    to_sign = method + "&" + aliyun_doc_encode("/") + "&" + aliyun_doc_encode(canonical)
    digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_check(seen: Seen) -> Answer | None:
    """dysmsapi as documented: RPC parameters in the form body, HMAC-SHA1 signature."""
    form = dict(parse_qsl(seen.body.decode("ascii"), keep_blank_values=True, strict_parsing=True))
    given = form.pop("Signature", "")
    stamp = dt.datetime.strptime(form.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%SZ")
    fresh = abs(stamp.replace(tzinfo=dt.UTC).timestamp() - time.time()) < 15 * 60
    common = {
        "Action": "SendSms",
        "Format": "JSON",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "Version": "2017-05-25",
    }
    if not fresh or any(form.get(k) != v for k, v in common.items()):
        return Answer(400, {"Code": "InvalidParameter", "Message": "bad common parameters"})
    if form.get("AccessKeyId") != ALI_ID or given != aliyun_doc_signature(
        form, ALI_SECRET, seen.method
    ):
        return Answer(
            400, {"Code": "SignatureDoesNotMatch", "Message": "Specified signature is not matched"}
        )
    return None


@pytest.fixture
def aliyun(settings):
    server = Server(check=aliyun_check).start()
    settings.GUANXI_SMS_URL = (
        f"aliyun://{ALI_ID}:{quote_plus(ALI_SECRET)}@dysmsapi.aliyuncs.com/"
        f"?sign=%E5%8D%8E%E5%85%B4%E7%A7%91%E6%8A%80&template=SMS_154950909"
        f"&endpoint={server.base}"
    )
    yield server
    server.stop()


def test_aliyun_signature_matches_the_documented_example():
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    signature = sms_providers.aliyun_signature(params, secret="testsecret", method="GET")
    assert signature == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


@pytest.mark.django_db
def test_aliyun_request_is_signed_and_accepted(aliyun):
    message = queued(text="尊敬的客户 *~+ 您好")
    aliyun.answer(Answer(body={"Code": "OK", "Message": "OK", "BizId": "9006197469364984400"}))

    assert deliver_due().sent == 1

    message.refresh_from_db()
    assert (message.status, message.provider_message_id) == (
        MessageStatus.SENT,
        "9006197469364984400",
    )
    [seen] = aliyun.received
    form = dict(parse_qsl(seen.body.decode("ascii")))
    assert (seen.method, seen.path) == ("POST", "/")
    assert seen.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert form["PhoneNumbers"] == "13800138000"
    assert form["SignName"] == "华兴科技"
    assert form["TemplateCode"] == "SMS_154950909"
    assert json.loads(form["TemplateParam"]) == {"content": message.body_text}
    assert form["OutId"] == message.token
    assert form["RegionId"] == "cn-hangzhou"


@pytest.mark.django_db
def test_aliyun_sends_the_versions_template_code_and_named_params(aliyun):
    mapped = from_template(code="SMS_465850123", params=MAPPING, phone="+8613800138001")
    plain = from_template(phone="+8613800138002")  # falls back to the URL's carrier template
    bare = from_template(code="SMS_465850999", phone="+8613800138003")  # no variables

    assert deliver_due().sent == 3  # each signature recomputed and accepted by the server

    forms = {
        (form := dict(parse_qsl(seen.body.decode("ascii"))))["OutId"]: form
        for seen in aliyun.received
    }
    assert forms[mapped.token]["TemplateCode"] == "SMS_465850123"
    assert json.loads(forms[mapped.token]["TemplateParam"]) == {
        "name": "王芳",
        "company": "华兴科技",
    }
    assert forms[plain.token]["TemplateCode"] == "SMS_154950909"
    assert json.loads(forms[plain.token]["TemplateParam"]) == {"content": plain.body_text}
    assert forms[bare.token]["TemplateCode"] == "SMS_465850999"
    assert "TemplateParam" not in forms[bare.token]
    assert {form["SignName"] for form in forms.values()} == {"华兴科技"}


@pytest.mark.django_db
def test_aliyun_refuses_a_wrong_secret_and_the_message_waits(aliyun, settings):
    settings.GUANXI_SMS_URL = settings.GUANXI_SMS_URL.replace(quote_plus(ALI_SECRET), "wrong")
    message = queued()

    assert deliver_due().retrying == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.QUEUED
    assert message.reason == "Aliyun SMS SignatureDoesNotMatch: Specified signature is not matched"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("isv.MOBILE_NUMBER_ILLEGAL", MessageStatus.FAILED),
        ("isv.BLACK_KEY_CONTROL_LIMIT", MessageStatus.FAILED),
        ("isv.BUSINESS_LIMIT_CONTROL", MessageStatus.QUEUED),
        ("isv.AMOUNT_NOT_ENOUGH", MessageStatus.QUEUED),
        ("isp.SYSTEM_ERROR", MessageStatus.QUEUED),
    ],
)
def test_aliyun_error_codes_fail_or_retry(aliyun, code, status):
    message = queued()
    aliyun.answer(Answer(200, {"Code": code, "Message": "触发业务流控", "RequestId": "r-1"}))

    deliver_due()

    message.refresh_from_db()
    assert message.status == status
    assert message.reason == f"Aliyun SMS {code}: 触发业务流控"


def test_aliyun_numbers_drop_the_mainland_prefix_only():
    assert sms_providers.aliyun_number("+8613800138000") == "13800138000"
    assert sms_providers.aliyun_number("+85261234567") == "85261234567"


# --- Tencent Cloud ------------------------------------------------------------------------

TC_ID, TC_KEY = "AKIDz8krbsJ5yKBZQpn74WFkmLPxTEST", "Gu5t9xGARNpq86cd98joQYCN3TEST"


def tencent_doc_check(seen: Seen) -> Answer | None:
    """sms.tencentcloudapi.com as documented: TC3-HMAC-SHA256 over the canonical request."""
    h = seen.headers
    match = re.fullmatch(
        r"TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/sms/tc3_request, "
        r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})",
        h.get("authorization", ""),
    )
    timestamp = int(h.get("x-tc-timestamp", "0"))
    date = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d")
    failure = Answer(
        200,
        {
            "Response": {
                "Error": {
                    "Code": "AuthFailure.SignatureFailure",
                    "Message": "The provided credentials could not be validated.",
                },
                "RequestId": "req-1",
            }
        },
    )
    if (
        not match
        or match[1] != TC_ID
        or match[2] != date
        or abs(timestamp - time.time()) > 300
        or h.get("x-tc-action") != "SendSms"
        or h.get("x-tc-version") != "2021-01-11"
    ):
        return failure
    signed = match[3].split(";")
    if "host" not in signed or "content-type" not in signed:
        return failure
    canonical_headers = "".join(f"{name}:{h[name].strip().lower()}\n" for name in sorted(signed))
    canonical_request = "\n".join(
        [
            seen.method,
            "/",
            "",
            canonical_headers,
            match[3],
            hashlib.sha256(seen.body).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            f"{date}/sms/tc3_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    secret_signing = sign(sign(sign(("TC3" + TC_KEY).encode(), date), "sms"), "tc3_request")
    expected = hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected, match[4]) else failure


def tencent_status(code: str, message: str = "send success", serial: str = "") -> dict:
    item = {"SerialNo": serial, "PhoneNumber": PHONE, "Fee": 1, "Code": code, "Message": message}
    return {"Response": {"SendStatusSet": [item], "RequestId": "req-2"}}


@pytest.fixture
def tencent(settings):
    server = Server(check=tencent_doc_check).start()
    settings.GUANXI_SMS_URL = (
        f"tencent://{TC_ID}:{TC_KEY}@sms.tencentcloudapi.com/"
        f"?app=1400006666&sign=%E8%85%BE%E8%AE%AF%E4%BA%91&template=1234"
        f"&endpoint={server.base}"
    )
    yield server
    server.stop()


@pytest.mark.django_db
def test_tencent_request_is_signed_and_accepted(tencent):
    message = queued()
    tencent.answer(Answer(body=tencent_status("Ok", serial="2028:f825e6b16e23f73f4123")))

    assert deliver_due().sent == 1

    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_message_id == "2028:f825e6b16e23f73f4123"
    [seen] = tencent.received
    assert json.loads(seen.body) == {
        "PhoneNumberSet": [PHONE],
        "SmsSdkAppId": "1400006666",
        "TemplateId": "1234",
        "TemplateParamSet": [message.body_text],
        "SessionContext": message.token,
        "SignName": "腾讯云",
    }
    assert seen.headers["x-tc-region"] == "ap-guangzhou"
    assert seen.headers["host"] == tencent.base.removeprefix("http://")


@pytest.mark.django_db
def test_tencent_sends_the_versions_template_id_and_params_in_order(tencent):
    mapped = from_template(code="2233445", params=MAPPING, phone="+8613800138001")
    plain = from_template(phone="+8613800138002")  # falls back to the URL's carrier template
    tencent.answer(
        Answer(body=tencent_status("Ok", serial="s-1")),
        Answer(body=tencent_status("Ok", serial="s-2")),
    )

    assert deliver_due().sent == 2  # both TC3 signatures recomputed and accepted

    docs = {json.loads(s.body)["SessionContext"]: json.loads(s.body) for s in tencent.received}
    assert docs[mapped.token] == {
        "PhoneNumberSet": ["+8613800138001"],
        "SmsSdkAppId": "1400006666",
        "TemplateId": "2233445",
        "TemplateParamSet": ["王芳", "华兴科技"],  # {1}, {2}
        "SessionContext": mapped.token,
        "SignName": "腾讯云",
    }
    assert docs[plain.token]["TemplateId"] == "1234"
    assert docs[plain.token]["TemplateParamSet"] == [plain.body_text]


@pytest.mark.django_db
def test_tencent_refuses_a_wrong_secret_and_the_message_waits(tencent, settings):
    settings.GUANXI_SMS_URL = settings.GUANXI_SMS_URL.replace(TC_KEY, "wrong")
    message = queued()

    assert deliver_due().retrying == 1

    message.refresh_from_db()
    assert message.reason == (
        "Tencent Cloud SMS AuthFailure.SignatureFailure: "
        "The provided credentials could not be validated."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "status"),
    [
        (tencent_status("InvalidParameterValue.IncorrectPhoneNumber", "bad"), MessageStatus.FAILED),
        (tencent_status("FailedOperation.PhoneNumberInBlacklist", "bad"), MessageStatus.FAILED),
        (tencent_status("LimitExceeded.PhoneNumberDailyLimit", "bad"), MessageStatus.QUEUED),
        (
            {"Response": {"Error": {"Code": "InternalError.Timeout", "Message": "bad"}}},
            MessageStatus.QUEUED,
        ),
    ],
)
def test_tencent_error_codes_fail_or_retry(tencent, body, status):
    message = queued()
    tencent.answer(Answer(body=body))

    deliver_due()

    message.refresh_from_db()
    assert message.status == status
    assert message.reason.startswith("Tencent Cloud SMS ") and message.reason.endswith(": bad")
