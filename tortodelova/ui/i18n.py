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
    # Gradio 6 titles a toast by its kind, in English, whatever `title=` says: a warning is a refusal here, an
    # info a done action.
    "Warning": "Внимание", "Info": "Готово", "Success": "Готово", "Loading...": "Загрузка…",
    "Thumbnail": "Миниатюра", "Previous": "Назад", "Next": "Вперёд", "Close toast": "Закрыть",
    "File upload": "Загрузка файла", "File": "Файл", "Upload file": "Загрузить файл",
    "Upload a file": "Загрузить файл", "Remove file": "Удалить файл", "Remove Image": "Убрать изображение",
    "Choose a file": "Выбрать файл", "Close full screen": "Закрыть полноэкранный режим",
    "View full screen": "Во весь экран", "Open in new tab": "Открыть в новой вкладке", "Cancel": "Отмена",
    "Dismiss": "Закрыть", "Refresh": "Обновить", "Number": "Число", "Markdown": "Текст", "Label": "Метка",
    "Select All": "Выбрать все", "Uploading": "Загрузка", "EMPTY": "Пусто", "Add row": "Добавить строку",
    "Delete row": "Удалить строку", "Delete column": "Удалить столбец", "Add row above": "Добавить строку выше",
    "Add row below": "Добавить строку ниже", "Add column to the left": "Добавить столбец слева",
    "Add column to the right": "Добавить столбец справа", "Keyboard shortcuts": "Горячие клавиши",
    "Paste from clipboard": "Вставить из буфера", "Stop": "Стоп", "Submit": "Отправить", "Undo": "Отменить",
    "More tabs": "Ещё вкладки", "Gallery": "Галерея", "Download All": "Скачать всё", "Download all": "Скачать всё",
    "detailed view of selected image": "Выбранное изображение крупно",
    "Open cell menu": "Меню ячейки", "Static column": "Столбец", "Filtered": "Отфильтровано",
    "Delete image": "Удалить изображение", "Image": "Изображение", "Sort column": "Сортировать столбец",
    "Select all": "Выбрать все", "Number of rows": "Число строк",
}

# Strings Gradio builds with numbers in them.
PATTERNS = [
    [r"^Thumbnail (\d+) of (\d+)$", "Миниатюра $1 из $2"], [r"^[Tt]humbnail (\d+)$", "Миниатюра $1"],
    [r"^[Ii]mage[- ](\d+)$", "Изображение $1"], [r"^Example image (\d+)$", "Пример $1"],
    [r"^Image (\d+) of (\d+)$", "Изображение $1 из $2"], [r"^number input for (.+)$", "Число: $1"],
    [r"^processing \|$", "обработка ·"], [r"^queue: (\d+)/(\d*) \|$", "очередь: $1/$2 ·"],
    [r"^(\d+(?:\.\d+)?)(/\d+(?:\.\d+)?)?s$", "$1$2 с"],
    [r"^range slider for (.+)$", "Ползунок: $1"], [r"^Select (.+)$", "Выбрать: $1"],
    # Vega (gr.LinePlot / gr.BarPlot) describes its charts to screen readers in English.
    [r"^Title text '(.+)'$", "Заголовок: $1"], [r"^([XY])-axis titled '([^']*)'.*$", "Ось $1: $2"],
    [r"^Symbol legend titled '([^']*)'.*values: (.+)$", "Легенда «$1»: $2"],
    [r"^Vega visualization$", "Диаграмма"],
    [r"^(Line|Bar|Point|Area|Rect|Rule|Text|Symbol) mark container.*$", "Данные"],
]

JS = """
() => {
  const chrome = %s;
  const patterns = %s.map(([re, to]) => [new RegExp(re), to]);
  const tr = (v) => {
    const t = v.trim();
    if (chrome[t] !== undefined) return v.replace(t, chrome[t]);
    for (const [re, to] of patterns) if (re.test(t)) return v.replace(t, t.replace(re, to));
    return null;
  };
  document.documentElement.lang = 'ru';
  const attrs = ['aria-label', 'title', 'placeholder', 'alt'];
  const fixOne = (el) => {
    for (const a of attrs) {
      const v = el.getAttribute(a);
      const fixed = v && tr(v);
      if (fixed !== null && fixed !== undefined && fixed !== v) el.setAttribute(a, fixed);
    }
    for (const node of el.childNodes) {
      if (node.nodeType === 3 && node.nodeValue.trim()) {
        const fixed = tr(node.nodeValue);
        if (fixed !== null && fixed !== node.nodeValue) node.nodeValue = fixed;
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
""" % (json.dumps(CHROME, ensure_ascii=False), json.dumps(PATTERNS, ensure_ascii=False))
