"""System checks of the messaging URLs: a bad GUANXI_SMS_URL / GUANXI_EMAIL_URL /
GUANXI_IMAP_URL is an Error at start, naming the setting and never a secret."""

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from guanxi.messaging.checks import messaging_urls_check

GOOD = {
    "GUANXI_SMS_URL": "",
    "GUANXI_EMAIL_URL": "",
    "GUANXI_IMAP_URL": "",
}


@pytest.fixture(autouse=True)
def _unset(settings):
    for name, value in GOOD.items():
        setattr(settings, name, value)


def ids(messages) -> list[str]:
    return [m.id for m in messages]


def test_unset_urls_are_fine():
    assert messaging_urls_check() == []


@pytest.mark.parametrize(
    ("setting", "url"),
    [
        ("GUANXI_SMS_URL", "https://sms.example.com/v1/send?tenant=7&auth=Bearer%20xyz"),
        ("GUANXI_SMS_URL", "aliyun://LTAI5t:s3cret@dysmsapi.aliyuncs.com/?sign=S&template=SMS_1"),
        ("GUANXI_SMS_URL", "tencent://AKID:s3cret@sms.tencentcloudapi.com/?app=1400&template=12"),
        ("GUANXI_EMAIL_URL", "smtp+tls://crm%40example.com:s3cret@smtp.example.com:587"),
        ("GUANXI_IMAP_URL", "imaps://reply%40crm.example.com:s3cret@imap.example.com/INBOX"),
    ],
)
def test_good_urls_pass(settings, setting, url):
    setattr(settings, setting, url)
    assert messaging_urls_check() == []


@pytest.mark.parametrize(
    ("setting", "url", "check_id", "words"),
    [
        (
            "GUANXI_SMS_URL",
            "aliyun://LTAI5t:TopSecret-9@dysmsapi.aliyuncs.com/?sign=S",
            "guanxi.E101",
            "needs template=",
        ),
        (
            "GUANXI_SMS_URL",
            "tencent://AKID:TopSecret-9@/?app=1&template=2&sgin=x",
            "guanxi.E101",
            "unknown option 'sgin'",
        ),
        (
            "GUANXI_SMS_URL",
            "https://sms.example.com/?auth=TopSecret-9&auth_header=X%20Key",
            "guanxi.E101",
            "not a valid header name",
        ),
        (
            "GUANXI_SMS_URL",
            "ftp://user:TopSecret-9@sms.example.com/send",
            "guanxi.E101",
            "must start with http://, https://, aliyun:// or tencent://",
        ),
        (
            "GUANXI_EMAIL_URL",
            "smtp+ssl://crm:TopSecret-9@smtp.example.com:465",
            "guanxi.E102",
            "must look like smtp://, smtp+tls://, smtps://",
        ),
        (
            "GUANXI_EMAIL_URL",
            "smtps://crm:TopSecret-9@smtp.example.com:99999",
            "guanxi.E102",
            "Port out of range",
        ),
        (
            "GUANXI_IMAP_URL",
            "imap://reply:TopSecret-9@imap.example.com/INBOX?moved=Done",
            "guanxi.E103",
            "unknown option moved",
        ),
        (
            "GUANXI_IMAP_URL",
            "imaps://reply:TopSecret-9@imap.example.com/INBOX?starttls=1",
            "guanxi.E103",
            "starttls=1 is for imap://",
        ),
    ],
)
def test_a_bad_url_is_an_error_naming_the_setting_without_secrets(
    settings, setting, url, check_id, words
):
    setattr(settings, setting, url)

    [error] = messaging_urls_check()

    assert isinstance(error, checks.Error)
    assert error.id == check_id
    assert error.msg.startswith(setting)
    assert words in error.msg
    assert "TopSecret-9" not in error.msg + error.hint


def test_an_auth_value_is_not_shown_even_when_the_parser_would_quote_the_url(settings):
    # The hint shows the URL redacted: host and path only, never the query's auth= value.
    settings.GUANXI_SMS_URL = "https://sms.example.com:70000/send?auth=Bearer%20TopSecret"
    [error] = messaging_urls_check()
    assert "has a bad port" in error.msg
    assert "TopSecret" not in error.msg + error.hint
    assert "https://sms.example.com:70000/send?…" in error.hint


@pytest.mark.parametrize(
    "url",
    [
        "smtp://crm:Top#Secret@smtp.example.com:587",  # '#' starts a fragment, unescaped
        "smtp://crm:Top/Secret@smtp.example.com:587",  # '/' ends the host part
    ],
)
def test_a_password_the_parser_cut_short_is_not_shown_either(settings, url):
    settings.GUANXI_EMAIL_URL = url
    [error] = messaging_urls_check()
    assert error.id == "guanxi.E102"
    text = error.msg + error.hint
    assert "Top" not in text and "Secret" not in text
    assert "smtp://…" in error.hint


def test_every_bad_url_is_reported(settings):
    settings.GUANXI_SMS_URL = "aliyun://id:secret@/?sign=x"
    settings.GUANXI_EMAIL_URL = "smtp://"
    settings.GUANXI_IMAP_URL = "imap://nouser@imap.example.com/"
    assert ids(messaging_urls_check()) == ["guanxi.E101", "guanxi.E102", "guanxi.E103"]


@pytest.mark.django_db  # `check` also runs the model checks, which ask the database
def test_the_check_is_registered_and_stops_a_command(settings):
    settings.GUANXI_SMS_URL = "aliyun://id:TopSecret-9@/?sign=x"

    assert "guanxi.E101" in ids(checks.run_checks())
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")

    assert "GUANXI_SMS_URL" in str(raised.value)
    assert "TopSecret-9" not in str(raised.value)


def test_the_sender_fails_on_what_the_check_reports(settings):
    """The check parses with the sender's own parser: what it refuses cannot be sent."""
    from guanxi.messaging.channels.sms import configured

    settings.GUANXI_SMS_URL = "tencent://id:TopSecret-9@/?template=2"
    [error] = messaging_urls_check()
    with pytest.raises(ValueError, match="needs app=") as raised:
        configured()
    assert str(raised.value) in error.msg
