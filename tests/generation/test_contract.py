"""The typed contract: OpenAPI types every field of the generation request and response, and every bad value of
a generation request is a 4xx with a Russian message (never a 500), with nothing charged."""
from __future__ import annotations

import pytest

from tortodelova.errors import InvalidInput
from tortodelova.generation.schemas import GenerationRequest, parse_request

TYPED_KEYS = ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const")


def _resolve(schema: dict, spec: dict) -> dict:
    ref = schema.get("$ref")
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else schema


def _untyped(model: dict, spec: dict, path: str = "") -> list[str]:
    """Every property (nested ones too) must say what it holds; `{}` is «any», which OpenAPI clients cannot use."""
    problems = []
    for name, prop in model.get("properties", {}).items():
        where = f"{path}{name}"
        if not any(key in prop for key in TYPED_KEYS):
            problems.append(where)
        for option in prop.get("anyOf", []) + [prop.get("items", {})]:
            if option and not any(key in option for key in TYPED_KEYS):
                problems.append(where)
            if "$ref" in option:
                problems += _untyped(_resolve(option, spec), spec, f"{where}.")
        if "$ref" in prop:
            problems += _untyped(_resolve(prop, spec), spec, f"{where}.")
    return problems


def test_openapi_types_every_field_of_the_generation_request_and_response(client):
    spec = client.get("/api/openapi.json").json()
    create = spec["paths"]["/api/generations"]["post"]
    request = _resolve(create["requestBody"]["content"]["application/json"]["schema"], spec)
    assert _untyped(request, spec) == []
    props = request["properties"]
    assert set(props["size"]["enum"]) == {"square", "portrait", "landscape"}
    assert set(props["quality"]["enum"]) == {"draft", "fast", "standard"}
    assert props["variants"]["minimum"] == 1 and props["variants"]["maximum"] == 4
    assert props["prompt"]["maxLength"] == 500 and "prompt" in request["required"]
    assert {"init_upload_id", "inscription", "negative_prompt", "prompt_en", "strength"} <= set(props)
    inscription = _resolve(next(o for o in props["inscription"]["anyOf"] if "$ref" in o), spec)
    assert set(inscription["properties"]["color"]["enum"]) == {"gold", "white", "chocolate", "pink", "black"}

    response = _resolve(create["responses"]["202"]["content"]["application/json"]["schema"], spec)
    assert _untyped(response, spec) == []
    api_md_fields = {"id", "status", "progress", "queue_position", "prompt_ru", "prompt_en", "style", "size", "width",
                     "height", "variants", "quality", "seed", "cost", "images", "error", "created_at", "started_at",
                     "finished_at", "negative_prompt_en", "inscription", "prompt_truncated"}
    assert api_md_fields <= set(response["properties"])
    image = _resolve(response["properties"]["images"]["items"], spec)
    assert {"index", "seed", "url", "download_url", "plain_url"} <= set(image["properties"])
    # Every JSON route of the generation, demo and admin domains declares its answer.
    mine = ("/api/generations", "/api/demo", "/api/admin", "/api/translate", "/api/styles")
    for path, methods in spec["paths"].items():
        if not path.startswith(mine):
            continue
        for method, operation in methods.items():
            answers = operation["responses"]
            ok = next((answers[code] for code in ("200", "201", "202") if code in answers), None)
            if ok and "application/json" in ok.get("content", {}):
                assert ok["content"]["application/json"]["schema"], (method, path)


BAD_VALUES = [
    ({"prompt": "торт", "size": ["square"]}, "размер"), ({"prompt": "торт", "size": {"a": 1}}, "размер"),
    ({"prompt": "торт", "quality": ["fast"]}, "качество"), ({"prompt": "торт", "variants": "²"}, "вариантов"),
    ({"prompt": "торт", "seed": "²"}, "Seed"), ({"prompt": "торт", "seed": 10**40}, "Seed"),
    ({"prompt": "торт", "variants": 10**400}, "вариантов"), ({"prompt": "торт", "variants": True}, "вариантов"),
    ({"prompt": "торт", "variants": 2.5}, "вариантов"), ({"prompt": "торт\x00"}, "NUL"),
    ({"prompt": "торт", "negative_prompt": "a\x00b"}, "NUL"), ({"prompt": "торт", "strength": "0.5"}, "Сила"),
    ({"prompt": "торт", "init_index": "١"}, "Номер"), ({"prompt": "торт", "inscription": {"text": ""}}, "надписи"),
    ({"prompt": "торт", "inscription": {"text": "т" * 41}}, "надписи"),
    ({"prompt": "торт", "inscription": {"text": "Маша", "color": "blue"}}, "цвет"),
    ({"prompt": "торт", "inscription": 5}, "Надпись"), ({"prompt": "торт", "init_generation_id": "x" * 100}, "init"),
    ({"prompt": "торт", "init_generation_id": "a", "init_upload_id": "b"}, "что-то одно"),
]


@pytest.mark.parametrize("body,fragment", BAD_VALUES)
def test_bad_values_are_refused_in_russian(body, fragment):
    """The request rules themselves, without HTTP: the same `parse_request` the REST view and the UI call."""
    with pytest.raises(InvalidInput, match=fragment):
        parse_request(body)


def test_bad_values_over_http_are_4xx_in_russian_and_nothing_is_charged(client, register, settings):
    _user, headers = register()
    for body, fragment in BAD_VALUES:
        r = client.post("/api/generations", headers=headers, json=body)
        # NUL bytes never reach the route: the edge guard refuses them (400); every other bad value is a 422.
        assert r.status_code == (400 if fragment == "NUL" else 422), (body, r.text)
        assert fragment in r.json()["detail"], (body, r.text)
    assert client.get("/api/generations", headers=headers).json()["total"] == 0
    assert client.get("/api/me/balance", headers=headers).json()["balance"] == settings.welcome_credits


@pytest.mark.parametrize("path,status", [("/api/generations/%00", 400), ("/api/generations/" + "x" * 300, 404)])
def test_malformed_ids_are_refused(client, register, path, status):
    _user, headers = register()
    assert client.get(path, headers=headers).status_code == status  # NUL: the edge guard; too long: not found


def test_huge_offset_is_422(client, register):
    _user, headers = register()
    assert client.get("/api/generations?offset=99999999999999999999", headers=headers).status_code == 422


def test_inscription_absent_differs_from_null():
    absent = parse_request({"prompt": "торт с надписью «Маша»"})
    null = parse_request({"prompt": "торт с надписью «Маша»", "inscription": None})
    given = parse_request({"prompt": "торт", "inscription": {"text": "Маша", "position": "top"}})
    assert not absent.inscription_given and absent.inscription is None
    assert null.inscription_given and null.inscription is None
    assert given.inscription_given and given.inscription.position == "top" and given.inscription.font == "script"


def test_parse_request_raises_the_domain_error():
    with pytest.raises(InvalidInput, match="Описание торта"):
        parse_request({})
    assert isinstance(parse_request({"prompt": " торт "}), GenerationRequest)
    assert parse_request({"prompt": " торт "}).prompt == "торт"
