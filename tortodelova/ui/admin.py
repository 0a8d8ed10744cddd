"""The «Админ» tab. Hidden from other users, but that is only cosmetics: every handler verifies the token and the
role (`bind(auth="admin")`) and the admin service checks the role again, so calling these events through the Gradio
API as a normal user changes nothing. Users are picked by e-mail (search, then a click on a row), never by id."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd
from sqlalchemy import select

from tortodelova.accounts import service as accounts
from tortodelova.accounts.models import User
from tortodelova.admin import service as admin_service
from tortodelova.billing.service import KIND_TITLES
from tortodelova.container import Services
from tortodelova.errors import InvalidInput, NotFound
from tortodelova.generation.service import STATUS_TITLES
from tortodelova.ui.common import Ctx, bind, esc, fmt_date, notify, plural_credits, warn, whole

PAGE_SIZE = 20
USER_COLUMNS = ["Почта", "Роль", "Баланс", "Дизайнов", "Заблокирован", "Зарегистрирован"]
GENERATION_COLUMNS = ["Дата", "Пользователь", "Статус", "Описание", "Стоимость", "Ошибка", "Номер"]
TRANSACTION_COLUMNS = ["Дата", "Пользователь", "Операция", "Сумма", "Баланс после", "Описание"]
MISS_COLUMNS = ["Слово (начальная форма)", "Сколько раз", "Впервые", "Последний раз"]
STAT_TITLES = {"generations": "Дизайны", "failures": "Ошибки", "credits_charged": "Списано кредитов",
               "new_users": "Новые пользователи"}


@dataclass
class AdminTab:
    search: gr.Textbox
    users: gr.Dataframe
    users_page: gr.State
    users_label: gr.Markdown
    users_prev: gr.Button
    users_next: gr.Button
    target: gr.Textbox
    amount: gr.Number
    reason: gr.Textbox
    adjust_btn: gr.Button
    block_btn: gr.Button
    unblock_btn: gr.Button
    confirm_delete: gr.Checkbox
    delete_btn: gr.Button
    gen_status: gr.Dropdown
    gen_user: gr.Textbox
    generations: gr.Dataframe
    gen_btn: gr.Button
    txn_user: gr.Textbox
    txn_kind: gr.Dropdown
    transactions: gr.Dataframe
    txn_btn: gr.Button
    days: gr.Slider
    stats_btn: gr.Button
    queue_md: gr.Markdown
    activity_plot: gr.LinePlot
    credits_plot: gr.BarPlot
    users_plot: gr.BarPlot
    reset_btn: gr.Button  # issue 21: a one-time reset link to hand over (the admin never sees a password)
    reset_url: gr.Textbox
    audit_md: gr.Markdown
    misses: gr.Dataframe | None = None
    misses_btn: gr.Button | None = None


def layout() -> AdminTab:
    with gr.Tabs(overflow_behavior="wrap"):
        with gr.Tab("Пользователи", id="admin-users-tab"):
            with gr.Row(elem_classes=["td-pager"]):
                search = gr.Textbox(label="Поиск по почте", scale=3, elem_id="admin-search",
                                    placeholder="часть адреса — и клавиша ввода")
                users_prev = gr.Button("←", size="sm", scale=0, elem_id="admin-users-prev")
                users_label = gr.Markdown("", elem_id="admin-users-page")
                users_next = gr.Button("→", size="sm", scale=0, elem_id="admin-users-next")
            users = gr.Dataframe(pd.DataFrame(columns=USER_COLUMNS), interactive=False, wrap=True, buttons=[],
                                 label="Пользователи — нажмите на строку, чтобы выбрать", elem_classes=["td-table"],
                                 elem_id="admin-users")
            with gr.Group():
                with gr.Row():
                    target = gr.Textbox(label="Пользователь (почта)", elem_id="admin-target",
                                        placeholder="нажмите на строку таблицы")
                    amount = gr.Textbox(label="Изменить баланс на (±, целое)", max_length=8, elem_id="admin-amount")
                    reason = gr.Textbox(label="Причина (попадёт в историю)", elem_id="admin-reason")
                with gr.Row():
                    adjust_btn = gr.Button("Изменить баланс", variant="primary", size="sm", elem_id="admin-adjust")
                    block_btn = gr.Button("Заблокировать", size="sm", elem_id="admin-block")
                    unblock_btn = gr.Button("Разблокировать", size="sm", elem_id="admin-unblock")
                with gr.Row():
                    confirm_delete = gr.Checkbox(label="Подтверждаю удаление пользователя и его дизайнов",
                                                 elem_id="admin-confirm-delete")
                    delete_btn = gr.Button("Удалить пользователя", variant="stop", size="sm",
                                           elem_id="admin-delete")
                with gr.Row():
                    reset_btn = gr.Button("Ссылка для сброса пароля", size="sm", scale=0, elem_id="admin-reset-link")
                    reset_url = gr.Textbox(label="Одноразовая ссылка (передайте её кондитеру; действует 30 минут)",
                                           interactive=False, buttons=["copy"], elem_id="admin-reset-url")
                audit_md = gr.Markdown("", elem_id="admin-audit")
        with gr.Tab("Дизайны", id="admin-generations-tab"):
            with gr.Row():
                gen_status = gr.Dropdown([("Все", "")] + [(t, s) for s, t in STATUS_TITLES.items()], value="",
                                         label="Статус", elem_id="admin-gen-status")
                gen_user = gr.Textbox(label="Почта пользователя (пусто — все)", elem_id="admin-gen-user")
                gen_btn = gr.Button("Показать", size="sm", elem_id="admin-gen-show")
            generations = gr.Dataframe(pd.DataFrame(columns=GENERATION_COLUMNS), interactive=False, wrap=True,
                                       buttons=[], label="Дизайны (последние 100)",
                                       elem_classes=["td-table"],
                                       elem_id="admin-generations")
        with gr.Tab("Операции", id="admin-transactions-tab"):
            with gr.Row():
                txn_user = gr.Textbox(label="Почта пользователя (пусто — все)", elem_id="admin-txn-user")
                txn_kind = gr.Dropdown([("Все", "")] + [(t, k) for k, t in KIND_TITLES.items()], value="",
                                       label="Операция", elem_id="admin-txn-kind")
                txn_btn = gr.Button("Показать", size="sm", elem_id="admin-txn-show")
            transactions = gr.Dataframe(pd.DataFrame(columns=TRANSACTION_COLUMNS), interactive=False, wrap=True,
                                        buttons=[], label="Операции (последние 100)",
                                        elem_classes=["td-table"],
                                        elem_id="admin-transactions")
        with gr.Tab("Статистика", id="admin-stats-tab"):
            with gr.Row():
                days = gr.Slider(1, 90, value=14, step=1, label="Дней", buttons=[], elem_id="admin-days")
                stats_btn = gr.Button("Обновить", size="sm", elem_id="admin-stats-show")
            queue_md = gr.Markdown(elem_id="admin-queue")
            activity_plot = gr.LinePlot(x="День", y="Количество", color="Показатель",
                                        title="Дизайны и ошибки по дням", y_lim=[0, None],
                                        elem_id="admin-activity-plot")
            credits_plot = gr.BarPlot(x="День", y="Кредиты", title="Списано кредитов (за вычетом возвратов)",
                                      y_lim=[0, None], elem_id="admin-credits-plot")
            users_plot = gr.BarPlot(x="День", y="Пользователи", title="Новые пользователи", y_lim=[0, None],
                                    elem_id="admin-users-plot")
        with gr.Tab("Слова, которых нет в глоссарии", id="admin-misses-tab"):
            gr.Markdown("Слова из описаний заказов, которые не нашлись ни в глоссарии, ни в терминах кондитера, и "
                        "которые переводчик оставил транслитом или не знает. Только начальные формы слов и счёт — "
                        "без описаний и без имён; самые частые — кандидаты в глоссарий.")
            misses_btn = gr.Button("Обновить", size="sm", elem_id="admin-misses-show")
            misses = gr.Dataframe(pd.DataFrame(columns=MISS_COLUMNS), interactive=False, wrap=True, buttons=[],
                                  label="Слова, которых нет в глоссарии (первые 200)", elem_classes=["td-table"],
                                  elem_id="admin-misses")
    return AdminTab(misses=misses, misses_btn=misses_btn, search=search, users=users, users_page=gr.State(0),
                    users_label=users_label,
                    users_prev=users_prev, users_next=users_next, target=target, amount=amount, reason=reason,
                    adjust_btn=adjust_btn, block_btn=block_btn, unblock_btn=unblock_btn,
                    confirm_delete=confirm_delete, delete_btn=delete_btn, gen_status=gen_status, gen_user=gen_user,
                    generations=generations, gen_btn=gen_btn, txn_user=txn_user, txn_kind=txn_kind,
                    transactions=transactions, txn_btn=txn_btn, days=days, stats_btn=stats_btn, queue_md=queue_md,
                    activity_plot=activity_plot, credits_plot=credits_plot, users_plot=users_plot,
                    reset_btn=reset_btn, reset_url=reset_url, audit_md=audit_md)


def _user_by_email(ctx: Ctx, email, *, required: bool) -> User | None:
    text = email.strip() if isinstance(email, str) else ""
    if not text:
        if required:
            raise InvalidInput("Выберите пользователя: нажмите на строку таблицы или введите почту")
        return None
    user = accounts.get_by_email(session=ctx.session, email=text)
    if user is None:
        raise NotFound(f"Пользователь «{text}» не найден")
    return user


def _emails(ctx: Ctx, ids) -> dict[int, str]:
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}
    return dict(ctx.session.execute(select(User.id, User.email).where(User.id.in_(ids))).all())


def users_view(tab: AdminTab, ctx: Ctx, q, page) -> dict:
    page = max(0, int(page or 0))
    items, total = admin_service.list_users(session=ctx.session, admin=ctx.user, q=q or None, limit=PAGE_SIZE,
                                            offset=page * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    rows = [[u["email"], "админ" if u["role"] == "admin" else "пользователь", u["balance"], u["generations"],
             "да" if not u["is_active"] else "нет", fmt_date(u["created_at"])] for u in items]
    return {tab.users: pd.DataFrame(rows, columns=USER_COLUMNS), tab.users_page: page,
            tab.users_label: f"Стр. {page + 1} из {pages} · всего {total}",
            tab.users_prev: gr.Button(interactive=page > 0), tab.users_next: gr.Button(interactive=page + 1 < pages)}


def generations_view(tab: AdminTab, ctx: Ctx, status, email) -> dict:
    user = _user_by_email(ctx, email, required=False)
    items, _total = admin_service.list_generations(session=ctx.session, admin=ctx.user, status=status or None,
                                                   user_id=user.id if user else None, limit=100)
    emails = _emails(ctx, [g.user_id for g in items])
    rows = [[fmt_date(g.created_at), emails.get(g.user_id, "гость"), STATUS_TITLES.get(g.status, g.status),
             g.prompt_ru[:80], g.cost, g.error or "", g.id[:8]] for g in items]
    return {tab.generations: pd.DataFrame(rows, columns=GENERATION_COLUMNS)}


def transactions_view(tab: AdminTab, ctx: Ctx, email, kind) -> dict:
    user = _user_by_email(ctx, email, required=False)
    items, _total = admin_service.list_transactions(session=ctx.session, admin=ctx.user,
                                                    user_id=user.id if user else None, kind=kind or None, limit=100)
    emails = _emails(ctx, [t.user_id for t in items])
    rows = [[fmt_date(t.created_at), emails.get(t.user_id, "—"), KIND_TITLES.get(t.kind, t.kind), f"{t.amount:+d}",
             t.balance_after, t.description] for t in items]
    return {tab.transactions: pd.DataFrame(rows, columns=TRANSACTION_COLUMNS)}


def stats_view(tab: AdminTab, ctx: Ctx, days) -> dict:
    stats = admin_service.stats(session=ctx.session, admin=ctx.user, days=whole(days))
    # «27.11» reads better than an ISO date under narrow bars; the categories are given in day order, or the plot
    # sorts them as text («01.12» before «18.11»).
    table = [{**d, "day": f"{d['day'][8:10]}.{d['day'][5:7]}"} for d in stats["days"]]
    order = [d["day"] for d in table]
    activity = pd.DataFrame(
        [{"День": d["day"], "Показатель": STAT_TITLES[key], "Количество": d[key]}
         for d in table for key in ("generations", "failures")]
    )
    credits = pd.DataFrame([{"День": d["day"], "Кредиты": d["credits_charged"]} for d in table])
    new_users = pd.DataFrame([{"День": d["day"], "Пользователи": d["new_users"]} for d in table])
    return {tab.queue_md: f"В очереди сейчас: **{stats['queue_depth']}** · выполняется: **{stats['running']}**",
            tab.activity_plot: gr.LinePlot(activity, sort=order), tab.credits_plot: gr.BarPlot(credits, sort=order),
            tab.users_plot: gr.BarPlot(new_users, sort=order)}


def misses_view(tab: AdminTab, ctx: Ctx) -> dict:
    found = admin_service.glossary_misses(session=ctx.session, admin=ctx.user, limit=200, offset=0)
    rows = [[m["lemma"], m["count"], fmt_date(m["first_seen"]), fmt_date(m["last_seen"])] for m in found["items"]]
    return {tab.misses: pd.DataFrame(rows, columns=MISS_COLUMNS)}


def glossary_misses(ctx: Ctx, *, tab: AdminTab):
    return misses_view(tab, ctx)


def overview(ctx: Ctx, q, days, *, tab: AdminTab):
    return {**users_view(tab, ctx, q, 0), **stats_view(tab, ctx, days), **misses_view(tab, ctx)}


def users_page(ctx: Ctx, q, page, *, tab: AdminTab, step: int | None):
    return users_view(tab, ctx, q, 0 if step is None else int(page or 0) + step)


def pick_user(ctx: Ctx, evt: gr.SelectData, *, tab: AdminTab):
    """A click on any cell of a row picks that row's user for the actions below."""
    row = evt.row_value if isinstance(evt.row_value, list) else []
    email = row[0] if row and isinstance(row[0], str) else ""
    return email or gr.skip()


def adjust(ctx: Ctx, target, amount, reason, confirmed, q, page, *, tab: AdminTab):
    user = _user_by_email(ctx, target, required=True)
    text = amount.strip() if isinstance(amount, str) else amount
    user = admin_service.adjust_balance(session=ctx.session, admin=ctx.user, user_id=user.id, amount=text,
                                        reason=reason)
    notify(f"Баланс {user.email}: {plural_credits(user.balance)}")
    return {**users_view(tab, ctx, q, page), tab.amount: "", tab.reason: ""}


def _set_active(ctx: Ctx, tab: AdminTab, target, q, page, active: bool):
    user = _user_by_email(ctx, target, required=True)
    user = admin_service.set_active(session=ctx.session, admin=ctx.user, user_id=user.id, active=active)
    notify(f"{user.email} {'разблокирован' if active else 'заблокирован'}")
    return users_view(tab, ctx, q, page)


def block(ctx: Ctx, target, amount, reason, confirmed, q, page, *, tab: AdminTab):
    return _set_active(ctx, tab, target, q, page, False)


def unblock(ctx: Ctx, target, amount, reason, confirmed, q, page, *, tab: AdminTab):
    return _set_active(ctx, tab, target, q, page, True)


def delete(ctx: Ctx, target, amount, reason, confirmed, q, page, *, tab: AdminTab):
    user = _user_by_email(ctx, target, required=True)
    if not confirmed:
        warn("Отметьте подтверждение, чтобы удалить пользователя")
        return gr.skip()
    email = user.email
    admin_service.delete_user(session=ctx.session, store=ctx.services.store, admin=ctx.user, user_id=user.id)
    notify(f"Пользователь {email} удалён")
    return {**users_view(tab, ctx, q, page), tab.target: "", tab.confirm_delete: False}


def reset_link(ctx: Ctx, target, *, tab: AdminTab):
    """A one-time password-reset link for the chosen user, audited; the admin hands it over, never a password."""
    user = _user_by_email(ctx, target, required=True)
    url, expires_at = admin_service.password_reset_link(session=ctx.session, settings=ctx.settings, admin=ctx.user,
                                                        user_id=user.id, base_url=ctx.base)
    notify(f"Ссылка для {user.email} готова: действует до {fmt_date(expires_at)}")
    return {tab.reset_url: url, tab.audit_md: audit_text(ctx)}


def audit_text(ctx: Ctx) -> str:
    items, _total = admin_service.list_audit(session=ctx.session, admin=ctx.user, limit=5)
    if not items:
        return ""
    lines = [f"- {fmt_date(event.created_at)} · {event.actor} · {esc(event.detail)}" for event in items]
    return "**Журнал администратора** (последние действия)\n\n" + "\n".join(lines)


def generations(ctx: Ctx, status, email, *, tab: AdminTab):
    return generations_view(tab, ctx, status, email)


def transactions(ctx: Ctx, email, kind, *, tab: AdminTab):
    return transactions_view(tab, ctx, email, kind)


def stats(ctx: Ctx, days, *, tab: AdminTab):
    return stats_view(tab, ctx, days)


def wire(tab: AdminTab, services: Services, token: gr.BrowserState, admin_tab: gr.Tab) -> None:
    users_outputs = [tab.users, tab.users_page, tab.users_label, tab.users_prev, tab.users_next]
    stats_outputs = [tab.queue_md, tab.activity_plot, tab.credits_plot, tab.users_plot]
    quiet = {"show_progress": "hidden"}

    def admin(fn, **bound):
        return bind(fn, services, auth="admin", tab=tab, **bound)

    admin_tab.select(admin(overview), [token, tab.search, tab.days], users_outputs + stats_outputs + [tab.misses],
                     api_name="admin_overview", **quiet)
    page_inputs = [token, tab.search, tab.users_page]
    tab.search.submit(admin(users_page, step=None), page_inputs, users_outputs, api_name="admin_users", **quiet)
    tab.users_prev.click(admin(users_page, step=-1), page_inputs, users_outputs, api_name="admin_users_prev", **quiet)
    tab.users_next.click(admin(users_page, step=+1), page_inputs, users_outputs, api_name="admin_users_next", **quiet)
    tab.users.select(admin(pick_user), [token], [tab.target], api_name="admin_pick_user", **quiet)
    action_inputs = [token, tab.target, tab.amount, tab.reason, tab.confirm_delete, tab.search, tab.users_page]
    action_outputs = users_outputs + [tab.amount, tab.reason, tab.target, tab.confirm_delete]
    for button, action in ((tab.adjust_btn, adjust), (tab.block_btn, block), (tab.unblock_btn, unblock),
                           (tab.delete_btn, delete)):
        button.click(admin(action), action_inputs, action_outputs, api_name=f"admin_{action.__name__}", **quiet)
    tab.reset_btn.click(admin(reset_link), [token, tab.target], [tab.reset_url, tab.audit_md],
                        api_name="admin_reset_link", **quiet)
    tab.gen_btn.click(admin(generations), [token, tab.gen_status, tab.gen_user], [tab.generations],
                      api_name="admin_generations", **quiet)
    tab.txn_btn.click(admin(transactions), [token, tab.txn_user, tab.txn_kind], [tab.transactions],
                      api_name="admin_transactions", **quiet)
    tab.stats_btn.click(admin(stats), [token, tab.days], stats_outputs, api_name="admin_stats", **quiet)
    tab.misses_btn.click(admin(glossary_misses), [token], [tab.misses], api_name="admin_glossary_misses", **quiet)
