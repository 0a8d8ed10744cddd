"""«Мои дизайны»: the user's finished designs, newest first, a page at a time; details, download, delete, share."""
from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from tortodelova.accounts.models import User
from tortodelova.generation import service as generation_service
from tortodelova.services import Services
from tortodelova.ui import render
from tortodelova.ui.common import db, handler, notify, origin, require_user, warn

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
    share_link: gr.Textbox
    confirm_delete: gr.Checkbox
    delete_btn: gr.Button
    ids: gr.State
    page: gr.State
    selected: gr.State


def layout() -> DesignsTab:
    summary = gr.Markdown("Войдите, чтобы увидеть свои дизайны.", elem_id="designs-summary")
    gallery = gr.Gallery(show_label=False, columns=4, fit_columns=False, height="auto", object_fit="cover",
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
        share_link = gr.Textbox(label="Ссылка для клиента", buttons=["copy"], interactive=False, visible=False,
                                elem_id="designs-share-link")
        with gr.Row():
            confirm_delete = gr.Checkbox(label="Да, удалить безвозвратно", value=False, elem_id="designs-confirm")
            delete_btn = gr.Button("Удалить дизайн", variant="stop", size="sm", elem_id="designs-delete")
    return DesignsTab(summary=summary, gallery=gallery, prev_btn=prev_btn, page_label=page_label,
                      next_btn=next_btn, refresh_btn=refresh_btn, detail=detail, detail_md=detail_md,
                      detail_gallery=detail_gallery, downloads=downloads, share_btn=share_btn,
                      unshare_btn=unshare_btn, share_link=share_link, confirm_delete=confirm_delete,
                      delete_btn=delete_btn, ids=gr.State([]), page=gr.State(0), selected=gr.State(None))


def outputs(tab: DesignsTab) -> list:
    return [tab.summary, tab.gallery, tab.page_label, tab.prev_btn, tab.next_btn, tab.ids, tab.page, tab.detail,
            tab.selected]


def signed_out_view(tab: DesignsTab) -> dict:
    return {tab.summary: "Войдите, чтобы увидеть свои дизайны.", tab.gallery: [], tab.page_label: "",
            tab.prev_btn: gr.Button(interactive=False), tab.next_btn: gr.Button(interactive=False), tab.ids: [],
            tab.page: 0, tab.detail: gr.Column(visible=False), tab.selected: None}


def view(tab: DesignsTab, session, services: Services, user: User, page: int, base: str) -> dict:
    """One page of the user's finished designs (newest first) as gallery tiles of their first image."""
    page = max(0, int(page or 0))
    items, total = generation_service.list_for_user(session=session, user=user, limit=PAGE_SIZE,
                                                    offset=page * PAGE_SIZE, status="succeeded")
    if not items and page > 0:
        return view(tab, session, services, user, page - 1, base)
    pages = max(1, -(-total // PAGE_SIZE))
    tiles = []
    for generation in items:
        public = generation_service.to_public(session=session, settings=services.settings, generation=generation)
        first = render.gallery_items(public, base)[:1]
        caption = f"{render.fmt_date(generation.created_at)} · {generation.prompt_ru[:60]}"
        tiles += [(url, caption) for url, _ in first]
    summary = f"Готовых дизайнов: **{total}**" if total else "Здесь появятся ваши дизайны — создайте первый во " \
                                                              "вкладке «Создать»."
    return {tab.summary: summary, tab.gallery: tiles, tab.page_label: f"Стр. {page + 1} из {pages}",
            tab.prev_btn: gr.Button(interactive=page > 0), tab.next_btn: gr.Button(interactive=page + 1 < pages),
            tab.ids: [g.id for g in items], tab.page: page, tab.detail: gr.Column(visible=False),
            tab.selected: None}


def detail_view(tab: DesignsTab, session, services: Services, user: User, generation_id: str, base: str) -> dict:
    generation = generation_service.get_owned(session=session, user=user, generation_id=generation_id)
    public = generation_service.to_public(session=session, settings=services.settings, generation=generation)
    link = generation_service.share_link_of(session=session, generation_id=generation.id)
    return {tab.detail: gr.Column(visible=True), tab.selected: generation.id,
            tab.detail_md: render.details_markdown(public),
            tab.detail_gallery: render.gallery_items(public, base), tab.downloads: render.downloads_html(public, base),
            **share_view(tab, link.token if link else None, base), tab.confirm_delete: False}


def share_view(tab: DesignsTab, token: str | None, base: str) -> dict:
    return {tab.share_link: gr.Textbox(value=f"{base}/s/{token}" if token else "", visible=bool(token)),
            tab.share_btn: gr.Button(visible=not token), tab.unshare_btn: gr.Button(visible=bool(token))}


def wire(tab: DesignsTab, services: Services, token: gr.BrowserState, designs_tab: gr.Tab) -> None:
    list_outputs = outputs(tab)
    detail_outputs = [tab.detail, tab.selected, tab.detail_md, tab.detail_gallery, tab.downloads, tab.share_link,
                      tab.share_btn, tab.unshare_btn, tab.confirm_delete]

    def page_handler(step: int):
        @handler
        def show(token_value, page, request: gr.Request):
            with db(services) as session:
                user = require_user(session, services, token_value)
                return view(tab, session, services, user, int(page or 0) + step, origin(services, request))

        return show

    designs_tab.select(page_handler(0), [token, tab.page], list_outputs, api_name="designs_show",
                       show_progress="hidden")
    tab.refresh_btn.click(page_handler(0), [token, tab.page], list_outputs, api_name="designs_page")
    tab.prev_btn.click(page_handler(-1), [token, tab.page], list_outputs, api_name="designs_prev")
    tab.next_btn.click(page_handler(+1), [token, tab.page], list_outputs, api_name="designs_next")

    @handler
    def select(token_value, ids, evt: gr.SelectData, request: gr.Request):
        with db(services) as session:
            user = require_user(session, services, token_value)
            index = evt.index if isinstance(evt.index, int) else -1
            if not 0 <= index < len(ids or []):
                return {tab.detail: gr.Column(visible=False)}
            return detail_view(tab, session, services, user, ids[index], origin(services, request))

    @handler
    def share(token_value, generation_id, request: gr.Request):
        with db(services) as session:
            user = require_user(session, services, token_value)
            link = generation_service.share(session=session, user=user, generation_id=generation_id)
            notify("Ссылка создана — скопируйте и отправьте клиенту")
            return share_view(tab, link.token, origin(services, request))

    @handler
    def unshare(token_value, generation_id, request: gr.Request):
        with db(services) as session:
            user = require_user(session, services, token_value)
            generation_service.unshare(session=session, user=user, generation_id=generation_id)
            notify("Доступ по ссылке закрыт")
            return share_view(tab, None, origin(services, request))

    @handler
    def delete(token_value, generation_id, confirmed, page, request: gr.Request):
        with db(services) as session:
            user = require_user(session, services, token_value)
            if not confirmed:
                warn("Отметьте «Да, удалить безвозвратно», чтобы удалить дизайн")
                return {tab.summary: gr.Markdown()}
            generation_service.delete(session=session, store=services.store, user=user,
                                      generation_id=generation_id)
            notify("Дизайн удалён")
            return view(tab, session, services, user, page, origin(services, request))

    tab.gallery.select(select, [token, tab.ids], detail_outputs, api_name="designs_select")
    tab.share_btn.click(share, [token, tab.selected], [tab.share_link, tab.share_btn, tab.unshare_btn],
                        api_name="designs_share")
    tab.unshare_btn.click(unshare, [token, tab.selected], [tab.share_link, tab.share_btn, tab.unshare_btn],
                          api_name="designs_unshare")
    tab.delete_btn.click(delete, [token, tab.selected, tab.confirm_delete, tab.page], list_outputs,
                         api_name="designs_delete")
