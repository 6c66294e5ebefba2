"""The OpenAPI 3.0 document of ``/api/v1``, written by hand next to the views it describes.

Every error an operation can answer is listed with the one error shape (``Error``): 400 (a NUL or
bytes that are not UTF-8 in a value: ``invalid_input`` with the ``field``; for a ballot also a body
that is not JSON), 401 (with ``WWW-Authenticate``), 403, 404 (an unknown campaign), 405 (with
``Allow``) and 413. The API has no rate limit (a token is 256 random bits), so no 429.
``tests/test_api.py`` runs schemathesis against it with its checks on."""
from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _with_header(response: dict, name: str, description: str) -> dict:
    return {**response, "headers": {name: {"description": description, "required": True,
                                           "schema": {"type": "string"}}}}


ERRORS = {
    "400": _json(_ref("Error"), "Một giá trị có ký tự NUL hoặc không phải UTF-8 (error: invalid_input; field: "
                                "tên trường hay đường dẫn JSON của nó)"),
    "401": _with_header(_json(_ref("Error"), "Thiếu hoặc sai mã truy cập"), "WWW-Authenticate",
                        'Bearer realm="parsurvey"'),
    "403": _json(_ref("Error"), "Vai trò không được phép"),
    "404": _json(_ref("Error"), "Không có đợt đánh giá này"),
    "405": _with_header(_json(_ref("Error"), "Địa chỉ này không nhận phương thức đó"), "Allow",
                        "Các phương thức địa chỉ này nhận"),
    "413": _json(_ref("Error"), "Dữ liệu gửi lên quá lớn (tối đa 2 MB)"),
}
NUMBER = {"type": "number", "nullable": True}
STRING = {"type": "string"}
# Text sent in a ballot holds no NUL (PostgreSQL refuses it in text) and is UTF-8 (no lone surrogate
# escape such as "\\udc80", which the pattern cannot say: a schema-valid generator never makes one).
TEXT_IN = {"type": "string", "pattern": "^[^\\u0000]*$",
           "description": "no NUL; UTF-8 (400 invalid_input otherwise, naming the field)"}
CAMPAIGN_ID = {"name": "campaign_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message", "details"],
        "properties": {
            "error": {"type": "string", "description": "unauthorized, forbidden, not_found, method_not_allowed, "
                                                       "too_large, invalid_input, bad_json, invalid, sealed, "
                                                       "not_par, conflict, closed, refused"},
            "message": {"type": "string", "description": "what is wrong, in Vietnamese"},
            "field": {"type": "string", "description": "invalid_input: the refused field (a JSON path such as "
                                                       "units[0].answers.H01; empty for the body as a whole)"},
            "details": {
                "type": "array",
                "items": {"type": "object", "properties": {"field": STRING, "message": STRING}},
            },
        },
    },
    "Campaign": {
        "type": "object",
        "required": ["id", "year", "name", "status"],
        "properties": {
            "id": {"type": "integer"},
            "year": {"type": "integer"},
            "name": STRING,
            "status": {"type": "string", "enum": ["draft", "open", "closed"]},
        },
    },
    "CampaignDetail": {
        "allOf": [
            _ref("Campaign"),
            {
                "type": "object",
                "required": ["criteria_name", "groups"],
                "properties": {
                    "criteria_name": STRING,
                    "groups": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["code", "name"],
                            "properties": {"code": STRING, "name": STRING},
                        },
                    },
                },
            },
        ]
    },
    "Unit": {
        "type": "object",
        "required": ["code", "name", "level", "parent"],
        "properties": {
            "code": STRING,
            "name": STRING,
            "level": {"type": "string", "description": "a level code of the campaign's criteria set"},
            "parent": {"type": "string", "nullable": True},
        },
    },
    "PlanRow": {
        "type": "object",
        "required": ["unit", "group", "target"],
        "properties": {"unit": STRING, "group": STRING, "target": {"type": "integer", "minimum": 0}},
    },
    "ResponseRow": {
        "type": "object",
        "description": "Một ô đơn vị × đối tượng; hoặc, khi đợt đang thu phiếu, tổng của một đối tượng tự chọn hay "
                       "đánh giá mọi đơn vị (unit = null): target là kế hoạch của cả đối tượng, submitted và "
                       "verified là số phiếu (số người), để không ai suy ra người đã chọn đơn vị nào. Các ô theo "
                       "đơn vị của đối tượng đó chỉ có sau khi đợt kết thúc.",
        "required": ["unit", "group", "target", "invited", "opened", "submitted", "verified"],
        "properties": {
            "unit": {**STRING, "nullable": True},
            "group": STRING,
            **{k: {"type": "integer", "minimum": 0} for k in ("target", "invited", "opened", "submitted", "verified")},
        },
    },
    "PointsRow": {
        "type": "object",
        "required": ["level", "unit", "fields", "total", "complete"],
        "properties": {
            "level": STRING,
            "unit": STRING,
            "fields": {"type": "object", "additionalProperties": NUMBER},
            "total": NUMBER,
            "complete": {"type": "boolean"},
            "ballots": {"type": "integer", "description": "Số phiếu hợp lệ có đánh giá đơn vị (mọi đối tượng)"},
            "coverage": {**STRING, "description": "“chưa đủ phiếu (n phiếu)”: dưới min_ballots của bộ tiêu chí, "
                                                  "không có điểm (fields, total null); “dưới kế hoạch (n/p phiếu)”; "
                                                  "hoặc rỗng"},
        },
    },
    "FinalRow": {
        "type": "object",
        "required": ["level", "unit", "appraisal", "survey", "index", "rank", "class", "class_reason"],
        "properties": {
            "level": STRING,
            "unit": STRING,
            "appraisal": NUMBER,
            "survey": NUMBER,
            "index": NUMBER,
            "rank": {"type": "integer", "nullable": True},
            "class": STRING,
            "class_reason": STRING,
            "ballots": {"type": "integer", "nullable": True, "description": "Số phiếu hợp lệ có đánh giá đơn vị"},
            "coverage": {**STRING, "description": "“chưa đủ phiếu (n phiếu)”: không có điểm điều tra, không xếp "
                                                  "hạng, không xếp loại; “dưới kế hoạch (n/p phiếu)”: xếp hạng, "
                                                  "có ghi chú; hoặc rỗng"},
            "parent": {"type": "string", "nullable": True,
                       "description": "Khi bộ tiêu chí xếp hạng cấp này trong từng đơn vị cấp trên (rank_within: "
                                      "parent): mã đơn vị cấp trên; hạng là thứ tự trong các đơn vị của nó"},
            "rank_of": {"type": "integer", "nullable": True,
                        "description": "Số đơn vị cùng được xếp hạng (M trong “xếp thứ N/M”); có cùng với parent"},
        },
    },
    "FinalTable": {
        "type": "object",
        "required": ["available", "message", "rows"],
        "properties": {
            "available": {"type": "boolean"},
            "message": STRING,
            "rows": {"type": "array", "items": _ref("FinalRow")},
        },
    },
    "BallotIn": {
        "type": "object",
        "required": ["ballot_id", "group", "units"],
        "additionalProperties": False,
        "properties": {
            "ballot_id": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_.:-]{1,60}$",
                "description": "Chosen by the sender; sending it again is harmless (idempotent).",
            },
            "group": {**TEXT_IN, "description": "Respondent group code, e.g. nguoi_dan"},
            "serial": {
                **TEXT_IN,
                "maxLength": 40,
                "description": "The serial printed on the paper ballot keyed (required for staff): the ballot then "
                               "rates that serial's unit, for its group, and goes through single or double entry "
                               "as on the keying screen.",
            },
            "units": {
                "type": "array",
                "minItems": 1,
                "maxItems": 100,
                "items": {
                    "type": "object",
                    "required": ["unit", "answers"],
                    "additionalProperties": False,
                    "properties": {
                        "unit": TEXT_IN,
                        "answers": {
                            "type": "object",
                            "additionalProperties": {"oneOf": [TEXT_IN, {
                                "type": "array", "maxItems": 100, "items": TEXT_IN,
                                "description": "an expectation (choose up to N): its option codes"}]},
                            "description": "question id -> answer. A scored or profile question: one option code "
                                           "(every scored question asked must be answered; a profile question "
                                           "may be left out). An expectation ('chọn tối đa N'): a list of "
                                           "option codes, or the codes joined by one space, at most N of them, "
                                           "each once (stored in the scale's order). A comment: the text, at "
                                           "most the question's max_length characters (phone numbers and "
                                           "e-mail addresses are masked when stored). Profile, expectation "
                                           "and comment questions may be left out. A problem names its "
                                           "question in details[].field (units[i].answers.<question id>).",
                        },
                    },
                },
            },
        },
    },
    "BallotOut": {
        "type": "object",
        "required": ["ballot", "ballot_id", "state", "stored"],
        "properties": {
            "ballot": {"type": "string", "nullable": True},
            "ballot_id": STRING,
            "state": {"type": "string",
                      "enum": ["received", "verified", "waiting_second_entry", "awaiting_reconciliation"]},
            "stored": {"type": "boolean"},
        },
    },
}


def _read(summary: str, schema: dict, with_campaign: bool = True, sealed: bool = False) -> dict:
    operation = {"summary": summary, "security": [{"bearer": []}],
                 "responses": {"200": _json(schema, "OK"), **{k: v for k, v in ERRORS.items()
                                                              if with_campaign or k != "404"}}}
    if sealed:
        operation["responses"]["409"] = _json(_ref("Error"), "Kết quả được niêm phong cho đến khi đợt kết thúc "
                                                             "(sealed); hoặc đợt khảo sát SIPAS, không có điểm "
                                                             "Chỉ số CCHC (not_par)")
    if with_campaign:
        operation["parameters"] = [CAMPAIGN_ID]
    return {"get": operation}


def openapi_document(base: str) -> dict:
    """The document, with ``base`` (``/api/v1``) as its server."""
    array = lambda name: {"type": "array", "items": _ref(name)}  # noqa: E731
    return {
        "openapi": "3.0.3",
        "info": {"title": "parsurvey API", "version": "1.0.0",
                 "description": "Đợt đánh giá, đơn vị, kế hoạch mẫu, số phiếu, điểm điều tra XHH, kết quả chỉ số; "
                                "gửi phiếu (cùng quy tắc với phiếu trên web). Mã truy cập: parsurvey users token."},
        "servers": [{"url": base}],
        "components": {"schemas": SCHEMAS,
                       "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "paths": {
            "/campaigns": _read("Các đợt đánh giá", array("Campaign"), with_campaign=False),
            "/campaigns/{campaign_id}": _read("Một đợt đánh giá", _ref("CampaignDetail")),
            "/campaigns/{campaign_id}/units": _read("Đơn vị", array("Unit")),
            "/campaigns/{campaign_id}/sample-plan": _read("Kế hoạch mẫu", array("PlanRow")),
            "/campaigns/{campaign_id}/responses": _read(
                "Số phiếu theo đơn vị × đối tượng (đang thu phiếu: theo đối tượng với đối tượng tự chọn hay "
                "đánh giá mọi đơn vị)", array("ResponseRow")),
            "/campaigns/{campaign_id}/points": _read("Điểm điều tra XHH", array("PointsRow"), sealed=True),
            "/campaigns/{campaign_id}/final": _read("Chỉ số, xếp hạng, xếp loại", _ref("FinalTable"), sealed=True),
            "/campaigns/{campaign_id}/ballots": {"post": {
                "summary": "Gửi một phiếu", "security": [{"bearer": []}], "parameters": [CAMPAIGN_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("BallotIn")}}},
                "responses": {
                    **ERRORS,
                    "201": _json(_ref("BallotOut"), "Đã lưu phiếu"),
                    "202": _json(_ref("BallotOut"), "Đã lưu lần nhập này của phiếu in; phiếu chờ lần nhập thứ hai "
                                                    "hoặc chờ đối chiếu"),
                    "200": _json(_ref("BallotOut"), "Phiếu này đã được gửi trước đó (gửi lại không tạo gì mới)"),
                    "400": _json(_ref("Error"), "Thân yêu cầu không phải JSON (bad_json), hoặc một giá trị có ký tự "
                                                "NUL hay không phải UTF-8 (invalid_input; field: đường dẫn JSON)"),
                    "409": _json(_ref("Error"), "Mã phiếu đã dùng cho phiếu khác, phiếu in không nhập được nữa, "
                                                "hoặc đợt không nhận phiếu"),
                    "422": _json(_ref("Error"), "Phiếu không hợp lệ: từng lỗi trong details")}}},
        },
    }
