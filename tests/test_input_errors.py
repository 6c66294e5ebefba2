"""Answers to input no view should see, said plainly: a 405 names the methods the address takes (Allow),
and a NUL or bytes that are not UTF-8 in a query, form or JSON value get a 400 that names the field, in
Vietnamese on the pages and as ``invalid_input`` on the API (after its token and role are checked)."""
from __future__ import annotations

import json

import pytest

from survey_app.extensions import DB_KEY
from survey_app.services.users import create_api_token, create_user

from .conftest import CURRENT
from .test_auth import PASSWORD, csrf


@pytest.fixture
def site(demo_app):
    tokens = {}
    with demo_app.extensions[DB_KEY].transaction() as s:
        for username, role in (("qt", "admin"), ("pt", "analyst")):
            user = create_user(s, username, PASSWORD, role, actor="t")
            s.flush()
            tokens[role] = create_api_token(s, user, "t", actor="t")
    demo_app.tokens = tokens
    return demo_app


def api(app, method: str, path: str, role: str | None = None, **kwargs):
    headers = {"Authorization": f"Bearer {app.tokens[role] if role else 'pst_wrong'}"}
    return app.test_client().open(f"/api/v1{path}", method=method, headers=headers, **kwargs)


def page_text(response) -> str:
    return response.get_data(as_text=True)


# --- 405 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("method,path,allowed", [
    ("PUT", "/api/v1/campaigns", {"GET"}),
    ("DELETE", f"/api/v1/campaigns/{CURRENT}/ballots", {"POST"}),
    ("PUT", "/dang-nhap", {"GET", "POST"}),
    ("DELETE", "/", {"GET"}),
])
def test_every_405_says_which_methods_the_address_takes(site, method, path, allowed):
    response = site.test_client().open(path, method=method)
    assert response.status_code == 405
    assert allowed <= {m.strip() for m in response.headers.get("Allow", "").split(",")}
    if path.startswith("/api/"):
        assert response.get_json()["error"] == "method_not_allowed"
    else:
        assert "Thao tác không hợp lệ" in page_text(response)


# --- the pages ------------------------------------------------------------------------------------


def test_a_query_value_that_is_not_utf8_names_its_field(site):
    response = site.test_client().get("/ma?ma=AB%FFCD")
    assert response.status_code == 400 and "Trường “ma” không phải văn bản UTF-8" in page_text(response)
    assert site.test_client().get("/ma?ma=AB%25FFCD").status_code != 400, "a typed '%FF' is text"
    assert site.test_client().get("/ma?ma=B%E1%BA%AFc").status_code != 400, "Vietnamese in UTF-8 is text"


@pytest.mark.parametrize("raw", [b"a%FF", b"a\xff", b"a%ED%A0%80"], ids=["percent", "raw byte", "surrogate"])
def test_a_form_value_that_is_not_utf8_names_its_field(site, raw):
    client = site.test_client()
    token = csrf(page_text(client.get("/dang-nhap"))).encode()
    response = client.post("/dang-nhap", data=b"csrf_token=" + token + b"&username=" + raw + b"&password=x",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "Trường “username” không phải văn bản UTF-8" in page_text(response)


def test_a_nul_in_a_form_names_its_field(site):
    client = site.test_client()
    token = csrf(page_text(client.get("/dang-nhap")))
    response = client.post("/dang-nhap", data={"csrf_token": token, "username": "qt", "password": "ab\x00cd"})
    assert response.status_code == 400 and "Trường “password” có ký tự NUL" in page_text(response)
    assert "ab\x00cd" not in page_text(response), "the value is never shown back"


def test_a_multipart_field_that_is_not_utf8_names_its_field(site):
    client = site.test_client()
    token = csrf(page_text(client.get("/dang-nhap"))).encode()
    body = (b"--b\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n" + token +
            b"\r\n--b\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nq\xfft\r\n--b--\r\n")
    response = client.post("/dang-nhap", data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 400 and "Trường “username” không phải văn bản UTF-8" in page_text(response)


# --- the API --------------------------------------------------------------------------------------


def ballot(**changes) -> dict:
    return {"ballot_id": "b1", "group": "nguoi_dan", "units": [{"unit": "ba_be", "answers": {"H01": "tot"}}],
            **changes}


def test_the_api_checks_the_token_and_the_role_before_the_body(site):
    body = ballot(group="\u0000")
    assert api(site, "POST", f"/campaigns/{CURRENT}/ballots", json=body).status_code == 401
    assert api(site, "POST", f"/campaigns/{CURRENT}/ballots", "analyst", json=body).status_code == 403
    refused = api(site, "POST", f"/campaigns/{CURRENT}/ballots", "admin", json=body)
    assert refused.status_code == 400
    said = refused.get_json()
    assert said["error"] == "invalid_input" and said["field"] == "group" and "Trường “group” có ký tự NUL" in \
        said["message"]
    assert said["details"] == [{"field": "group", "message": said["message"]}]


@pytest.mark.parametrize("body,field,problem", [
    (json.dumps(ballot(units=[{"unit": "ba_be", "answers": {"H01": "t\u0000t"}}])).encode(), "units[0].answers.H01",
     "có ký tự NUL"),
    (json.dumps(ballot()).encode().replace(b'"nguoi_dan"', b'"ng\xffoi"'), "group", "không phải văn bản UTF-8"),
    (json.dumps(ballot()).encode().replace(b'"ba_be"', b'"\\udc80"'), "units[0].unit", "không phải văn bản UTF-8"),
], ids=["nul", "invalid utf-8", "lone surrogate"])
def test_a_json_value_no_text_holds_is_named_by_its_path(site, body, field, problem):
    response = api(site, "POST", f"/campaigns/{CURRENT}/ballots", "admin", data=body,
                   content_type="application/json")
    assert response.status_code == 400 and response.get_json()["field"] == field
    assert problem in response.get_json()["message"]


def test_text_outside_the_basic_plane_is_text(site):
    body = json.dumps(ballot(group="nhóm 😀")).encode()  # escaped as a surrogate pair: one character
    response = api(site, "POST", f"/campaigns/{CURRENT}/ballots", "admin", data=body, content_type="application/json")
    assert response.status_code == 422 and response.get_json()["details"][0]["field"] == "group"


def test_a_query_value_on_the_api_is_checked_too(site):
    response = api(site, "GET", "/campaigns?x=%00", "analyst")
    assert response.status_code == 400 and response.get_json()["field"] == "x"
    assert api(site, "GET", "/campaigns?x=%00").status_code == 401


def test_an_unknown_field_of_a_ballot_is_refused_not_ignored(site):
    response = api(site, "POST", f"/campaigns/{CURRENT}/ballots", "admin", json=ballot(extra="x"))
    assert response.status_code == 422
    assert {"extra"} <= {d["field"] for d in response.get_json()["details"]}


def test_too_large_a_body_is_the_documented_json_error(site):
    response = api(site, "POST", f"/campaigns/{CURRENT}/ballots", "admin", data=b"[" + b" " * (3 * 1024 * 1024) + b"]",
                   content_type="application/json")
    assert response.status_code == 413
    assert response.get_json()["error"] == "too_large" and response.get_json()["details"] == []


def test_the_document_lists_every_error_each_operation_can_answer(site):
    document = site.test_client().get("/api/v1/openapi.json").get_json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            listed = set(operation["responses"])
            assert {"400", "401", "403", "405", "413"} <= listed, (method, path)
            assert ("404" in listed) == ("{campaign_id}" in path), (method, path)
            assert operation["responses"]["405"]["headers"]["Allow"]["required"] is True
            assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]
    assert "field" in document["components"]["schemas"]["Error"]["properties"]
    assert document["components"]["schemas"]["BallotIn"]["additionalProperties"] is False
