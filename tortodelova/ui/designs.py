"""«Мои дизайны»: the user's finished designs, newest first, a page at a time; details, download, delete, share."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova.container import Services
from tortodelova.generation import service as generation_service
from tortodelova.ui import card, contract, create, render
from tortodelova.ui.common import Ctx, bind, fmt_date, notify, warn

PAGE_SIZE = 12


@dataclass
class DesignsTab:
    summary: gr.Markdown
    gallery: gr.Gallery
    prev_btn: gr.Button
    page_label: gr.Markdown
    next_btn: gr.Button
    refresh_btn: gr.Button
    detail: gr.Column
    detail_md: gr.Markdown
    detail_gallery: gr.Gallery
    downloads: gr.HTML
    share_btn: gr.Button
    unshare_btn: gr.Button
    repeat_btn: gr.Button
    card_btn: gr.Button
    card_file: gr.File
    share_link: gr.Textbox
    confirm_delete: gr.Checkbox
    delete_btn: gr.Button
    ids: gr.State
    page: gr.State
    selected: gr.State


def layout() -> DesignsTab:
    summary = gr.Markdown("Войдите, чтобы увидеть свои дизайны.", elem_id="designs-summary")
    gallery = gr.Gallery(show_label=False, columns=4, fit_columns=False, height="auto", object_fit="cover",
                         buttons=[],
                         allow_preview=False, interactive=False, elem_id="designs-gallery")
    with gr.Row(elem_classes=["td-pager"]):
        prev_btn = gr.Button("← Новее", size="sm", elem_id="designs-prev")
        page_label = gr.Markdown("", elem_id="designs-page")
        next_btn = gr.Button("Старше →", size="sm", elem_id="designs-next")
        refresh_btn = gr.Button("Обновить", size="sm", elem_id="designs-refresh")
    with gr.Column(visible=False, elem_classes=["td-card"], elem_id="designs-detail") as detail:
        detail_md = gr.Markdown(elem_id="designs-detail-text")
        detail_gallery = gr.Gallery(show_label=False, columns=2, height="auto", object_fit="contain",
                                    buttons=["fullscreen"], interactive=False, elem_id="designs-detail-gallery")
        downloads = gr.HTML(elem_id="designs-downloads")
        with gr.Row():
            share_btn = gr.Button("Поделиться", variant="primary", size="sm", elem_id="designs-share")
            unshare_btn = gr.Button("Закрыть доступ по ссылке", size="sm", visible=False, elem_id="designs-unshare")
            repeat_btn = gr.Button("Повторить с этими настройками", size="sm", elem_id="designs-repeat")
            card_btn = gr.Button("Карточка для заказчика", size="sm", elem_id="designs-card")
        card_file = gr.File(label="Карточка для заказчика (PDF)", interactive=False, visible=False,
                            elem_id="designs-card-file")
        share_link = gr.Textbox(label="Ссылка для клиента", buttons=["copy"], interactive=False, visible=False,
                                elem_id="designs-share-link")
        with gr.Row():
            confirm_delete = gr.Checkbox(label="Да, удалить безвозвратно", value=False, elem_id="designs-confirm")
            delete_btn = gr.Button("Удалить дизайн", variant="stop", size="sm", elem_id="designs-delete")
    return DesignsTab(summary=summary, gallery=gallery, prev_btn=prev_btn, page_label=page_label,
                      next_btn=next_btn, refresh_btn=refresh_btn, detail=detail, detail_md=detail_md,
                      detail_gallery=detail_gallery, downloads=downloads, share_btn=share_btn,
                      unshare_btn=unshare_btn, repeat_btn=repeat_btn, card_btn=card_btn, card_file=card_file,
                      share_link=share_link,
                      confirm_delete=confirm_delete,
                      delete_btn=delete_btn, ids=gr.State([]), page=gr.State(0), selected=gr.State(None))


def outputs(tab: DesignsTab) -> list:
    return [tab.summary, tab.gallery, tab.page_label, tab.prev_btn, tab.next_btn, tab.ids, tab.page, tab.detail,
            tab.selected]


def signed_out_view(tab: DesignsTab) -> dict:
    return {tab.summary: "Войдите, чтобы увидеть свои дизайны.", tab.gallery: [], tab.page_label: "",
            tab.prev_btn: gr.Button(interactive=False), tab.next_btn: gr.Button(interactive=False), tab.ids: [],
            tab.page: 0, tab.detail: gr.Column(visible=False), tab.selected: None}


def view(tab: DesignsTab, ctx: Ctx, page: int) -> dict:
    """One page of the user's finished designs (newest first) as gallery tiles of their first image."""
    page = max(0, int(page or 0))
    items, total = generation_service.list_for_user(session=ctx.session, user=ctx.user, limit=PAGE_SIZE,
                                                    offset=page * PAGE_SIZE, status="succeeded")
    if not items and page > 0:
        return view(tab, ctx, page - 1)
    pages = max(1, -(-total // PAGE_SIZE))
    tiles = []
    for generation in items:
        first = render.gallery_items(contract.view_of(ctx, generation), ctx.base)[:1]
        caption = f"{fmt_date(generation.created_at)} · {generation.prompt_ru[:60]}"
        tiles += [(url, caption) for url, _ in first]
    summary = f"Готовых дизайнов: **{total}**" if total else "Здесь появятся ваши дизайны — создайте первый во " \
                                                              "вкладке «Создать»."
    return {tab.summary: summary, tab.gallery: tiles, tab.page_label: f"Стр. {page + 1} из {pages}",
            tab.prev_btn: gr.Button(interactive=page > 0), tab.next_btn: gr.Button(interactive=page + 1 < pages),
            tab.ids: [g.id for g in items], tab.page: page, tab.detail: gr.Column(visible=False),
            tab.selected: None}


def detail_view(tab: DesignsTab, ctx: Ctx, generation_id: str) -> dict:
    generation = generation_service.get_owned(session=ctx.session, user=ctx.user, generation_id=generation_id)
    public = contract.view_of(ctx, generation)
    link = generation_service.share_link_of(session=ctx.session, generation_id=generation.id)
    return {tab.detail: gr.Column(visible=True), tab.selected: generation.id,
            tab.detail_md: render.details_markdown(public),
            tab.detail_gallery: render.gallery_items(public, ctx.base),
            tab.downloads: render.downloads_html(public, ctx.base),
            **share_view(tab, link.token if link else None, ctx.base), tab.confirm_delete: False,
            tab.card_file: gr.File(value=None, visible=False)}


def share_view(tab: DesignsTab, token: str | None, base: str) -> dict:
    return {tab.share_link: gr.Textbox(value=f"{base}/s/{token}" if token else "", visible=bool(token)),
            tab.share_btn: gr.Button(visible=not token), tab.unshare_btn: gr.Button(visible=bool(token))}


def show_page(ctx: Ctx, page, *, tab: DesignsTab, step: int = 0):
    return view(tab, ctx, int(page or 0) + step)


def select(ctx: Ctx, ids, evt: gr.SelectData, *, tab: DesignsTab):
    index = evt.index if isinstance(evt.index, int) else -1
    if not 0 <= index < len(ids or []):
        return {tab.detail: gr.Column(visible=False)}
    return detail_view(tab, ctx, ids[index])


def share(ctx: Ctx, generation_id, *, tab: DesignsTab):
    link = generation_service.share(session=ctx.session, user=ctx.user, generation_id=generation_id)
    notify("Ссылка создана — скопируйте и отправьте клиенту")
    return share_view(tab, link.token, ctx.base)


def unshare(ctx: Ctx, generation_id, *, tab: DesignsTab):
    generation_service.unshare(session=ctx.session, user=ctx.user, generation_id=generation_id)
    notify("Доступ по ссылке закрыт")
    return share_view(tab, None, ctx.base)


def customer_card(ctx: Ctx, generation_id):
    """«Карточка для заказчика»: the same PDF as in «Для заказчика» (picture, inscription, the baker's contact)."""
    path = card.card(ctx, generation_id, fmt="pdf")
    return path if not isinstance(path, str) else gr.File(value=path, visible=True)


def delete(ctx: Ctx, generation_id, confirmed, page, *, tab: DesignsTab):
    if not confirmed:
        warn("Отметьте «Да, удалить безвозвратно», чтобы удалить дизайн")
        return gr.skip()
    generation_service.delete(session=ctx.session, store=ctx.services.store, user=ctx.user,
                              generation_id=generation_id)
    notify("Дизайн удалён")
    return view(tab, ctx, page)


def repeat(ctx: Ctx, generation_id, *, create_tab, tabs: gr.Tabs):
    """«Повторить с этими настройками»: the «Создать» form filled from this design, nothing charged yet."""
    out = create.repeat(ctx, generation_id, tab=create_tab)
    notify("Настройки дизайна перенесены в «Создать» — поправьте и нажмите «Создать дизайн»")
    return {**out, tabs: gr.Tabs(selected="create")}


def wire(tab: DesignsTab, services: Services, token: gr.BrowserState, designs_tab: gr.Tab, create_tab,
         tabs: gr.Tabs) -> None:
    list_outputs = outputs(tab)
    detail_outputs = [tab.detail, tab.selected, tab.detail_md, tab.detail_gallery, tab.downloads, tab.share_link,
                      tab.share_btn, tab.unshare_btn, tab.confirm_delete, tab.card_file]
    share_outputs = [tab.share_link, tab.share_btn, tab.unshare_btn]
    quiet = {"show_progress": "hidden"}
    for event, step, name in ((designs_tab.select, 0, "designs_show"), (tab.refresh_btn.click, 0, "designs_page"),
                              (tab.prev_btn.click, -1, "designs_prev"), (tab.next_btn.click, +1, "designs_next")):
        event(bind(show_page, services, tab=tab, step=step), [token, tab.page], list_outputs, api_name=name, **quiet)
    tab.gallery.select(bind(select, services, tab=tab), [token, tab.ids], detail_outputs, api_name="designs_select",
                       **quiet)
    tab.share_btn.click(bind(share, services, tab=tab), [token, tab.selected], share_outputs,
                        api_name="designs_share", **quiet)
    tab.unshare_btn.click(bind(unshare, services, tab=tab), [token, tab.selected], share_outputs,
                          api_name="designs_unshare", **quiet)
    tab.card_btn.click(bind(customer_card, services), [token, tab.selected], [tab.card_file],
                       api_name="designs_card", **quiet)
    tab.delete_btn.click(bind(delete, services, tab=tab), [token, tab.selected, tab.confirm_delete, tab.page],
                         list_outputs, api_name="designs_delete", **quiet)
    tab.repeat_btn.click(bind(repeat, services, create_tab=create_tab, tabs=tabs), [token, tab.selected],
                         [*create.form_fields(create_tab), tabs], api_name="designs_repeat", **quiet)
