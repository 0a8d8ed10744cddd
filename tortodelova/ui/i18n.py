"""Russian for what Gradio draws itself.

Gradio's own strings come in two kinds: i18n keys (translated by the browser's locale; the Russian dictionary lacks a
few, e.g. `common.complete` read out to screen readers) and English written straight into the components' markup
("Copy table data", "Fullscreen", "Table actions"…). The first are given here for `ru` and, as flat keys that win over
Gradio's nested English, for `en` too; the second are rewritten in the page by `JS` as they appear.
"""
from __future__ import annotations

import json

import gradio as gr

KEYS = {
    "common.complete": "Готово", "common.error": "Ошибка", "common.loading": "Загрузка", "common.clear": "Очистить",
    "common.download": "Скачать", "common.empty": "Пусто", "common.share": "Поделиться", "common.remove": "Удалить",
    "common.undo": "Отменить", "common.edit": "Редактировать", "common.settings": "Настройки",
    "common.submit": "Отправить", "errors.use_via_api": "", "gallery.no_image": "Нет изображения",
    "upload_text.drop_image": "Перетащите изображение сюда", "upload_text.click_to_upload": "Нажмите, чтобы загрузить",
    "dataframe.sort_column": "Сортировать столбец", "dataframe.sort_ascending": "По возрастанию",
    "dataframe.sort_descending": "По убыванию", "dataframe.clear_sort": "Сбросить сортировку",
    "dataframe.filter": "Фильтр", "dataframe.clear_filter": "Сбросить фильтр",
}
I18N = gr.I18n(ru=KEYS, en=KEYS)

# English that Gradio writes straight into its markup (aria-label, title, text), as seen in its bundle.
CHROME = {
    "Copy table data": "Скопировать таблицу", "Copied to clipboard": "Скопировано", "Fullscreen": "Во весь экран",
    "Exit fullscreen mode": "Выйти из полноэкранного режима", "Exit fullscreen": "Выйти из полноэкранного режима",
    "Reset to default value": "Сбросить", "Table actions": "Действия с таблицей", "Empty value": "Пусто",
    "Search...": "Поиск…", "Filter...": "Фильтр…", "Copy": "Скопировать", "Copied": "Скопировано",
    "Close": "Закрыть", "Download": "Скачать", "Clear": "Очистить", "Share": "Поделиться", "Error": "Ошибка",
    "Warning": "Внимание", "Info": "Сообщение", "Success": "Готово", "Loading...": "Загрузка…",
    "Thumbnail": "Миниатюра", "Previous": "Назад", "Next": "Вперёд", "Close toast": "Закрыть",
    "More tabs": "Ещё вкладки", "Sort column": "Сортировать столбец", "Select all": "Выбрать все", "Number of rows": "Число строк",
}

JS = """
() => {
  const chrome = %s;
  document.documentElement.lang = 'ru';
  const attrs = ['aria-label', 'title', 'placeholder', 'alt'];
  const fixOne = (el) => {
    for (const a of attrs) {
      const v = el.getAttribute(a);
      if (v && chrome[v.trim()] !== undefined) el.setAttribute(a, chrome[v.trim()]);
    }
    for (const node of el.childNodes) {
      if (node.nodeType === 3) {
        const t = node.nodeValue.trim();
        if (t && chrome[t] !== undefined) node.nodeValue = node.nodeValue.replace(t, chrome[t]);
      }
    }
  };
  const fix = (root) => {
    if (!(root instanceof Element)) return;
    fixOne(root);
    root.querySelectorAll('*').forEach(fixOne);
  };
  fix(document.body);
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === 'characterData') fix(c.target.parentElement);
      else if (c.type === 'attributes') { if (c.target instanceof Element) fixOne(c.target); }
      else c.addedNodes.forEach((n) => fix(n.nodeType === 3 ? n.parentElement : n));
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: attrs});
}
""" % json.dumps(CHROME, ensure_ascii=False)
