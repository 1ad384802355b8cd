"""The token endpoint's answers, classified as amoCRM documents them (docs/amocrm.md, "Token endpoint
answers"; hints from /work/shared/reference/amocrm-api.md §1.4 and amocrm-api-php issue #123)."""

import pytest

from backend.amocrm.oauth import Answer, classify

TOKENS = {"token_type": "Bearer", "expires_in": 86400, "access_token": "a.b.c", "refresh_token": "def502"}


def problem(hint: str, status: int = 400) -> dict:
    return {"hint": hint, "title": "Некорректный запрос", "status": status, "detail": "…"}


@pytest.mark.parametrize(
    ("status", "body", "answer"),
    [
        (200, TOKENS, Answer.TOKENS),
        (200, {"access_token": "a.b.c"}, Answer.BUSY),  # no refresh token: never store half a pair
        (400, problem("Token has been revoked"), Answer.REFUSED),
        (400, problem("Token has expired"), Answer.REFUSED),
        (400, problem("Invalid refresh token"), Answer.REFUSED),
        (400, problem("Authorization code has expired"), Answer.REFUSED),
        (400, problem("Authorization code has been revoked"), Answer.REFUSED),
        (400, problem("Cannot decrypt the authorization code"), Answer.REFUSED),
        (401, problem("Client authentication failed", 401), Answer.REFUSED),
        (401, problem("Token has been revoked", 401), Answer.REFUSED),  # a reused refresh token, as 401
        (400, problem("Check the `refresh_token` parameter"), Answer.BUSY),
        (401, {"title": "Unauthorized", "status": 401}, Answer.BUSY),
        (429, {"title": "Too Many Requests", "retry_after": 2}, Answer.BUSY),
        (403, None, Answer.BUSY),  # the nginx ban page is HTML
        (500, None, Answer.BUSY),
        (502, None, Answer.BUSY),
        (503, {"title": "Service Unavailable"}, Answer.BUSY),
        (504, None, Answer.BUSY),
        (404, {"title": "Not found"}, Answer.BUSY),
    ],
)
def test_only_documented_refusals_end_a_grant(status, body, answer):
    assert classify(status, body) is answer
