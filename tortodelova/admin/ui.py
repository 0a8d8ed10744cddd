"""The «Админ» tab. Hidden from other users, but that is only cosmetics: every handler verifies the token and the
admin service checks the role again, so calling these events through the Gradio API as a normal user fails."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd

from tortodelova.admin import service as admin_service
from tortodelova.billing.service import KIND_TITLES
from tortodelova.generation.service import STATUS_TITLES
from tortodelova.services import Services
from tortodelova.ui.common import db, fmt_date, handler, notify, require_user, whole

PAGE_SIZE = 20
USER_COLUMNS = ["ID", "Email", "Роль", "Баланс", "Дизайнов", "Заблокирован", "Зарегистрирован"]
GENERATION_COLUMNS = ["Дата", "ID", "Пользователь", "Статус", "Описание", "Стоимость", "Ошибка"]
TRANSACTION_COLUMNS = ["Дата", "Пользователь", "Операция", "Сумма", "Баланс после", "Описание"]
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
    user_id: gr.Number
    amount: gr.Number
    reason: gr.Textbox
    adjust_btn: gr.Button
    block_btn: gr.Button
    unblock_btn: gr.Button
    confirm_delete: gr.Checkbox
    delete_btn: gr.Button
    gen_status: gr.Dropdown
    gen_user: gr.Number
    generations: gr.Dataframe
    gen_btn: gr.Button
    txn_user: gr.Number
    txn_kind: gr.Dropdown
    transactions: gr.Dataframe
    txn_btn: gr.Button
    days: gr.Slider
    stats_btn: gr.Button
    queue_md: gr.Markdown
    activity_plot: gr.LinePlot
    credits_plot: gr.BarPlot
    users_plot: gr.BarPlot


def layout() -> AdminTab:
    with gr.Tabs(overflow_behavior="wrap"):
        with gr.Tab("Пользователи", id="admin-users-tab"):
            with gr.Row():
                search = gr.Textbox(label="Поиск по email", scale=3, elem_id="admin-search")
                users_prev = gr.Button("←", size="sm", scale=0, elem_id="admin-users-prev")
                users_label = gr.Markdown("", elem_id="admin-users-page")
                users_next = gr.Button("→", size="sm", scale=0, elem_id="admin-users-next")
            users = gr.Dataframe(pd.DataFrame(columns=USER_COLUMNS), interactive=False, wrap=True,
                                 elem_classes=["td-table"],
                                 elem_id="admin-users")
            with gr.Group():
                with gr.Row():
                    user_id = gr.Number(label="ID пользователя", precision=0, elem_id="admin-user-id")
                    amount = gr.Number(label="Изменить баланс на (±)", precision=0, elem_id="admin-amount")
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
        with gr.Tab("Дизайны", id="admin-generations-tab"):
            with gr.Row():
                gen_status = gr.Dropdown([("Все", "")] + [(t, s) for s, t in STATUS_TITLES.items()], value="",
                                         label="Статус", elem_id="admin-gen-status")
                gen_user = gr.Number(label="ID пользователя (пусто — все)", precision=0, elem_id="admin-gen-user")
                gen_btn = gr.Button("Показать", size="sm", elem_id="admin-gen-show")
            generations = gr.Dataframe(pd.DataFrame(columns=GENERATION_COLUMNS), interactive=False, wrap=True,
                                       elem_classes=["td-table"],
                                       elem_id="admin-generations")
        with gr.Tab("Операции", id="admin-transactions-tab"):
            with gr.Row():
                txn_user = gr.Number(label="ID пользователя (пусто — все)", precision=0, elem_id="admin-txn-user")
                txn_kind = gr.Dropdown([("Все", "")] + [(t, k) for k, t in KIND_TITLES.items()], value="",
                                       label="Операция", elem_id="admin-txn-kind")
                txn_btn = gr.Button("Показать", size="sm", elem_id="admin-txn-show")
            transactions = gr.Dataframe(pd.DataFrame(columns=TRANSACTION_COLUMNS), interactive=False, wrap=True,
                                        elem_classes=["td-table"],
                                        elem_id="admin-transactions")
        with gr.Tab("Статистика", id="admin-stats-tab"):
            with gr.Row():
                days = gr.Slider(1, 90, value=14, step=1, label="Дней", elem_id="admin-days")
                stats_btn = gr.Button("Обновить", size="sm", elem_id="admin-stats-show")
            queue_md = gr.Markdown(elem_id="admin-queue")
            activity_plot = gr.LinePlot(x="День", y="Количество", color="Показатель",
                                        title="Дизайны и ошибки по дням", y_lim=[0, None],
                                        elem_id="admin-activity-plot")
            credits_plot = gr.BarPlot(x="День", y="Кредиты", title="Списано кредитов (за вычетом возвратов)",
                                      y_lim=[0, None], elem_id="admin-credits-plot")
            users_plot = gr.BarPlot(x="День", y="Пользователи", title="Новые пользователи", y_lim=[0, None],
                                    elem_id="admin-users-plot")
    return AdminTab(search=search, users=users, users_page=gr.State(0), users_label=users_label,
                    users_prev=users_prev, users_next=users_next, user_id=user_id, amount=amount, reason=reason,
                    adjust_btn=adjust_btn, block_btn=block_btn, unblock_btn=unblock_btn,
                    confirm_delete=confirm_delete, delete_btn=delete_btn, gen_status=gen_status, gen_user=gen_user,
                    generations=generations, gen_btn=gen_btn, txn_user=txn_user, txn_kind=txn_kind,
                    transactions=transactions, txn_btn=txn_btn, days=days, stats_btn=stats_btn, queue_md=queue_md,
                    activity_plot=activity_plot, credits_plot=credits_plot, users_plot=users_plot)


def _user_filter(value):
    value = whole(value)
    return None if value in (None, "", 0) else value


def users_view(tab: AdminTab, session, admin, q, page) -> dict:
    page = max(0, int(page or 0))
    items, total = admin_service.list_users(session=session, admin=admin, q=q or None, limit=PAGE_SIZE,
                                            offset=page * PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    rows = [[u["id"], u["email"], "админ" if u["role"] == "admin" else "пользователь", u["balance"],
             u["generations"], "да" if not u["is_active"] else "нет", fmt_date(u["created_at"])] for u in items]
    return {tab.users: pd.DataFrame(rows, columns=USER_COLUMNS), tab.users_page: page,
            tab.users_label: f"Стр. {page + 1} из {pages} · всего {total}",
            tab.users_prev: gr.Button(interactive=page > 0), tab.users_next: gr.Button(interactive=page + 1 < pages)}


def generations_view(tab: AdminTab, session, admin, status, user_id) -> dict:
    items, total = admin_service.list_generations(session=session, admin=admin, status=status or None,
                                                  user_id=_user_filter(user_id), limit=100)
    rows = [[fmt_date(g.created_at), g.id[:8], g.user_id if g.user_id is not None else "гость",
             STATUS_TITLES.get(g.status, g.status), g.prompt_ru[:80], g.cost, g.error or ""] for g in items]
    return {tab.generations: pd.DataFrame(rows, columns=GENERATION_COLUMNS)}


def transactions_view(tab: AdminTab, session, admin, user_id, kind) -> dict:
    items, total = admin_service.list_transactions(session=session, admin=admin, user_id=_user_filter(user_id),
                                                   kind=kind or None, limit=100)
    rows = [[fmt_date(t.created_at), t.user_id, KIND_TITLES.get(t.kind, t.kind), f"{t.amount:+d}", t.balance_after,
             t.description] for t in items]
    return {tab.transactions: pd.DataFrame(rows, columns=TRANSACTION_COLUMNS)}


def stats_view(tab: AdminTab, session, admin, days) -> dict:
    stats = admin_service.stats(session=session, admin=admin, days=whole(days))
    # "27.11" reads better than an ISO date under narrow bars; the rows keep their day order.
    table = [{**d, "day": f"{d['day'][8:10]}.{d['day'][5:7]}"} for d in stats["days"]]
    activity = pd.DataFrame(
        [{"День": d["day"], "Показатель": STAT_TITLES[key], "Количество": d[key]}
         for d in table for key in ("generations", "failures")]
    )
    credits = pd.DataFrame([{"День": d["day"], "Кредиты": d["credits_charged"]} for d in table])
    new_users = pd.DataFrame([{"День": d["day"], "Пользователи": d["new_users"]} for d in table])
    return {tab.queue_md: f"В очереди сейчас: **{stats['queue_depth']}** · выполняется: **{stats['running']}**",
            tab.activity_plot: activity, tab.credits_plot: credits, tab.users_plot: new_users}


def wire(tab: AdminTab, services: Services, token: gr.BrowserState, admin_tab: gr.Tab) -> None:
    users_outputs = [tab.users, tab.users_page, tab.users_label, tab.users_prev, tab.users_next]
    stats_outputs = [tab.queue_md, tab.activity_plot, tab.credits_plot, tab.users_plot]

    @handler
    def overview(token_value, q, days):
        with db(services) as session:
            admin = require_user(session, services, token_value)
            return {**users_view(tab, session, admin, q, 0), **stats_view(tab, session, admin, days)}

    def users_page(step: int):
        @handler
        def show(token_value, q, page):
            with db(services) as session:
                admin = require_user(session, services, token_value)
                return users_view(tab, session, admin, q, (0 if step is None else int(page or 0) + step))

        return show

    def user_action(action):
        @handler
        def run(token_value, user_id, amount, reason, confirmed, q, page):
            with db(services) as session:
                admin = require_user(session, services, token_value)
                message = action(session, admin, whole(user_id), whole(amount), reason, confirmed)
                notify(message)
                return users_view(tab, session, admin, q, page)

        run.__name__ = action.__name__
        return run

    def adjust(session, admin, user_id, amount, reason, _confirmed):
        user = admin_service.adjust_balance(session=session, admin=admin, user_id=user_id, amount=amount,
                                            reason=reason)
        return f"Баланс {user.email}: {user.balance}"

    def block(session, admin, user_id, _amount, _reason, _confirmed):
        user = admin_service.set_active(session=session, admin=admin, user_id=user_id, active=False)
        return f"{user.email} заблокирован"

    def unblock(session, admin, user_id, _amount, _reason, _confirmed):
        user = admin_service.set_active(session=session, admin=admin, user_id=user_id, active=True)
        return f"{user.email} разблокирован"

    def delete(session, admin, user_id, _amount, _reason, confirmed):
        admin_service.require_admin(admin)
        if not confirmed:
            return "Отметьте подтверждение, чтобы удалить пользователя"
        admin_service.delete_user(session=session, store=services.store, admin=admin, user_id=user_id)
        return f"Пользователь {user_id} удалён"

    @handler
    def generations(token_value, status, user_id):
        with db(services) as session:
            admin = require_user(session, services, token_value)
            return generations_view(tab, session, admin, status, user_id)

    @handler
    def transactions(token_value, user_id, kind):
        with db(services) as session:
            admin = require_user(session, services, token_value)
            return transactions_view(tab, session, admin, user_id, kind)

    @handler
    def stats(token_value, days):
        with db(services) as session:
            admin = require_user(session, services, token_value)
            return stats_view(tab, session, admin, days)

    admin_tab.select(overview, [token, tab.search, tab.days], users_outputs + stats_outputs,
                     api_name="admin_overview")
    gr.on([tab.search.submit], users_page(None), [token, tab.search, tab.users_page], users_outputs,
          api_name="admin_users")
    tab.users_prev.click(users_page(-1), [token, tab.search, tab.users_page], users_outputs,
                         api_name="admin_users_prev")
    tab.users_next.click(users_page(+1), [token, tab.search, tab.users_page], users_outputs,
                         api_name="admin_users_next")
    action_inputs = [token, tab.user_id, tab.amount, tab.reason, tab.confirm_delete, tab.search, tab.users_page]
    for button, action in ((tab.adjust_btn, adjust), (tab.block_btn, block), (tab.unblock_btn, unblock),
                           (tab.delete_btn, delete)):
        button.click(user_action(action), action_inputs, users_outputs, api_name=f"admin_{action.__name__}")
    tab.gen_btn.click(generations, [token, tab.gen_status, tab.gen_user], [tab.generations],
                      api_name="admin_generations")
    tab.txn_btn.click(transactions, [token, tab.txn_user, tab.txn_kind], [tab.transactions],
                      api_name="admin_transactions")
    tab.stats_btn.click(stats, [token, tab.days], stats_outputs, api_name="admin_stats")
