"""The chef's own words («Мои термины») and the words the glossary lacks («Слова, которых нет в глоссарии»)."""
