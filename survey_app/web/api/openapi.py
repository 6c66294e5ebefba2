"""The OpenAPI 3.0 document of ``/api/v1``, written by hand next to the views it describes."""
from __future__ import annotations

from typing import Any


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "401": _json(_ref("Error"), "Thiếu hoặc sai mã truy cập"),
    "403": _json(_ref("Error"), "Vai trò không được phép"),
    "404": _json(_ref("Error"), "Không có đợt đánh giá này"),
}
NUMBER = {"type": "number", "nullable": True}
STRING = {"type": "string"}
CAMPAIGN_ID = {"name": "campaign_id", "in": "path", "required": True,
               "schema": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message", "details"],
        "properties": {
            "error": STRING,
            "message": STRING,
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
        "required": ["unit", "group", "target", "invited", "opened", "submitted", "verified"],
        "properties": {
            k: {"type": "integer", "minimum": 0} if k not in ("unit", "group") else STRING
            for k in ("unit", "group", "target", "invited", "opened", "submitted", "verified")
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
        "properties": {
            "ballot_id": {
                "type": "string",
                "pattern": "^[A-Za-z0-9_.:-]{1,60}$",
                "description": "Chosen by the sender; sending it again is harmless (idempotent).",
            },
            "group": {"type": "string", "description": "Respondent group code, e.g. nguoi_dan"},
            "serial": {
                "type": "string",
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
                    "properties": {
                        "unit": STRING,
                        "answers": {
                            "type": "object",
                            "additionalProperties": STRING,
                            "description": "question id -> option code, every question asked",
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
        operation["responses"]["409"] = _json(_ref("Error"), "Kết quả được niêm phong cho đến khi đợt kết thúc")
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
            "/campaigns/{campaign_id}/responses": _read("Số phiếu theo đơn vị × đối tượng", array("ResponseRow")),
            "/campaigns/{campaign_id}/points": _read("Điểm điều tra XHH", array("PointsRow"), sealed=True),
            "/campaigns/{campaign_id}/final": _read("Chỉ số, xếp hạng, xếp loại", _ref("FinalTable"), sealed=True),
            "/campaigns/{campaign_id}/ballots": {"post": {
                "summary": "Gửi một phiếu", "security": [{"bearer": []}], "parameters": [CAMPAIGN_ID],
                "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("BallotIn")}}},
                "responses": {
                    "201": _json(_ref("BallotOut"), "Đã lưu phiếu"),
                    "202": _json(_ref("BallotOut"), "Đã lưu lần nhập này của phiếu in; phiếu chờ lần nhập thứ hai "
                                                    "hoặc chờ đối chiếu"),
                    "200": _json(_ref("BallotOut"), "Phiếu này đã được gửi trước đó (gửi lại không tạo gì mới)"),
                    "400": _json(_ref("Error"), "Không phải JSON"),
                    "409": _json(_ref("Error"), "Mã phiếu đã dùng cho phiếu khác, phiếu in không nhập được nữa, "
                                                "hoặc đợt không nhận phiếu"),
                    "413": _json(_ref("Error"), "Quá lớn"),
                    "422": _json(_ref("Error"), "Phiếu không hợp lệ: từng lỗi trong details"),
                    **ERRORS}}},
        },
    }
