"""SMS through an HTTP gateway named by GUANXI_SMS_URL.

`HttpGateway.from_url` is the one entry point (sms.configured() calls it): http:// and
https:// URLs give the generic JSON gateway below; aliyun:// and tencent:// give the
providers in sms_providers.py. docs/messaging-sms.md describes every URL form.

One keep-alive connection carries a whole batch; after any error it is dropped and the next
message opens a fresh one. The gateway's answer decides the outcome: 2xx sent; 429, 5xx,
timeouts and lost connections retry (the delivery loop backs off); other 4xx and an
"invalid number" code fail at once with the gateway's own words.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, unquote_plus, urlsplit

from django.utils.translation import gettext as _

from guanxi.messaging.channels.base import Outcome
from guanxi.messaging.channels.sms import provider_template

if TYPE_CHECKING:
    from guanxi.messaging.channels.base import Channel
    from guanxi.messaging.models import Message

TIMEOUT = 10.0  # seconds; a gateway slower than this is treated as down (retry later)
REASON_CHARS = 300  # how much of a gateway's answer is kept as the message's reason
# Query parameters Guanxi reads (and removes) from an http(s) gateway URL; all others stay
# in the address that is POSTed to.
RESERVED = ("auth", "auth_header", "sign", "template_id", "timeout")
HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$")  # an RFC 9110 token
# Error codes that mean "this number cannot receive SMS": retrying cannot help. Generic
# names, Aliyun's and Tencent Cloud's codes (gateways often relay them), Twilio's 21211 and
# 21614. Compared case-insensitively.
INVALID_NUMBER_CODES = frozenset(
    code.lower()
    for code in (
        "invalid_number",
        "invalid_phone",
        "invalid_phone_number",
        "invalid_recipient",
        "isv.MOBILE_NUMBER_ILLEGAL",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "21211",
        "21614",
    )
)
# 4xx answers that are about our credentials or a request in flight, not about the
# message: like SMTP login errors in email.py, they retry, so fixing the configuration
# lets the queued messages go out instead of failing them all.
RETRY_4XX = frozenset({401, 403, 407, 408, 409, 425, 429})
PROVIDER_ID_KEYS = ("id", "message_id", "messageId", "BizId", "sid")


class Keepalive:
    """One HTTP(S) connection reused for a batch; dropped after any error, so the next
    request connects afresh (http.client reconnects by itself after `Connection: close`)."""

    def __init__(self, *, scheme: str, host: str, port: int | None, timeout: float) -> None:
        self.scheme, self.host, self.port, self.timeout = scheme, host, port, timeout
        self.connection: http.client.HTTPConnection | None = None

    def post(self, *, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        """The status and body of the answer; OSError / HTTPException when there is none."""
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.request("POST", path, body=body, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, data

    def _connect(self) -> http.client.HTTPConnection:
        if self.scheme == "https":
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


def unreachable(error: BaseException, *, timeout: float) -> Outcome:
    """No answer at all: the gateway may come back, so retry. (A timeout after the request
    left may mean it was sent; the Idempotency-Key / OutId lets a gateway drop the repeat.)"""
    if isinstance(error, TimeoutError):
        return Outcome.retry(
            _("SMS gateway did not answer within %(seconds)s s.") % {"seconds": f"{timeout:g}"}
        )
    return Outcome.retry(
        _("SMS gateway unreachable: %(error)s")
        % {"error": f"{error.__class__.__name__}: {error}".strip()}
    )


def answer_text(data: bytes) -> str:
    return data.decode("utf-8", "replace").strip()[:REASON_CHARS]


def json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def error_codes(doc: dict[str, Any]) -> list[str]:
    """Codes a JSON answer carries, wherever common gateways put them."""
    places = [doc]
    if isinstance(doc.get("error"), dict):
        places.append(doc["error"])
    codes = [
        str(p[k]) for p in places for k in ("code", "error_code", "errorCode", "Code") if k in p
    ]
    if isinstance(doc.get("error"), str):
        codes.append(doc["error"])
    return codes


def provider_id(doc: dict[str, Any]) -> str:
    for place in (doc, doc.get("data")):
        if isinstance(place, dict):
            for key in PROVIDER_ID_KEYS:
                if place.get(key) not in (None, ""):
                    return str(place[key])
    return ""


def classify(status: int, data: bytes) -> Outcome:
    """The outcome of a generic gateway's answer (see the module docstring)."""
    doc = json_object(data)
    text = answer_text(data) or http.client.responses.get(status, "")
    invalid = [c for c in error_codes(doc) if c.lower() in INVALID_NUMBER_CODES]
    if invalid:
        return Outcome.failed(
            _("Invalid mobile number (gateway code %(code)s): %(text)s")
            % {"code": invalid[0], "text": text}
        )
    if 200 <= status < 300:
        return Outcome.sent(provider_id=provider_id(doc))
    if status in (401, 403, 407):
        return Outcome.retry(
            _("SMS gateway refused our credentials (%(status)s): %(text)s")
            % {"status": status, "text": text}
        )
    if status >= 500 or status in RETRY_4XX:
        return Outcome.retry(
            _("SMS gateway answered %(status)s: %(text)s") % {"status": status, "text": text}
        )
    if 400 <= status < 500:
        return Outcome.failed(
            _("SMS gateway refused the message (%(status)s): %(text)s")
            % {"status": status, "text": text}
        )
    # 1xx/3xx: the URL points at the wrong place; the message itself is fine.
    return Outcome.retry(
        _("SMS gateway answered %(status)s: %(text)s; check GUANXI_SMS_URL.")
        % {"status": status, "text": text}
    )


@dataclass(kw_only=True)
class GatewayConfig:
    scheme: str
    host: str
    port: int | None
    path: str  # path and remaining query, as POSTed to
    auth_header: str = "Authorization"
    auth: str = ""
    sign: str = ""
    template_id: str = ""
    timeout: float = TIMEOUT


def redacted(url: str) -> str:
    """The URL without credentials, safe to put in an error message or a log."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}" + ("?…" if parts.query else "")


def query_pairs(query: str) -> list[tuple[str, str, str]]:
    """(name, value, raw segment) for each `name=value` of a query string, in order."""
    pairs = []
    for segment in query.split("&"):
        if segment:
            name, _sep, value = segment.partition("=")
            pairs.append((unquote_plus(name), unquote_plus(value), segment))
    return pairs


def parse_gateway_url(url: str) -> GatewayConfig:
    shown = redacted(url)
    parts = urlsplit(url)
    if not parts.hostname:
        raise ValueError(f"GUANXI_SMS_URL {shown!r} names no host.")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"GUANXI_SMS_URL {shown!r} has a bad port.") from None
    options: dict[str, str] = {}
    kept = []
    for name, value, raw in query_pairs(parts.query):
        if name not in RESERVED:
            kept.append(raw)  # passed through byte for byte
            continue
        if name in options:
            raise ValueError(f"GUANXI_SMS_URL {shown!r} gives {name}= twice.")
        options[name] = value
    config = GatewayConfig(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        path=(parts.path or "/") + ("?" + "&".join(kept) if kept else ""),
        auth_header=options.get("auth_header", "Authorization"),
        auth=options.get("auth", ""),
        sign=options.get("sign", ""),
        template_id=options.get("template_id", ""),
    )
    if not HEADER_NAME.match(config.auth_header):
        raise ValueError(f"GUANXI_SMS_URL {shown!r}: auth_header is not a valid header name.")
    if any(c in config.auth for c in "\r\n\0"):
        raise ValueError(f"GUANXI_SMS_URL {shown!r}: auth contains a line break.")
    if parts.username is not None:
        if config.auth:
            raise ValueError(f"GUANXI_SMS_URL {shown!r}: give user:password@ or auth=, not both.")
        pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        config.auth = "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")
    config.timeout = timeout_option(options, shown=shown, default=config.timeout)
    return config


def timeout_option(options: dict[str, str], *, shown: str, default: float) -> float:
    """The `timeout=` of an SMS URL in seconds (0–300), or `default` when absent."""
    if "timeout" not in options:
        return default
    try:
        timeout = float(options["timeout"])
    except ValueError:
        timeout = -1
    if not 0 < timeout <= 300:
        raise ValueError(f"GUANXI_SMS_URL {shown!r}: timeout must be 0–300 seconds.")
    return timeout


class HttpGateway:
    """A generic JSON gateway: POST {"phone", "text", "id"} (plus "sign" / "template_id"
    when the URL names them, and "template_id" / "params" when the message's template
    version names a provider template) with the message token as Idempotency-Key."""

    name = "http"
    kind = "sms"

    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.connection = Keepalive(
            scheme=config.scheme, host=config.host, port=config.port, timeout=config.timeout
        )

    @classmethod
    def from_url(cls, url: str) -> Channel:
        """The channel a GUANXI_SMS_URL names; ValueError (without the secrets) when bad."""
        scheme = urlsplit(url.strip()).scheme.lower()
        if scheme in ("aliyun", "tencent"):
            from guanxi.messaging.channels import sms_providers

            return sms_providers.from_url(url.strip())
        if scheme not in ("http", "https"):
            raise ValueError(
                f"GUANXI_SMS_URL {redacted(url)!r} must start with http://, https://, "
                "aliyun:// or tencent://."
            )
        return cls(parse_gateway_url(url.strip()))

    def open(self) -> None:
        pass  # connect on the first message: an empty batch opens nothing

    def body(self, message: Message) -> bytes:
        doc: dict[str, Any] = {
            "phone": message.recipient,
            "text": message.body_text,
            "id": message.token,
        }
        if self.config.sign:
            doc["sign"] = self.config.sign
        template = provider_template(message)
        if template is not None:
            # The version's own template replaces the URL's; the object keeps the order.
            doc["template_id"] = template.code
            doc["params"] = dict(template.params)
        elif self.config.template_id:
            doc["template_id"] = self.config.template_id
        return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def headers(self, message: Message) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "Guanxi",
            # A gateway that dedupes on it absorbs a retry after a lost answer.
            "Idempotency-Key": message.token,
        }
        if self.config.auth:
            headers[self.config.auth_header] = self.config.auth
        return headers

    def send(self, message: Message) -> Outcome:
        try:
            status, data = self.connection.post(
                path=self.config.path, body=self.body(message), headers=self.headers(message)
            )
        except (OSError, http.client.HTTPException) as error:
            return unreachable(error, timeout=self.config.timeout)
        return classify(status, data)

    def close(self) -> None:
        self.connection.close()
