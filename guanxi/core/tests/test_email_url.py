import pytest

from guanxi.core.email_url import mailer_from_url


def test_starttls_url_with_quoted_user():
    mailer = mailer_from_url("smtp+tls://crm%40example.com:p%40ss@smtp.example.com")

    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] | {"timeout": None} == {
        "host": "smtp.example.com",
        "port": 587,
        "username": "crm@example.com",
        "password": "p@ss",
        "use_tls": True,
        "use_ssl": False,
        "timeout": None,
    }


def test_smtps_uses_implicit_tls_on_465():
    options = mailer_from_url("smtps://u:p@mail.example.com")["OPTIONS"]
    assert (options["port"], options["use_ssl"], options["use_tls"]) == (465, True, False)


def test_plain_smtp_keeps_an_explicit_port():
    options = mailer_from_url("smtp://relay.local:2525")["OPTIONS"]
    assert (options["port"], options["use_tls"], options["use_ssl"]) == (2525, False, False)
    assert (options["username"], options["password"]) == ("", "")


@pytest.mark.parametrize("url", ["http://smtp.example.com", "smtp://", "mail.example.com"])
def test_other_urls_are_refused(url):
    with pytest.raises(ValueError, match="GUANXI_EMAIL_URL"):
        mailer_from_url(url)
