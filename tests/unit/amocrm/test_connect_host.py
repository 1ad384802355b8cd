"""The OAuth callback's `referer` decides where the code and client secret are sent: only account
hosts under an allowed domain pass (no SSRF)."""

import pytest

from backend.amocrm.connect import ConnectError, allowed_host

DOMAINS = ("amocrm.ru", "kommo.com")


@pytest.mark.parametrize(
    "referer", ["acme.amocrm.ru", "ACME.amocrm.ru", "my-team.kommo.com", "a1.amocrm.ru "]
)
def test_account_hosts_pass(referer):
    assert allowed_host(referer, DOMAINS) == referer.strip().lower()


@pytest.mark.parametrize(
    "referer",
    [
        "amocrm.ru",  # the bare domain is not an account
        "www.amocrm.ru",  # the authorize site, not an account
        "evil.com",
        "acme.amocrm.ru.evil.com",
        "evilamocrm.ru",
        "127.0.0.1",
        "acme.amocrm.ru:8080",
        "acme.amocrm.ru/path",
        "user@acme.amocrm.ru",
        "http://acme.amocrm.ru",
        "acme..amocrm.ru",
        "",
        "-acme.amocrm.ru",
    ],
)
def test_everything_else_is_refused(referer):
    with pytest.raises(ConnectError):
        allowed_host(referer, DOMAINS)
