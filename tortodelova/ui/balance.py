"""«Баланс»: the balance, a top-up form (whole numbers 1..10000) and the ledger with Russian operation names.

The amount is a text field, not gr.Number: a Number rounds 1.5 to 2 and reads 1e3 as 1000 in the browser; the
service's integer parser refuses both in Russian.
"""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr
import pandas as pd

from tortodelova.billing import service as billing
from tortodelova.container import Services
from tortodelova.ui import render
from tortodelova.ui.common import Ctx, bind, fmt_date, notify, plural_credits

HISTORY_LIMIT = 50
# The amount comes second so it stays on screen on a phone.
COLUMNS = ["Дата", "Сумма", "Операция", "Баланс после", "Описание"]
SIGNED_OUT_TEXT = "Войдите, чтобы увидеть баланс."


@dataclass
class BalanceTab:
    balance: gr.Markdown
    amount: gr.Textbox
    deposit_btn: gr.Button
    history: gr.Dataframe


def layout() -> BalanceTab:
    balance = gr.Markdown(SIGNED_OUT_TEXT, elem_id="balance-value", elem_classes=["td-balance-big"])
    with gr.Row(equal_height=True, elem_classes=["td-topup"]):
        amount = gr.Textbox(value="100", label=f"Сумма пополнения, целое число кредитов ({billing.DEPOSIT_MIN}–"
                                               f"{billing.DEPOSIT_MAX})", max_length=6, elem_id="balance-amount")
        deposit_btn = gr.Button("Пополнить", variant="primary", elem_id="balance-deposit")
    history = gr.Dataframe(pd.DataFrame(columns=COLUMNS), label="История операций", interactive=False, wrap=True,
                           buttons=[], elem_classes=["td-table"], elem_id="balance-history")
    return BalanceTab(balance=balance, amount=amount, deposit_btn=deposit_btn, history=history)


def outputs(tab: BalanceTab) -> list:
    return [tab.balance, tab.history]


def signed_out_view(tab: BalanceTab) -> dict:
    return {tab.balance: SIGNED_OUT_TEXT, tab.history: pd.DataFrame(columns=COLUMNS)}


def view(tab: BalanceTab, ctx: Ctx) -> dict:
    items, total = billing.list_transactions(session=ctx.session, user_id=ctx.user.id, limit=HISTORY_LIMIT)
    rows = [[fmt_date(t.created_at), f"{t.amount:+d}", billing.KIND_TITLES.get(t.kind, t.kind), t.balance_after,
             t.description] for t in items]
    shown = f" (последние {HISTORY_LIMIT} из {total})" if total > HISTORY_LIMIT else ""
    return {tab.balance: f"На балансе: **{plural_credits(ctx.user.balance)}**{shown}",
            tab.history: pd.DataFrame(rows, columns=COLUMNS)}


def show(ctx: Ctx, *, tab: BalanceTab, header: gr.HTML):
    return {**view(tab, ctx), header: render.header_html(ctx.user)}


def deposit(ctx: Ctx, amount, *, tab: BalanceTab, header: gr.HTML):
    text = amount.strip() if isinstance(amount, str) else amount
    billing.deposit(session=ctx.session, user=ctx.user, amount=text)
    notify(f"Баланс пополнен: {plural_credits(ctx.user.balance)}")
    return {**view(tab, ctx), header: render.header_html(ctx.user)}


def wire(tab: BalanceTab, services: Services, token: gr.BrowserState, header: gr.HTML,
         balance_tab: gr.Tab) -> None:
    bound = {"tab": tab, "header": header}
    balance_tab.select(bind(show, services, **bound), [token], [*outputs(tab), header], api_name="balance_show",
                       show_progress="hidden")
    for event, name in ((tab.deposit_btn.click, "balance_deposit"), (tab.amount.submit, "balance_deposit_submit")):
        event(bind(deposit, services, **bound), [token, tab.amount], [*outputs(tab), header], api_name=name,
              show_progress="hidden")
