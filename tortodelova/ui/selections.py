"""«Подборки для заказчика» in «Мои дизайны»: tick 1–12 designs, send one link, see the customer's answer.

The answer reads «Заказчик выбрал вариант 2 · 14:05 · комментарий…»; a new one puts a badge on the «Мои дизайны» tab
until the chef opens it. From the chosen design one click leads to «Похожий дизайн» (the «Создать» handler) or
«Изменить надпись» (the «Для заказчика» tab with that design picked). Every handler goes through `bind` and calls
`selections.service`, the same functions as the REST routes.
"""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova.container import Services
from tortodelova.generation import service as generation_service
from tortodelova.selections import service
from tortodelova.selections.models import COMMENT_MAX, ITEMS_MAX, NOTE_MAX, TITLE_MAX
from tortodelova.selections.schemas import SelectionCreate
from tortodelova.ui import account, card, create
from tortodelova.ui.common import DISPLAY_TZ, Ctx, bind, esc, fmt_date, notify, warn
from tortodelova.vocabulary import STRENGTH_DEFAULT

TAB_TITLE = "Мои дизайны"
EXPIRY_CHOICES = [("Без срока", 0), ("7 дней", 7), ("30 дней", 30), ("90 дней", 90)]
SIGNED_OUT_TEXT = "Войдите, чтобы отправлять заказчикам подборки дизайнов."
PICKABLE = 60  # the newest finished designs offered for a new selection


@dataclass
class SelectionsPanel:
    listing: gr.HTML
    pick: gr.Dropdown
    detail: gr.HTML
    link: gr.Textbox
    agree_btn: gr.Button
    similar_btn: gr.Button
    lettering_btn: gr.Button
    revoke_btn: gr.Button
    designs: gr.CheckboxGroup
    title: gr.Textbox
    note: gr.Textbox
    expires: gr.Dropdown
    create_btn: gr.Button
    badge_timer: gr.Timer
    design_ids: gr.State  # the tick boxes' values are positions in this list (no ids in the page's markup)


def layout() -> SelectionsPanel:
    with gr.Accordion("Подборки для заказчика", open=True, elem_id="sel-panel"):
        listing = gr.HTML(SIGNED_OUT_TEXT, elem_id="sel-list")
        pick = gr.Dropdown(choices=[], value=None, label="Подборка", visible=False, elem_id="sel-pick")
        detail = gr.HTML(elem_id="sel-detail")
        link = gr.Textbox(label="Ссылка для заказчика — отправьте её в мессенджер", buttons=["copy"],
                          interactive=False, visible=False, elem_id="sel-link")
        with gr.Row(elem_classes=["td-design-actions"]):
            agree_btn = gr.Button("Согласовать выбор", variant="primary", size="sm", visible=False,
                                  elem_id="sel-agree")
            similar_btn = gr.Button("Похожий дизайн", size="sm", visible=False, elem_id="sel-similar")
            lettering_btn = gr.Button("Изменить надпись", size="sm", visible=False, elem_id="sel-lettering")
            revoke_btn = gr.Button("Отозвать ссылку", variant="stop", size="sm", visible=False, elem_id="sel-revoke")
        with gr.Accordion("Новая подборка", open=False, elem_id="sel-new"):
            designs = gr.CheckboxGroup(choices=[], label=f"Отметьте дизайны (от 1 до {ITEMS_MAX})",
                                       elem_id="sel-designs")
            title = gr.Textbox(label="Название", max_length=TITLE_MAX, placeholder="Торт на юбилей Ольги, 3 кг",
                               elem_id="sel-title")
            note = gr.Textbox(label="Пояснение для заказчика (необязательно)", lines=2, max_length=NOTE_MAX,
                              elem_id="sel-note")
            expires = gr.Dropdown(EXPIRY_CHOICES, value=0, label="Ссылка действует", elem_id="sel-expires")
            create_btn = gr.Button("Создать подборку и получить ссылку", variant="primary", elem_id="sel-create")
    return SelectionsPanel(listing=listing, pick=pick, detail=detail, link=link, agree_btn=agree_btn,
                           similar_btn=similar_btn, lettering_btn=lettering_btn, revoke_btn=revoke_btn,
                           designs=designs, title=title, note=note, expires=expires, create_btn=create_btn,
                           badge_timer=gr.Timer(15), design_ids=gr.State([]))


# ---------------------------------------------------------------- what the chef reads
def _time(value) -> str:
    return value.astimezone(DISPLAY_TZ).strftime("%H:%M") if value else ""


def answer_line(ctx: Ctx, selection) -> str:
    """«Заказчик выбрал вариант 2 · 14:05 · комментарий…» (escaped), or where the selection stands."""
    if selection.revoked:
        return "Ссылка отозвана"
    chosen = service.chosen_option(session=ctx.session, selection=selection)
    if selection.chosen_generation_id is None:
        return "Заказчик ещё не ответил"
    number = f"вариант {chosen.number}" if chosen else "дизайн, который потом удалили"
    parts = [f"Заказчик выбрал {number}", f"{fmt_date(selection.chosen_at)[:5]} {_time(selection.chosen_at)}"]
    if selection.comment:
        comment = selection.comment if len(selection.comment) <= 80 else selection.comment[:80] + "…"
        parts.append(comment)
    line = " · ".join(esc(part) for part in parts)
    if selection.agreed_at:
        line += f" · <b>согласовано {esc(fmt_date(selection.agreed_at)[:10])}</b>"
    return line


def listing_html(ctx: Ctx, selections) -> str:
    if not selections:
        return ('<p class="td-muted">Подборок пока нет. Отметьте дизайны в «Новая подборка» — заказчик получит одну '
                'ссылку и выберет понравившийся.</p>')
    rows = []
    for selection in selections:
        new = ('<span class="td-badge" data-new="1">новый ответ</span> '
               if not selection.answer_seen and not selection.revoked else "")
        rows.append(f'<li class="td-job" data-selection="{selection.id}"><span class="td-job-prompt">{new}'
                    f'<b>{esc(selection.title)}</b><br><span class="sel-answer">{answer_line(ctx, selection)}'
                    f'</span></span></li>')
    return f'<div class="td-jobs" id="sel-items"><ul>{"".join(rows)}</ul></div>'


def detail_html(ctx: Ctx, selection) -> str:
    options = service.options(service.designs(session=ctx.session, selection=selection))
    chosen = service.chosen_option(session=ctx.session, selection=selection)
    lines = [f'<div class="td-card" id="sel-answer"><div class="td-status-line">{esc(selection.title)}</div>',
             f"<div>{answer_line(ctx, selection)}</div>",
             f'<div class="td-muted">Вариантов на странице: {len(options)}'
             + (f" · ссылка действует до {esc(fmt_date(selection.expires_at))}" if selection.expires_at else "")
             + "</div>"]
    if chosen is not None:
        lines.append(f'<img class="td-preview" src="{esc(_signed(ctx, chosen))}" '
                     f'alt="Выбранный заказчиком вариант {chosen.number}">')
    if selection.comment:
        lines.append(f'<div class="td-user-text" style="white-space:pre-line;overflow-wrap:anywhere">'
                     f'Комментарий: {esc(selection.comment[:COMMENT_MAX])}</div>')
    contacts = [value for value in (selection.customer_name, selection.customer_phone) if value]
    if contacts:
        lines.append(f'<div class="td-user-text">Заказчик: {esc(" · ".join(contacts))}</div>')
    return "".join(lines) + "</div>"


def _signed(ctx: Ctx, option) -> str:
    from tortodelova.generation.images import signed_image_path

    return ctx.base + signed_image_path(settings=ctx.settings, generation_id=option.generation.id,
                                        index=option.index)


def badge_label(count: int) -> str:
    return f"{TAB_TITLE} · новых ответов: {count}" if count else TAB_TITLE


def design_choices(ctx: Ctx, panel: SelectionsPanel, value=None) -> dict:
    """The tick boxes of «Новая подборка» and the ids behind them."""
    items, _ = generation_service.list_for_user(session=ctx.session, user=ctx.user, limit=PICKABLE,
                                                status="succeeded")
    choices = [(f"{fmt_date(g.created_at)} · {g.prompt_ru[:50]}", n) for n, g in enumerate(items)]
    kwargs = {} if value is None else {"value": value}
    return {panel.designs: gr.CheckboxGroup(choices=choices, **kwargs), panel.design_ids: [g.id for g in items]}


# ---------------------------------------------------------------- handlers
def show(ctx: Ctx, current=None, *, panel: SelectionsPanel, designs_tab: gr.Tab):
    """The list (new answers marked), then they count as seen: the badge goes."""
    selections, _ = service.list_for_user(session=ctx.session, user=ctx.user)
    html = listing_html(ctx, selections)
    service.mark_seen(session=ctx.session, user=ctx.user)
    choices = [(s.title + (" (отозвана)" if s.revoked else ""), s.id) for s in selections]
    ids = [s.id for s in selections]
    value = current if current in ids else (ids[0] if ids else None)
    return {panel.listing: html, panel.pick: gr.Dropdown(choices=choices, value=value, visible=bool(ids)),
            **design_choices(ctx, panel), designs_tab: gr.Tab(label=TAB_TITLE),
            **detail_view(ctx, value, panel=panel)}


def detail_view(ctx: Ctx, selection_id, *, panel: SelectionsPanel) -> dict:
    if selection_id is None:
        return _no_detail(panel)
    selection = service.get_owned(session=ctx.session, user=ctx.user, selection_id=selection_id)
    chosen = service.chosen_option(session=ctx.session, selection=selection) is not None
    live = not selection.revoked
    return {panel.detail: detail_html(ctx, selection),
            panel.link: gr.Textbox(value=service.customer_url(ctx.base, selection.token) if live else "",
                                   visible=live),
            panel.agree_btn: gr.Button(visible=live and chosen and selection.agreed_at is None),
            panel.similar_btn: gr.Button(visible=chosen), panel.lettering_btn: gr.Button(visible=chosen),
            panel.revoke_btn: gr.Button(visible=live)}


def pick(ctx: Ctx, selection_id, *, panel: SelectionsPanel):
    return detail_view(ctx, selection_id, panel=panel)


def signed_out(*, panel: SelectionsPanel, designs_tab: gr.Tab):
    """On «Выйти»: nothing of the previous chef stays in this browser's panel (a shared computer)."""
    return {panel.listing: SIGNED_OUT_TEXT, panel.pick: gr.Dropdown(choices=[], value=None, visible=False),
            panel.designs: gr.CheckboxGroup(choices=[], value=[]), panel.design_ids: [], panel.title: "",
            panel.note: "", designs_tab: gr.Tab(label=TAB_TITLE), **_no_detail(panel)}


def _no_detail(panel: SelectionsPanel) -> dict:
    hidden = gr.Button(visible=False)
    return {panel.detail: "", panel.link: gr.Textbox(value="", visible=False), panel.agree_btn: hidden,
            panel.similar_btn: hidden, panel.lettering_btn: hidden, panel.revoke_btn: hidden}


def badge(ctx: Ctx, *, designs_tab: gr.Tab):
    """The tab's label with the number of unseen answers; a visitor's page is left alone."""
    if ctx.user is None:
        return gr.skip()
    return gr.Tab(label=badge_label(service.unseen_answers(session=ctx.session, user=ctx.user)))


def create_selection(ctx: Ctx, ticked, design_ids, title, note, expires, *, panel: SelectionsPanel,
                     designs_tab: gr.Tab):
    from tortodelova.generation.schemas import parse_request

    design_ids = list(design_ids or [])
    generation_ids = [design_ids[n] for n in ticked or [] if isinstance(n, int) and 0 <= n < len(design_ids)]
    request = parse_request({"title": title, "note": note, "generation_ids": generation_ids,
                             "expires_in_days": int(expires or 0) or None}, SelectionCreate)
    selection = service.create(session=ctx.session, user=ctx.user, request=request)
    notify("Подборка создана — скопируйте ссылку и отправьте заказчику")
    return {**show(ctx, selection.id, panel=panel, designs_tab=designs_tab), **design_choices(ctx, panel, []),
            panel.title: "", panel.note: ""}


def agree(ctx: Ctx, selection_id, *, panel: SelectionsPanel, designs_tab: gr.Tab):
    if selection_id is None:
        warn("Выберите подборку")
        return gr.skip()
    service.agree(session=ctx.session, user=ctx.user, selection_id=selection_id)
    notify("Выбор согласован: заказчик видит согласованный дизайн и может скачать карточку")
    return show(ctx, selection_id, panel=panel, designs_tab=designs_tab)


def revoke(ctx: Ctx, selection_id, *, panel: SelectionsPanel, designs_tab: gr.Tab):
    if selection_id is None:
        warn("Выберите подборку")
        return gr.skip()
    service.revoke(session=ctx.session, user=ctx.user, selection_id=selection_id)
    notify("Ссылка отозвана: заказчик увидит, что подборка недоступна")
    return show(ctx, selection_id, panel=panel, designs_tab=designs_tab)


def _chosen(ctx: Ctx, selection_id):
    selection = service.get_owned(session=ctx.session, user=ctx.user, selection_id=selection_id)
    chosen = service.chosen_option(session=ctx.session, selection=selection)
    if chosen is None:
        from tortodelova.errors import Conflict

        raise Conflict("Заказчик ещё не выбрал дизайн из этой подборки")
    return chosen


def similar(ctx: Ctx, selection_id, *, create_tab: create.CreateTab, header: account.Header, tabs: gr.Tabs):
    """«Похожий дизайн» from the customer's choice: the «Создать» handler, on that picture."""
    chosen = _chosen(ctx, selection_id)
    out = create.similar(ctx, chosen.generation.id, chosen.index, STRENGTH_DEFAULT, tab=create_tab, header=header)
    return {**out, tabs: gr.Tabs(selected="create")}


def lettering(ctx: Ctx, selection_id, *, baker_tab: card.BakerTab, tabs: gr.Tabs):
    """«Изменить надпись» on the chosen design: «Для заказчика» with that design picked."""
    chosen = _chosen(ctx, selection_id)
    out = card.show(ctx, tab=baker_tab)
    choices = card.design_choices(ctx)
    if chosen.generation.id not in [value for _, value in choices]:
        choices.insert(0, (f"{fmt_date(chosen.generation.created_at)} · {chosen.generation.prompt_ru[:60]}",
                           chosen.generation.id))
    return {**out, **card.pick(ctx, chosen.generation.id, tab=baker_tab),
            baker_tab.design: gr.Dropdown(choices=choices, value=chosen.generation.id), tabs: gr.Tabs(selected="baker")}


def wire(panel: SelectionsPanel, services: Services, token: gr.BrowserState, *, designs_tab: gr.Tab,
         create_tab: create.CreateTab, baker_tab: card.BakerTab, header: account.Header, tabs: gr.Tabs,
         refresh: gr.Button) -> None:
    quiet = {"show_progress": "hidden"}
    detail = [panel.detail, panel.link, panel.agree_btn, panel.similar_btn, panel.lettering_btn, panel.revoke_btn]
    listed = [panel.listing, panel.pick, panel.designs, panel.design_ids, designs_tab, *detail]
    designs_tab.select(bind(show, services, panel=panel, designs_tab=designs_tab), [token, panel.pick], listed,
                       api_name="selections_show", **quiet)
    panel.pick.input(bind(pick, services, panel=panel), [token, panel.pick], detail, api_name="selections_pick",
                     **quiet)
    badge_fn = bind(badge, services, auth="optional", designs_tab=designs_tab)
    panel.badge_timer.tick(badge_fn, [token], [designs_tab], api_name="selections_badge", **quiet)
    def clear():
        return signed_out(panel=panel, designs_tab=designs_tab)

    clear.__name__ = "signed_out"  # the hidden functions are listed by name (tests/ui/test_gradio_api.py)
    header.logout_btn.click(clear, None, [*listed, panel.title, panel.note], api_visibility="private", queue=False,
                            **quiet)
    refresh.click(bind(show, services, panel=panel, designs_tab=designs_tab), [token, panel.pick], listed,
                  api_name="selections_refresh", **quiet)
    panel.create_btn.click(bind(create_selection, services, panel=panel, designs_tab=designs_tab),
                           [token, panel.designs, panel.design_ids, panel.title, panel.note, panel.expires],
                           [*listed, panel.title, panel.note], api_name="selections_create", **quiet)
    panel.agree_btn.click(bind(agree, services, panel=panel, designs_tab=designs_tab), [token, panel.pick], listed,
                          api_name="selections_agree", **quiet)
    panel.revoke_btn.click(bind(revoke, services, panel=panel, designs_tab=designs_tab), [token, panel.pick], listed,
                           api_name="selections_revoke", **quiet)
    result_outputs = [create_tab.generation_id, create_tab.status, create_tab.gallery, create_tab.downloads,
                      create_tab.check, create_tab.notice, create_tab.job_row, create_tab.actions,
                      create_tab.cancel_btn, create_tab.timer, create_tab.topup_btn, header.user, create_tab.jobs,
                      create_tab.source_id, create_tab.selected_index, tabs]
    panel.similar_btn.click(bind(similar, services, create_tab=create_tab, header=header, tabs=tabs),
                            [token, panel.pick], result_outputs, api_name="selections_similar", **quiet)
    form = [baker_tab.lettering.text, baker_tab.lettering.font, baker_tab.lettering.color,
            baker_tab.lettering.position]
    panel.lettering_btn.click(bind(lettering, services, baker_tab=baker_tab, tabs=tabs), [token, panel.pick],
                              [baker_tab.intro, baker_tab.design, *form, baker_tab.lettering.preview,
                               baker_tab.display_name, baker_tab.contact, tabs],
                              api_name="selections_lettering", **quiet)
