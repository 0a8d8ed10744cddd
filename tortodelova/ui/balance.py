"""«Баланс»: the balance, a top-up form (1..10000) and the ledger with Russian operation names."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd

from tortodelova.accounts.models import User
from tortodelova.billing import service as billing
from tortodelova.services import Services
from tortodelova.ui import render
from tortodelova.ui.common import db, fmt_date, handler, notify, plural_credits, require_user, whole

HISTORY_LIMIT = 50
COLUMNS = ["Дата", "Операция", "Сумма", "Баланс после", "Описание"]


@dataclass
class BalanceTab:
    balance: gr.Markdown
    amount: gr.Number
    deposit_btn: gr.Button
    history: gr.Dataframe


def layout() -> BalanceTab:
    balance = gr.Markdown("Войдите, чтобы увидеть баланс.", elem_id="balance-value", elem_classes=["td-balance-big"])
    with gr.Row(equal_height=True):
        amount = gr.Number(value=100, label=f"Сумма пополнения, кредитов ({billing.DEPOSIT_MIN}–"
                                            f"{billing.DEPOSIT_MAX})", precision=0, elem_id="balance-amount")
        deposit_btn = gr.Button("Пополнить", variant="primary", elem_id="balance-deposit")
    history = gr.Dataframe(pd.DataFrame(columns=COLUMNS), label="История операций", interactive=False, wrap=True,
                           elem_classes=["td-table"],
                           elem_id="balance-history")
    return BalanceTab(balance=balance, amount=amount, deposit_btn=deposit_btn, history=history)


def outputs(tab: BalanceTab) -> list:
    return [tab.balance, tab.history]


def signed_out_view(tab: BalanceTab) -> dict:
    return {tab.balance: "Войдите, чтобы увидеть баланс.", tab.history: pd.DataFrame(columns=COLUMNS)}


def view(tab: BalanceTab, session, user: User) -> dict:
    items, total = billing.list_transactions(session=session, user_id=user.id, limit=HISTORY_LIMIT)
    rows = [[fmt_date(t.created_at), billing.KIND_TITLES.get(t.kind, t.kind), f"{t.amount:+d}", t.balance_after,
             t.description] for t in items]
    shown = f" (последние {HISTORY_LIMIT} из {total})" if total > HISTORY_LIMIT else ""
    return {tab.balance: f"На балансе: **{plural_credits(user.balance)}**{shown}",
            tab.history: pd.DataFrame(rows, columns=COLUMNS)}


def wire(tab: BalanceTab, services: Services, token: gr.BrowserState, header: gr.HTML,
         balance_tab: gr.Tab) -> None:
    @handler
    def show(token_value):
        with db(services) as session:
            user = require_user(session, services, token_value)
            return {**view(tab, session, user), header: render.header_html(user)}

    @handler
    def deposit(token_value, amount):
        with db(services) as session:
            user = require_user(session, services, token_value)
            billing.deposit(session=session, user=user, amount=whole(amount))
            notify(f"Баланс пополнен: {plural_credits(user.balance)}")
            return {**view(tab, session, user), header: render.header_html(user)}

    balance_tab.select(show, [token], [*outputs(tab), header], api_name="balance_show", show_progress="hidden")
    tab.deposit_btn.click(deposit, [token, tab.amount], [*outputs(tab), header], api_name="balance_deposit")
