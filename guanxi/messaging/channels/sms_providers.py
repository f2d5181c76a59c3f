"""Chinese SMS providers behind the same Channel interface: Aliyun (dysmsapi SendSms) and
Tencent Cloud (sms SendSms 2021-01-11), configured by GUANXI_SMS_URL:

    aliyun://AccessKeyId:AccessKeySecret@dysmsapi.aliyuncs.com/?sign=…&template=SMS_…
    tencent://SecretId:SecretKey@sms.tencentcloudapi.com/?app=1400…&sign=…&template=…

Both only send approved templates. A message whose template version names the provider's
own template goes through it: TemplateCode / TemplateId is the version's code, and its
variables (rendered when the message was queued) go by name to Aliyun's TemplateParam and
in order to Tencent's TemplateParamSet. Otherwise the rendered text travels as the value
of the one variable of the URL's "carrier" template (Aliyun: `param=`, default `content`;
Tencent: the template's {1}).
Signatures follow the providers' public documents (Aliyun "RPC signature mechanism",
Tencent Cloud "Signature v3"); docs/messaging-sms.md links them.

Their answers decide retry versus failure by error code: a code about this message (bad
number, blocked words, too long) fails it; a code about the account, the configuration or
the provider (throttling, balance, credentials, system errors) retries, so fixing the
configuration lets the queued messages go out.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import http.client
import json
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote, urlsplit

from django.utils.translation import gettext as _

from guanxi.messaging.channels.base import Outcome
from guanxi.messaging.channels.sms import provider_template
from guanxi.messaging.channels.sms_gateway import (
    TIMEOUT,
    Keepalive,
    answer_text,
    classify,
    json_object,
    query_pairs,
    redacted,
    timeout_option,
    unreachable,
)

if TYPE_CHECKING:
    from guanxi.messaging.models import Message

ALIYUN_HOST = "dysmsapi.aliyuncs.com"
TENCENT_HOST = "sms.tencentcloudapi.com"

# Codes that are about the message itself: retrying the same message cannot succeed.
ALIYUN_FAILED = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.INVALID_JSON_PARAM",
        "isv.INVALID_PARAMETERS",
    }
)
TENCENT_FAILED = frozenset(
    {
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.PhoneNumberInBlacklist",
        "FailedOperation.PhoneNumberParseFail",
        "FailedOperation.ContainSensitiveWord",
        "InvalidParameterValue.ContentLengthLimit",
        "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter",
        "InvalidParameterValue.TemplateParameterLengthLimit",
        "InvalidParameterValue.TemplateParameterFormatError",
    }
)


@dataclass(kw_only=True)
class ProviderConfig:
    key_id: str
    secret: str
    host: str  # the API's host name (signed by Tencent)
    scheme: str = "https"  # where requests really go: the API, or `endpoint=` in tests
    target_host: str = ""
    target_port: int | None = None
    options: dict[str, str]
    timeout: float = TIMEOUT


def from_url(url: str) -> AliyunSms | TencentSms:
    scheme = urlsplit(url).scheme.lower()
    if scheme == "aliyun":
        return AliyunSms(_parse(url, default_host=ALIYUN_HOST, allowed=ALIYUN_OPTIONS))
    return TencentSms(_parse(url, default_host=TENCENT_HOST, allowed=TENCENT_OPTIONS))


ALIYUN_OPTIONS = {"sign": True, "template": True, "param": False, "region": False}
TENCENT_OPTIONS = {"app": True, "template": True, "sign": False, "region": False}
COMMON_OPTIONS = ("endpoint", "timeout")


def _parse(url: str, *, default_host: str, allowed: dict[str, bool]) -> ProviderConfig:
    shown = redacted(url)
    parts = urlsplit(url)
    if not parts.username or not parts.password:
        raise ValueError(f"GUANXI_SMS_URL {shown!r} needs the key id and secret as id:secret@.")
    options: dict[str, str] = {}
    for name, value, _raw in query_pairs(parts.query):
        if name not in allowed and name not in COMMON_OPTIONS:
            known = ", ".join([*allowed, *COMMON_OPTIONS])
            raise ValueError(f"GUANXI_SMS_URL {shown!r}: unknown option {name!r} (known: {known}).")
        if name in options:
            raise ValueError(f"GUANXI_SMS_URL {shown!r} gives {name}= twice.")
        options[name] = value
    missing = [name for name, required in allowed.items() if required and not options.get(name)]
    if missing:
        raise ValueError(f"GUANXI_SMS_URL {shown!r} needs {', '.join(m + '=' for m in missing)}.")
    config = ProviderConfig(
        key_id=unquote(parts.username),
        secret=unquote(parts.password),
        host=parts.hostname or default_host,
        options=options,
    )
    config.target_host = config.host
    if "endpoint" in options:
        # Another address for the same API: a local test server, a proxy, a regional host.
        target = urlsplit(options["endpoint"])
        try:
            port = target.port
        except ValueError:
            port = -1
        if target.scheme not in ("http", "https") or not target.hostname or port == -1:
            raise ValueError(f"GUANXI_SMS_URL {shown!r}: endpoint must be http(s)://host[:port].")
        config.scheme, config.target_host, config.target_port = target.scheme, target.hostname, port
    config.timeout = timeout_option(options, shown=shown, default=config.timeout)
    return config


def _connection(config: ProviderConfig) -> Keepalive:
    return Keepalive(
        scheme=config.scheme,
        host=config.target_host,
        port=config.target_port,
        timeout=config.timeout,
    )


def _now() -> int:
    # The real clock, never core.clock: providers reject a request whose timestamp is more
    # than minutes away from theirs, and tests may run core.clock "as of" another day.
    return int(time.time())


# --- Aliyun ------------------------------------------------------------------------------


def aliyun_encode(value: str) -> str:
    """RFC 3986 percent-encoding as Aliyun specifies: only A–Z a–z 0–9 - _ . ~ stay."""
    return quote(value, safe="-_.~")


def aliyun_signature(params: dict[str, str], *, secret: str, method: str) -> str:
    """Base64(HMAC-SHA1(secret + "&", METHOD & %2F & encode(sorted canonical query)))."""
    canonical = "&".join(
        f"{aliyun_encode(k)}={aliyun_encode(v)}" for k, v in sorted(params.items())
    )
    to_sign = f"{method}&{aliyun_encode('/')}&{aliyun_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def aliyun_number(phone: str) -> str:
    """Mainland numbers without +86; others as country code + number, without the +."""
    return phone[3:] if phone.startswith("+86") else phone.lstrip("+")


class AliyunSms:
    name = "aliyun"
    kind = "sms"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.connection = _connection(config)

    def open(self) -> None:
        pass  # connect on the first message

    def params(self, message: Message) -> dict[str, str]:
        o = self.config.options
        timestamp = dt.datetime.fromtimestamp(_now(), tz=dt.UTC)
        params = {
            "AccessKeyId": self.config.key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": o.get("region", "cn-hangzhou"),
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": timestamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
            "PhoneNumbers": aliyun_number(message.recipient),
            "SignName": o["sign"],
            "TemplateCode": o["template"],
            "TemplateParam": json.dumps(
                {o.get("param", "content"): message.body_text}, ensure_ascii=False
            ),
            "OutId": message.token,  # ties the provider's receipts back to this message
        }
        template = provider_template(message)
        if template is not None:
            params["TemplateCode"] = template.code
            if template.params:
                params["TemplateParam"] = json.dumps(dict(template.params), ensure_ascii=False)
            else:  # a template without variables: Aliyun takes no TemplateParam
                del params["TemplateParam"]
        params["Signature"] = aliyun_signature(params, secret=self.config.secret, method="POST")
        return params

    def send(self, message: Message) -> Outcome:
        body = "&".join(
            f"{aliyun_encode(k)}={aliyun_encode(v)}" for k, v in self.params(message).items()
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "Guanxi",
        }
        try:
            status, data = self.connection.post(
                path="/", body=body.encode("ascii"), headers=headers
            )
        except (OSError, http.client.HTTPException) as error:
            return unreachable(error, timeout=self.config.timeout)
        return aliyun_outcome(status, data)

    def close(self) -> None:
        self.connection.close()


def aliyun_outcome(status: int, data: bytes) -> Outcome:
    doc = json_object(data)
    code = str(doc.get("Code", ""))
    if not code:
        return classify(status, data)  # not an API answer (a proxy's error page …)
    if code == "OK" and 200 <= status < 300:
        return Outcome.sent(provider_id=str(doc.get("BizId", "")))
    reason = _("Aliyun SMS %(code)s: %(text)s") % {
        "code": code,
        "text": str(doc.get("Message", "")) or answer_text(data),
    }
    return Outcome.failed(reason) if code in ALIYUN_FAILED else Outcome.retry(reason)


# --- Tencent Cloud -----------------------------------------------------------------------


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac256(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).digest()


def tencent_authorization(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int,
    service: str = "sms", content_type: str = "application/json; charset=utf-8",
) -> str:  # fmt: skip
    """TC3-HMAC-SHA256 for a POST to / with signed headers content-type and host."""
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",  # no query string in a POST
            # Header names and values lower-cased and trimmed, as the document asks.
            f"content-type:{content_type.strip().lower()}\nhost:{host.strip().lower()}\n",
            "content-type;host",
            _sha256_hex(payload),
        ]
    )
    date = dt.datetime.fromtimestamp(timestamp, tz=dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), scope, _sha256_hex(canonical_request.encode())]
    )
    key = _hmac256(("TC3" + secret_key).encode("utf-8"), date)
    key = _hmac256(_hmac256(key, service), "tc3_request")
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}"
    )


class TencentSms:
    name = "tencent"
    kind = "sms"
    content_type = "application/json; charset=utf-8"

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config
        self.connection = _connection(config)
        # The Host header (and so the signature) names where the request really goes.
        port = config.target_port
        self.host_header = config.target_host + (f":{port}" if port else "")

    def open(self) -> None:
        pass  # connect on the first message

    def payload(self, message: Message) -> bytes:
        o = self.config.options
        doc: dict[str, Any] = {
            "PhoneNumberSet": [message.recipient],  # E.164, as Tencent asks
            "SmsSdkAppId": o["app"],
            "TemplateId": o["template"],
            "TemplateParamSet": [message.body_text],
            "SessionContext": message.token,  # returned as is: ties receipts to the message
        }
        template = provider_template(message)
        if template is not None:
            doc["TemplateId"] = template.code
            # Tencent fills {1}, {2}, … by position: the order of the version's variables.
            doc["TemplateParamSet"] = [value for _name, value in template.params]
        if o.get("sign"):
            doc["SignName"] = o["sign"]
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def send(self, message: Message) -> Outcome:
        payload = self.payload(message)
        timestamp = _now()
        headers = {
            "Authorization": tencent_authorization(
                secret_id=self.config.key_id, secret_key=self.config.secret,
                host=self.host_header, payload=payload, timestamp=timestamp,
                content_type=self.content_type,
            ),
            "Content-Type": self.content_type,
            "Host": self.host_header,
            "X-TC-Action": "SendSms",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Version": "2021-01-11",
            "X-TC-Region": self.config.options.get("region", "ap-guangzhou"),
            "User-Agent": "Guanxi",
        }  # fmt: skip
        try:
            status, data = self.connection.post(path="/", body=payload, headers=headers)
        except (OSError, http.client.HTTPException) as error:
            return unreachable(error, timeout=self.config.timeout)
        return tencent_outcome(status, data)

    def close(self) -> None:
        self.connection.close()


def tencent_outcome(status: int, data: bytes) -> Outcome:
    response = json_object(data).get("Response")
    if not isinstance(response, dict):
        return classify(status, data)  # not an API answer
    error = response.get("Error")
    statuses = response.get("SendStatusSet")
    if isinstance(error, dict):
        code, text = str(error.get("Code", "")), str(error.get("Message", ""))
    elif isinstance(statuses, list) and statuses and isinstance(statuses[0], dict):
        first = statuses[0]
        code, text = str(first.get("Code", "")), str(first.get("Message", ""))
        if code == "Ok" and 200 <= status < 300:
            return Outcome.sent(provider_id=str(first.get("SerialNo", "")))
    else:
        return classify(status, data)
    reason = _("Tencent Cloud SMS %(code)s: %(text)s") % {
        "code": code,
        "text": text or answer_text(data),
    }
    return Outcome.failed(reason) if code in TENCENT_FAILED else Outcome.retry(reason)
