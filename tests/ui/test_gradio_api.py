"""The Gradio event handlers called directly through the Gradio API (gradio_client) against the running app.

Every handler is reachable whether or not its component is visible, so each must check the token (and, for the admin
ones, the role) on the server. The endpoint list comes from the running app, so a new handler cannot be forgotten:
it fails `test_every_endpoint_is_classified` until it is listed below (and thereby tested).

A refusal is a Russian warning toast (a `log` message of the queue protocol) with every output left as it was
(`gr.skip()`), never a raised `gr.Error`, which would put every output of the event into an error state in the page.
"""
from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import gradio as gr
import httpx
import jwt
import pytest
from gradio_client import Client

from tests.helpers import wait_until
from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.billing import service as billing
from tortodelova.generation.models import Generation
from tortodelova.ui.app import build_ui, launch_options
from tortodelova.ui.common import SIGNED_OUT

# Open to visitors by design: they only show what the caller's own token / signed guest id allows.
PUBLIC = {"session_restore", "login", "login_submit", "register", "logout", "price", "style_info", "demo_create",
          "demo_poll",
          # issue 21: the same answer for every address (tests/lifecycle)
          "password_reset_request", "password_reset_request_submit",
          # The «Мои дизайны» badge: the number of the caller's own unseen answers; nothing for a visitor (issue 22).
          "selections_badge"}
# create_generate is open too: for a visitor it only opens the sign-in dialog (tested below).
USER = {
    "create_generate", "create_more", "create_similar", "create_repeat", "create_poll", "create_cancel",
    "create_select_variant", "create_translate", "designs_show", "designs_page", "designs_prev", "designs_next",
    "designs_select", "designs_share", "designs_unshare", "designs_delete", "designs_repeat", "designs_card",
    "balance_show",
    "balance_deposit", "balance_deposit_submit",
    # «Для заказчика» (issue 12: tortodelova/ui/card.py, lettering.py, reference.py)
    "baker_show", "baker_pick", "lettering_preview", "lettering_apply", "card_pdf", "card_png", "profile_save",
    "reference_create", "profile_open", "profile_save_header",
    # «Мои термины» in «Профиль» (issue 23: tortodelova/ui/terms.py)
    "terms_open", "terms_save",
    # account lifecycle (issue 21: tortodelova/ui/lifecycle.py)
    "account_status", "account_resend_confirmation", "account_logout_everywhere", "account_delete",
    # «Подборки для заказчика» (issue 22: tortodelova/ui/selections.py)
    "selections_show", "selections_refresh", "selections_pick", "selections_create", "selections_agree",
    "selections_revoke", "selections_similar", "selections_lettering",
    # «Доработать» a draft (issue 20)
    "create_refine_fast", "create_refine_standard",
}
ADMIN = {
    "admin_overview", "admin_users", "admin_users_prev", "admin_users_next", "admin_pick_user", "admin_adjust",
    "admin_block", "admin_unblock", "admin_delete", "admin_generations", "admin_transactions", "admin_stats",
    "admin_glossary_misses",
    "admin_reset_link",
}
# Server functions hidden from the API that only switch panels and tabs or describe a style (no data, no token).
UI_ONLY = {"open_auth", "open_register", "close_auth", "close_profile", "open_balance_tab", "style_info", "open_reset",
           "signed_out"}  # issue 22: empties «Подборки для заказчика» on «Выйти»
SELECT_EVENTS = {"create_select_variant", "designs_select", "admin_pick_user"}
JOB_DEADLINE = 180.0


def endpoints(client: Client) -> dict:
    return {name.lstrip("/"): info for name, info in
            client.view_api(return_format="dict", print_info=False)["named_endpoints"].items()}


def example_args(info: dict) -> list:
    """Plausible values for every parameter except the first (the token), from the API description."""
    args = []
    for param in info["parameters"][1:]:
        if param.get("parameter_has_default"):
            args.append(param["parameter_default"])
        elif param.get("component") in ("Image", "File", "Gallery", "UploadButton"):
            args.append(None)  # the example is a URL on the internet, which the test machine cannot reach
        else:
            args.append(param.get("example_input"))
    return args


class Raw:
    """The queue protocol by hand, for what gradio_client cannot send: select events carry `event_data`."""

    def __init__(self, client: Client):
        self.client = client
        self.root = client.src.rstrip("/")
        self.dependencies = client.config["dependencies"]
        self.components = {c["id"]: c for c in client.config["components"]}

    def fn_index(self, api_name: str) -> int:
        return next(d["id"] for d in self.dependencies if d.get("api_name") == api_name)

    def call(self, api_name: str, values: list, *, event_data=None) -> dict:
        """`values` for the non-state inputs in order; states come from this client's session, as in a browser.
        The completed message, with the toasts of the event under "logs"."""
        index = self.fn_index(api_name)
        dependency = next(d for d in self.dependencies if d["id"] == index)
        values = list(values)
        data = [None if self.components[i]["type"] == "state" else values.pop(0) for i in dependency["inputs"]]
        session_hash = self.client.session_hash
        body = {"data": data, "event_data": event_data, "fn_index": index, "trigger_id": None,
                "session_hash": session_hash}
        logs = []
        with httpx.Client(base_url=self.root, timeout=60) as http:
            event_id = http.post("/gradio_api/queue/join", json=body).raise_for_status().json()["event_id"]
            with http.stream("GET", "/gradio_api/queue/data", params={"session_hash": session_hash}) as stream:
                for line in stream.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    message = json.loads(line[5:])
                    if message.get("event_id") != event_id:
                        continue
                    if message.get("msg") == "log":
                        logs.append(message)
                    if message.get("msg") == "process_completed":
                        return {**message, "logs": logs}
        raise AssertionError(f"no result for {api_name}")

    def refused(self, api_name: str, values: list, match: str, *, event_data=None) -> dict:
        """The call is answered with a warning toast saying `match`, and changes nothing on the page."""
        message = self.call(api_name, values, event_data=event_data)
        assert message["success"], message  # no error state in the page
        warnings = [log for log in message["logs"] if log.get("level") == "warning"]
        assert any(match.lower() in log["log"].lower() for log in warnings), (api_name, message["logs"])
        assert all(w.get("title") and w["title"] not in ("Warning", "Error") for w in warnings)
        return message


def unchanged(message: dict) -> bool:
    """Every output of the event is a bare update (or, for a server-side gr.State, nothing): nothing changes."""
    def bare(v) -> bool:
        return isinstance(v, dict) and v.get("__type__") == "update" and all(
            k == "__type__" or (k == "props" and bare(p)) for k, p in v.items())

    return all(v is None or bare(v) for v in message["output"]["data"])


def forged_tokens(app) -> list[str]:
    now = int(time.time())
    admin_claims = {"sub": "1", "role": "admin", "iat": now, "exp": now + 3600}
    return [
        jwt.encode(admin_claims, "not-the-server-secret-" + "x" * 30, algorithm="HS256"),
        jwt.encode(admin_claims, None, algorithm="none"),
        jwt.encode({**admin_claims, "exp": now - 10}, app.settings.resolved_jwt_secret(), algorithm="HS256"),
        "not-a-jwt",
    ]


@pytest.fixture(scope="module")
def client(live_app) -> Client:
    return Client(live_app.url, verbose=False, download_files=False)


def test_every_endpoint_is_classified(client):
    names = set(endpoints(client))
    assert names == PUBLIC | USER | ADMIN, f"unclassified: {names - PUBLIC - USER - ADMIN}, " \
                                           f"gone: {(PUBLIC | USER | ADMIN) - names}"


def test_hidden_server_functions_only_switch_panels(live_app):
    blocks = build_ui(live_app.services)
    hidden = {fn.fn.__name__ for fn in blocks.fns.values() if fn.fn is not None and fn.api_visibility == "private"}
    assert hidden == UI_ONLY


@pytest.mark.parametrize("api_name", sorted(USER | ADMIN))
def test_handler_refuses_anonymous_and_forged_tokens(live_app, client, api_name):
    info = endpoints(client)[api_name]
    assert info["parameters"][0]["parameter_name"] == "token_value"
    raw = Raw(client)
    event_data = {"index": 0, "value": None, "row_value": ["x@example.com"]} if api_name in SELECT_EVENTS else None
    for token in [SIGNED_OUT, "", *forged_tokens(live_app)]:
        if api_name == "create_generate":  # a visitor is shown the sign-in dialog, nothing else
            message = raw.call(api_name, [token, *example_args(info)])
            assert message["success"] and 'data-status' not in json.dumps(message["output"])
            assert any(isinstance(v, dict) and v.get("visible") is True for v in message["output"]["data"])
            continue
        message = raw.refused(api_name, [token, *example_args(info)], "войд", event_data=event_data)
        assert unchanged(message), (api_name, token[:20], message["output"])


@pytest.mark.parametrize("api_name", sorted(ADMIN))
def test_admin_handler_refuses_a_normal_user(live_app, client, api_name):
    token = live_app.user(f"plain-{api_name}@example.com", credits=10)
    info = endpoints(client)[api_name]
    event_data = {"index": 0, "value": None, "row_value": ["x@example.com"]} if api_name in SELECT_EVENTS else None
    message = Raw(client).refused(api_name, [token, *example_args(info)], "администратор", event_data=event_data)
    assert unchanged(message)


def test_admin_delete_by_normal_user_changes_nothing(live_app, client):
    live_app.user("victim@example.com")
    attacker = live_app.user("attacker@example.com")
    with live_app.services.session_factory() as session:
        victim_id = session.query(User.id).filter_by(email="victim@example.com").scalar()
    raw = Raw(client)
    for api_name, args in (("admin_delete", ["victim@example.com", "", "", True, ""]),
                           ("admin_adjust", ["victim@example.com", "5000", "подарок себе", False, ""]),
                           ("admin_block", ["victim@example.com", "", "", False, ""])):
        raw.refused(api_name, [attacker, *args], "администратор")
    with live_app.services.session_factory() as session:
        victim_user = session.get(User, victim_id)
        assert victim_user is not None and victim_user.is_active
        assert victim_user.balance == live_app.settings.welcome_credits


def test_session_restore_with_a_forged_token_shows_nothing(live_app, client):
    live_app.user("restore@example.com", credits=77)
    for token in forged_tokens(live_app):
        result = client.predict(token, {"guest": None}, api_name="/session_restore")
        text = json.dumps(result, ensure_ascii=False)
        assert "restore@example.com" not in text and "data-signed-in=\"1\"" not in text
        assert result[0] == SIGNED_OUT  # the browser forgets the bad token


def wait_for_job(client: Client, token: str) -> tuple:
    def finished():
        result = client.predict(token, api_name="/create_poll")
        return result if 'data-status="succeeded"' in result[0] or 'data-status="failed"' in result[0] else None

    return wait_until(finished, timeout=JOB_DEADLINE, interval=0.3, message="the generation did not finish")


def test_signed_in_user_flow(live_app):
    """Login → price → translate → generate 2 fast variants → poll to the images → they load only when signed →
    more variants → similar design → my designs → share (link works) → unshare → deposit → delete."""
    client = Client(live_app.url, verbose=False, download_files=False)
    live_app.user("chef@example.com", "chef-password-1", credits=200)
    result = client.predict("chef@example.com", "chef-password-1", {"guest": None}, api_name="/login")
    token = result[0]
    assert token != SIGNED_OUT and token.count(".") == 2
    assert "chef@example.com" in json.dumps(result, ensure_ascii=False)

    assert "10 кредитов" in client.predict("square", "fast", 2, api_name="/price")

    highlighted, prompt_en, check = client.predict(token, "Шоколадный торт с ягодами", "classic", "без орехов",
                                                  api_name="/create_translate")
    assert prompt_en and isinstance(highlighted, (list, dict))
    assert "Модель получит" in check and "classic elegant cake" in check  # the final prompt, style included
    assert "Без:" in check  # the Russian negative prompt, translated by the same path

    out = client.predict(token, "Шоколадный торт с ягодами", "classic", "square", 2, "fast", "42", "", prompt_en,
                         api_name="/create_generate")
    assert 'data-status="queued"' in out[0] or 'data-status="running"' in out[0]
    with live_app.services.session_factory() as session:
        assert billing.balance_of(session=session, user_id=_user_id(live_app, "chef@example.com")) == 220

    status_html, gallery, downloads = wait_for_job(client, token)[:3]
    assert 'data-status="succeeded"' in status_html
    assert len(gallery) == 2 and downloads.count("download=1") == 2
    url = gallery[0]["image"]["url"]
    assert url.startswith(live_app.url + "/api/images/") and "sig=" in url
    image = httpx.get(url)
    assert image.status_code == 200 and image.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert httpx.get(url.split("?")[0]).status_code == 404  # unsigned: nothing
    assert httpx.get(url[:-4] + "0000").status_code == 404  # tampered signature: nothing

    client.predict(token, api_name="/create_more")
    assert len(wait_for_job(client, token)[1]) == 2
    client.predict(token, 0.5, api_name="/create_similar")
    assert len(wait_for_job(client, token)[1]) == 1

    designs = client.predict(token, api_name="/designs_show")
    assert "Готовых дизайнов: **3**" in designs[0] and len(designs[1]) == 3

    raw = Raw(client)
    selected = raw.call("designs_select", [token], event_data={"index": 0, "value": None})
    assert selected["success"], selected
    repeated = raw.call("designs_repeat", [token])  # the «Создать» form filled from the design, nothing charged
    assert repeated["success"] and "Шоколадный торт с ягодами" in json.dumps(repeated["output"], ensure_ascii=False)
    carded = raw.call("designs_card", [token])  # «Карточка для заказчика»: the PDF of the selected design
    assert carded["success"], carded
    card_file = carded["output"]["data"][0]
    assert json.dumps(card_file, ensure_ascii=False).count(".pdf") >= 1, card_file
    shared = raw.call("designs_share", [token])
    link = shared["output"]["data"][0]["value"]
    assert link.startswith(live_app.url + "/s/")
    page = httpx.get(link)
    assert page.status_code == 200 and "Дизайн торта" in page.text
    raw.call("designs_unshare", [token])
    assert httpx.get(link).status_code == 404

    balance_md = client.predict(token, "500", api_name="/balance_deposit")[0]
    assert "**" in balance_md
    for bad in ("10001", "1.5", "1e3", "²", ""):  # whole numbers only: nothing is rounded or read as an exponent
        assert unchanged(raw.refused("balance_deposit", [token, bad], "Сумма пополнения"))
    with live_app.services.session_factory() as session:
        assert billing.balance_of(session=session, user_id=_user_id(live_app, "chef@example.com")) == 705

    not_confirmed = raw.call("designs_delete", [token, False])
    assert not_confirmed["success"]
    deleted = raw.call("designs_delete", [token, True])
    assert deleted["success"]
    with live_app.services.session_factory() as session:
        kept = session.query(Generation).filter_by(user_id=_user_id(live_app, "chef@example.com"))
        assert kept.filter(Generation.deleted_at.is_(None)).count() == 2


def test_not_enough_credits_charges_nothing(live_app):
    client = Client(live_app.url, verbose=False, download_files=False)
    token = live_app.user("poor@example.com")  # the welcome credits only
    out = client.predict(token, "Свадебный торт", "wedding", "portrait", 4, "standard", None, "", "",
                         api_name="/create_generate")
    text = json.dumps(out, ensure_ascii=False)
    assert "Недостаточно кредитов" in text and "Ничего не списано" in text
    with live_app.services.session_factory() as session:
        user_id = _user_id(live_app, "poor@example.com")
        assert billing.balance_of(session=session, user_id=user_id) == live_app.settings.welcome_credits
        assert billing.list_transactions(session=session, user_id=user_id)[1] == 1
        assert session.query(Generation).filter_by(user_id=user_id).count() == 0


def test_blocked_user_is_refused_and_told_so(live_app, client):
    token = live_app.user("blocked@example.com", "blocked-password-1")
    admin = live_app.admin_token()
    client.predict(admin, "blocked@example.com", "", "", False, "", api_name="/admin_block")
    raw = Raw(client)
    refused = raw.call("balance_show", [token])
    assert unchanged(refused) and any("заблокирован" in log["log"] or "войдите" in log["log"]
                                      for log in refused["logs"])
    # Signing in again says why it cannot work (not «Сессия закончилась» or «Неверный пароль»).
    raw.refused("login", ["blocked@example.com", "blocked-password-1", {"guest": None}], "Аккаунт заблокирован")
    client.predict(admin, "blocked@example.com", "", "", False, "", api_name="/admin_unblock")
    token = client.predict("blocked@example.com", "blocked-password-1", {"guest": None}, api_name="/login")[0]
    assert str(live_app.settings.welcome_credits) in client.predict(token, api_name="/balance_show")[0]


def test_admin_handlers_work_for_an_admin(live_app, client):
    admin = live_app.admin_token()
    live_app.user("customer@example.com")
    user_id = _user_id(live_app, "customer@example.com")
    users = client.predict(admin, "customer", 14, api_name="/admin_overview")[0]
    assert [row[0] for row in users["data"]] == ["customer@example.com"]
    raw = Raw(client)
    # Mistakes first: nobody picked, a typed amount that is not whole; then the right call works.
    assert unchanged(raw.refused("admin_adjust", [admin, "", "25", "компенсация", False, "customer"],
                                 "Выберите пользователя"))
    raw.refused("admin_adjust", [admin, "customer@example.com", "2.5", "компенсация", False, "customer"], "целое")
    raw.refused("admin_adjust", [admin, "nobody@example.com", "25", "компенсация", False, "customer"], "не найден")
    picked = raw.call("admin_pick_user", [admin], event_data={"index": [0, 2], "value": 30,
                                                              "row_value": users["data"][0]})
    assert "customer@example.com" in json.dumps(picked["output"]["data"][0])
    client.predict(admin, "customer@example.com", "25", "компенсация", False, "customer", api_name="/admin_adjust")
    with live_app.services.session_factory() as session:
        assert billing.balance_of(session=session, user_id=user_id) == 55
    txns = client.predict(admin, "customer@example.com", "admin_adjust", api_name="/admin_transactions")
    assert txns["data"][0][1] == "customer@example.com"
    assert txns["data"][0][2] == "Корректировка" and txns["data"][0][5] == "компенсация"
    stats = client.predict(admin, 7, api_name="/admin_stats")
    assert "В очереди сейчас" in stats[0]
    plotted = Raw(client).call("admin_stats", [admin, 7])["output"]["data"][1]
    today = datetime.now(timezone.utc).date()
    expected = [(today - timedelta(days=6 - i)).strftime("%d.%m") for i in range(7)]
    assert plotted["sort"] == expected  # the axis in day order, not as text («01.12» before «18.11»)
    client.predict(admin, "", "", api_name="/admin_generations")
    raw.refused("admin_delete", [admin, live_app.settings.admin_email, "", "", True, ""], "самого себя")
    client.predict(admin, "customer@example.com", "", "", True, "", api_name="/admin_delete")
    with live_app.services.session_factory() as session:
        assert session.get(User, user_id) is None


def test_demo_then_register_claims_the_design(live_app):
    client = Client(live_app.url, verbose=False, download_files=False)
    out = client.predict({"guest": None}, "Торт с клубникой", "classic", api_name="/demo_create")
    guest = out[0]
    assert guest["guest"] and guest["claim"] and guest["id"]
    used = Raw(client).refused("demo_create", [guest, "Ещё один торт", "classic"], "уже использован")
    assert "уже использован" in json.dumps(used["output"], ensure_ascii=False)  # said next to the form too
    # A forged guest id sees nothing of this demo.
    forged = client.predict({"guest": "forged.value", "claim": None}, api_name="/demo_poll")
    assert guest["id"] not in json.dumps(forged) and forged[2] == []

    def demo_done():
        polled = client.predict(guest, api_name="/demo_poll")
        assert 'data-status="failed"' not in polled[1]
        return polled if 'data-status="succeeded"' in polled[1] else None

    polled = wait_until(demo_done, timeout=JOB_DEADLINE, interval=0.3, message="the demo design did not finish")
    assert len(polled[2]) == 1

    result = client.predict("guest@example.com", "guest-password-1", guest, api_name="/register")
    assert result[1]["claimed"] is True
    with live_app.services.session_factory() as session:
        generation = session.get(Generation, guest["id"])
        assert generation.user_id == _user_id(live_app, "guest@example.com")


def test_launch_options_and_upload_limit(live_app):
    options = launch_options(live_app.settings)
    assert options["ssr_mode"] is False and options["run_history"] is False
    assert options["max_file_size"] == live_app.settings.max_upload_bytes
    assert options["allowed_paths"] == []
    too_big = b"\x89PNG" + b"0" * (live_app.settings.max_upload_bytes + 1)
    response = httpx.post(f"{live_app.url}/gradio_api/upload", files={"files": ("big.png", too_big, "image/png")})
    assert response.status_code == 401  # issue 10: no uploads without a session
    email = f"uploader-{id(response)}@example.com"
    httpx.post(f"{live_app.url}/api/auth/register", json={"email": email, "password": "upload-pass-1"})
    token = httpx.post(f"{live_app.url}/api/auth/login", json={"email": email, "password": "upload-pass-1"}
                       ).json()["access_token"]
    response = httpx.post(f"{live_app.url}/gradio_api/upload", files={"files": ("big.png", too_big, "image/png")},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 413  # signed in, but too big: refused by its declared length
    # Nothing under the data folder (database, images) is served as a Gradio file.
    database = live_app.settings.data_dir.resolve() / "tortodelova.db"
    assert httpx.get(f"{live_app.url}/gradio_api/file={database}").status_code in (403, 404)
    assert isinstance(build_ui(live_app.services), gr.Blocks)


def _user_id(live_app, email: str) -> int:
    with live_app.services.session_factory() as session:
        return session.query(User.id).filter_by(email=email).scalar()


def test_sign_out_revokes_the_token_on_the_server(live_app, client):
    token = live_app.user("leaving@example.com")
    assert str(live_app.settings.welcome_credits) in client.predict(token, api_name="/balance_show")[0]
    client.predict(token, {"guest": None}, api_name="/logout")
    Raw(client).refused("balance_show", [token], "войдите")
    me = httpx.get(f"{live_app.url.rstrip('/')}/api/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 401


def test_page_is_russian_before_any_script(live_app):
    """The HTML itself (what a screen reader, a search engine or a messenger preview reads) is the Russian site's,
    not Gradio's template with lang="en" and the Gradio card."""
    page = httpx.get(f"{live_app.url}/")
    head = page.text[:4000]
    assert page.status_code == 200 and '<html lang="ru"' in head and 'lang="en"' not in head
    assert 'property="og:site_name" content="Тортоделова"' in head
    assert "Gradio" not in head and "gradio-app/gradio" not in head
    assert int(page.headers["content-length"]) == len(page.content)


def test_create_from_a_customer_photo(live_app, tmp_path):
    """«Фото-образец» in «Дополнительно» of «Создать»: the design starts from the uploaded photo (img2img), with
    the strength from the slider; without a photo the same form makes a text-only design."""
    from gradio_client import handle_file
    from PIL import Image

    token = live_app.user("photo-chef@example.com", credits=100)
    # The edge lets only a signed-in caller upload to Gradio: gradio_client sends the bearer header with its upload.
    client = Client(live_app.url, verbose=False, download_files=False, headers={"Authorization": f"Bearer {token}"})
    photo = tmp_path / "customer.jpg"
    Image.new("RGB", (320, 240), (210, 120, 150)).save(photo, format="JPEG")
    out = client.predict(token, "Такой же торт, но с ягодами", "classic", "square", 1, "fast", "", "", "",
                         handle_file(str(photo)), 0.4, api_name="/create_generate")
    assert 'data-status="queued"' in out[0] or 'data-status="running"' in out[0]
    assert 'data-status="succeeded"' in wait_for_job(client, token)[0]
    with live_app.services.session_factory() as session:
        generation = session.query(Generation).filter_by(user_id=_user_id(live_app, "photo-chef@example.com")).one()
        assert generation.init_upload_id is not None and generation.strength == pytest.approx(0.4)
        assert generation.init_generation_id is None

    client.predict(token, "Шоколадный торт", "classic", "square", 1, "fast", "", "", "", None, 0.4,
                   api_name="/create_generate")
    with live_app.services.session_factory() as session:
        plain = (session.query(Generation).filter_by(user_id=_user_id(live_app, "photo-chef@example.com"))
                 .filter(Generation.prompt_ru == "Шоколадный торт").one())
        assert plain.init_upload_id is None and plain.strength is None


def test_profile_from_the_account_header(live_app, client):
    """«Профиль» in the header: the name and contact the customer card prints, saved through the profile service."""
    token = live_app.user("header-profile@example.com", credits=10)
    raw = Raw(client)
    saved = raw.call("profile_save_header", [token, "Кондитерская «Ваниль»", "@vanil_cakes"])
    assert saved["success"], saved
    opened = raw.call("profile_open", [token])
    assert opened["success"], opened
    text = json.dumps(opened["output"], ensure_ascii=False)
    assert "Кондитерская «Ваниль»" in text and "@vanil_cakes" in text
    with live_app.services.session_factory() as session:
        user = session.get(User, _user_id(live_app, "header-profile@example.com"))
        assert (user.display_name, user.contact) == ("Кондитерская «Ваниль»", "@vanil_cakes")


def test_my_terms_from_the_profile(live_app, client):
    """«Мои термины» in «Профиль»: one term a line, saved through the terms service, hers only; a bad line is refused
    in Russian and changes nothing."""
    from tortodelova.terms import service as terms

    token = live_app.user("terms@example.com", credits=10)
    other = live_app.user("terms-other@example.com", credits=10)
    raw = Raw(client)
    text = "вишнёвая поляна = Cherry Glade chocolate cake\n\n фирменный медовик =  signature honey cake "
    saved = raw.call("terms_save", [token, text])
    assert saved["success"], saved
    shown = json.dumps(saved["output"], ensure_ascii=False)
    assert "вишнёвая поляна = Cherry Glade chocolate cake\\nфирменный медовик = signature honey cake" in shown
    assert "Сохранено терминов: **2**" in shown
    opened = json.dumps(raw.call("terms_open", [token])["output"], ensure_ascii=False)
    assert "Cherry Glade chocolate cake" in opened
    assert "Cherry Glade" not in json.dumps(raw.call("terms_open", [other])["output"], ensure_ascii=False)
    assert unchanged(raw.refused("terms_save", [token, "вишнёвая поляна Cherry Glade"], "нужен знак «=»"))
    assert unchanged(raw.refused("terms_save", [token, "медовик = медовый торт"], "латинские буквы"))
    with live_app.services.session_factory() as session:
        assert terms.get_terms(session=session, user_id=_user_id(live_app, "terms@example.com")) == [
            {"ru": "вишнёвая поляна", "en": "Cherry Glade chocolate cake"},
            {"ru": "фирменный медовик", "en": "signature honey cake"}]


def test_admin_sees_the_words_missing_from_the_glossary(live_app, client):
    from tortodelova.terms import misses

    with live_app.services.session_factory() as session:
        misses.record(session=session, lemmas=["курабье", "топинамбур"])
        misses.record(session=session, lemmas=["курабье"])
    table = client.predict(live_app.admin_token(), api_name="/admin_glossary_misses")
    assert table["headers"][:2] == ["Слово (начальная форма)", "Сколько раз"]
    assert [row[:2] for row in table["data"]][:2] == [["курабье", 2], ["топинамбур", 1]]


def test_account_lifecycle_handlers(live_app, client):
    """Issue 21 through the UI's own handlers: the address status, a reset asked for (the same note for an unknown
    address), the admin's one-time link (audited), logout everywhere, a refused then a right account deletion."""
    token = live_app.user("lifecycle-ui@example.com", "lifecycle-pass-1")
    raw = Raw(client)
    status = json.dumps(raw.call("account_status", [token])["output"], ensure_ascii=False)
    assert "не подтверждён" in status
    notes = [json.dumps(raw.call("password_reset_request", [email])["output"]["data"], ensure_ascii=False)
             for email in ("lifecycle-ui@example.com", "nobody-ui@example.com")]
    assert notes[0] == notes[1] and "Если такой адрес зарегистрирован" in notes[0]
    admin = live_app.admin_token()
    raw.refused("admin_reset_link", [admin, ""], "Выберите пользователя")
    handed = json.dumps(raw.call("admin_reset_link", [admin, "lifecycle-ui@example.com"])["output"]["data"],
                        ensure_ascii=False)
    assert "/reset?token=" in handed and "Журнал администратора" in handed
    assert "lifecycle-ui@example.com" in handed
    raw.refused("account_delete", [token, "wrong-password", None], "Неверный пароль")
    second = live_app.token("lifecycle-ui@example.com", "lifecycle-pass-1")
    assert raw.call("account_logout_everywhere", [second, None])["success"]
    raw.refused("account_status", [token], "войд")  # every session ended, the other device's too
    third = live_app.token("lifecycle-ui@example.com", "lifecycle-pass-1")
    assert raw.call("account_delete", [third, "lifecycle-pass-1", None])["success"]
    with live_app.services.session_factory() as session:
        assert accounts.get_by_email(session=session, email="lifecycle-ui@example.com") is None


def test_selections_through_the_gradio_api(live_app, client):
    """A chef's selection from «Мои дизайны»: create, the customer's answer, the badge (only for its owner), the
    answer line, agree; another chef can neither read nor act on it nor put foreign designs into their own."""
    from tests.selections.factories import make_design

    token = live_app.user("sel-chef@example.com")
    other = live_app.user("sel-other@example.com")
    chef_id = _user_id(live_app, "sel-chef@example.com")
    ids = [make_design(live_app.services, chef_id, variants=1, prompt=f"Торт {n}") for n in range(2)]
    raw = Raw(client)
    raw.call("selections_show", [token, None])  # the tick boxes get their choices, as when the tab opens

    created = raw.call("selections_create", [token, [0, 1], "Юбилей <b>Ольги</b>", "", 7])  # positions of the boxes
    assert created["success"] and not unchanged(created), created
    html = [v for v in created["output"]["data"] if isinstance(v, str) and v.startswith("<div")]
    assert len(html) == 2  # the list and the picked selection (a dropdown's labels are text, not HTML)
    assert all("Юбилей &lt;b&gt;Ольги&lt;/b&gt;" in part and "<b>Ольги" not in part for part in html)
    link = next(v["value"] for v in created["output"]["data"] if isinstance(v, dict)
                and str(v.get("value", "")).startswith(live_app.url + "/c/"))
    with live_app.services.session_factory() as session:
        from tortodelova.selections.models import Selection, SelectionItem

        selection_id = session.query(Selection.id).filter_by(user_id=chef_id).scalar()
        order = [i.generation_id for i in session.query(SelectionItem).filter_by(selection_id=selection_id)
                 .order_by(SelectionItem.position)]
    assert sorted(order) == sorted(ids)
    answer = httpx.post(f"{link}/choice", json={"generation_id": ids[1], "comment": "Этот, но розовый"})
    assert answer.status_code == 200, answer.text

    badge = raw.call("selections_badge", [token])
    assert "новых ответов: 1" in json.dumps(badge["output"], ensure_ascii=False)
    for stranger in (other, SIGNED_OUT, *forged_tokens(live_app)):
        assert unchanged(raw.call("selections_badge", [stranger])) or \
            "новых ответов" not in json.dumps(raw.call("selections_badge", [stranger])["output"], ensure_ascii=False)
    shown = json.dumps(raw.call("selections_show", [token, None])["output"], ensure_ascii=False)
    assert f"Заказчик выбрал вариант {order.index(ids[1]) + 1}" in shown and "Этот, но розовый" in shown
    assert "новых ответов" not in json.dumps(raw.call("selections_badge", [token])["output"], ensure_ascii=False)

    for api_name in ("selections_pick", "selections_agree", "selections_revoke", "selections_similar",
                     "selections_lettering"):
        assert unchanged(raw.refused(api_name, [other, selection_id], "не найдена")), api_name
    # Another chef's call in this session (its tick boxes list the first chef's designs): still only their own.
    assert unchanged(raw.refused("selections_create", [other, [0], "Чужие", "", 0], "только свои"))
    raw.call("selections_show", [token, None])
    assert unchanged(raw.refused("selections_create", [token, [], "Пусто", "", 0], "от 1 до 12"))

    agreed = raw.call("selections_agree", [token, selection_id])
    assert "согласовано" in json.dumps(agreed["output"], ensure_ascii=False)
    assert httpx.post(f"{link}/choice", json={"generation_id": ids[0]}).status_code == 409
    lettering = raw.call("selections_lettering", [token, selection_id])
    assert lettering["success"] and ids[1] in json.dumps(lettering["output"])
    # «Похожий дизайн» on the chosen picture: the «Создать» handler, charged like any variation.
    similar = raw.call("selections_similar", [token, selection_id])
    assert similar["success"] and "data-status" in json.dumps(similar["output"]), similar["logs"]
    with live_app.services.session_factory() as session:
        variation = session.query(Generation).filter_by(user_id=chef_id, init_generation_id=ids[1]).one()
        assert variation.init_index == 0 and variation.variants == 1


def test_load_example_with_no_or_a_foreign_example_changes_nothing(live_app):
    """Issue 18: `load_example` through /gradio_api/run/predict with [null] answered 500 (gr.Examples' own handler
    unpacked None). Every value but a shown example's index now leaves «Описание» as it is."""
    config = httpx.get(f"{live_app.url}/config").json()
    index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "load_example")
    for bad in (None, 999, -1, "0", [0], True, {"index": 0}):
        r = httpx.post(f"{live_app.url}/gradio_api/run/predict",
                       json={"data": [bad], "fn_index": index, "session_hash": "examples"}, timeout=10)
        assert r.status_code == 200, (bad, r.status_code, r.text[:200])
        assert unchanged({"output": r.json()}), (bad, r.json())
    r = httpx.post(f"{live_app.url}/gradio_api/run/predict",
                   json={"data": [1], "fn_index": index, "session_hash": "examples"}, timeout=10)
    assert r.status_code == 200 and "Шоколадный торт" in json.dumps(r.json(), ensure_ascii=False)


def test_card_clicks_leave_no_temp_folders(live_app, tmp_path, monkeypatch):
    """Issue 18: every «Карточка» click left a tortodelova-card-* folder in /tmp (20 clicks, 20 folders). The card
    is written straight into Gradio's cache, which is swept by age."""
    import tempfile

    from gradio.utils import get_upload_folder

    from tortodelova.ui import card as card_ui
    from tortodelova.ui.common import Ctx

    token = live_app.user("cards@example.com", credits=100)
    with live_app.services.session_factory() as session:
        user = session.query(User).filter_by(email="cards@example.com").one()
        generation = Generation(user_id=user.id, status="succeeded", prompt_ru="торт", style="classic",
                                size="square", width=512, height=512, variants=1, quality="fast", seeds=[1],
                                cost=0, image_keys=[f"users/{user.id}/card/0.png"])
        session.add(generation)
        session.commit()
        generation_id = generation.id
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (512, 512), (240, 200, 210)).save(buffer, format="PNG")
    live_app.services.store.put(f"users/{user.id}/card/0.png", buffer.getvalue())
    before = set(Path(tempfile.gettempdir()).glob("tortodelova-card-*"))
    paths = []
    for fmt in ("pdf", "png", "pdf"):
        with live_app.services.session_factory() as session:
            ctx = Ctx(services=live_app.services, session=session, user=session.merge(user), token=token,
                      request=None)
            paths.append(card_ui.card(ctx, generation_id, fmt=fmt))
    assert set(Path(tempfile.gettempdir()).glob("tortodelova-card-*")) == before
    cache = Path(get_upload_folder()).resolve()
    assert all(Path(p).resolve().is_relative_to(cache) and Path(p).stat().st_size > 0 for p in paths), paths
    assert token


def test_draft_then_refine_it_in_standard(live_app):
    """«Черновик» (issue 20): priced at 3 credits a square image, two 1-step images; «Доработать: качественно» on the
    selected one makes one standard image from it with its seed, charged at the standard price."""
    client = Client(live_app.url, verbose=False, download_files=False)
    live_app.user("drafter@example.com", "drafter-password-1", credits=100)
    token = client.predict("drafter@example.com", "drafter-password-1", {"guest": None}, api_name="/login")[0]
    assert "6 кредитов" in client.predict("square", "draft", 2, api_name="/price")

    client.predict(token, "Торт с малиной и безе", "classic", "square", 2, "draft", "314", "", "",
                   api_name="/create_generate")
    status_html, gallery = wait_for_job(client, token)[:2]
    assert 'data-status="succeeded"' in status_html and len(gallery) == 2
    user_id = _user_id(live_app, "drafter@example.com")
    with live_app.services.session_factory() as session:
        draft = session.query(Generation).filter_by(user_id=user_id).one()
        assert (draft.quality, draft.cost, draft.seeds) == ("draft", 6, [314, 315])

    client.predict(token, api_name="/create_refine_standard")
    status_html, gallery = wait_for_job(client, token)[:2]
    assert 'data-status="succeeded"' in status_html and len(gallery) == 1
    with live_app.services.session_factory() as session:
        refined = session.query(Generation).filter_by(user_id=user_id).filter(Generation.id != draft.id).one()
        assert (refined.quality, refined.cost, refined.seeds, refined.init_generation_id, refined.init_index,
                refined.strength) == ("standard", 10, [314], draft.id, 0, 0.5)  # fmt: skip
        assert refined.prompt_ru == draft.prompt_ru and refined.style == draft.style
        assert billing.balance_of(session=session, user_id=user_id) == 130 - 6 - 10
