"""The account letters, in Russian: a password-reset link and an address-confirmation link."""
from __future__ import annotations

from tortodelova.mail.letter import Letter, compose


def password_reset(*, to: str, link: str, minutes: int) -> Letter:
    return compose(
        to=to, subject="Сброс пароля в Тортоделовой",
        paragraphs=["Кто-то (надеемся, вы) попросил сбросить пароль от вашего аккаунта в Тортоделовой.",
                    f"Чтобы задать новый пароль, откройте ссылку. Она действует {minutes} минут и только один раз:"],
        link=link, button="Задать новый пароль",
        after=["Если вы не просили сброс, просто не открывайте ссылку: пароль останется прежним."],
    )


def confirm_address(*, to: str, link: str, hours: int) -> Letter:
    return compose(
        to=to, subject="Подтвердите адрес почты в Тортоделовой",
        paragraphs=["Спасибо за регистрацию в Тортоделовой!",
                    f"Подтвердите, что это ваш адрес: откройте ссылку (она действует {hours} ч). После "
                    "подтверждения на баланс придёт приветственный бонус, если он положен."],
        link=link, button="Подтвердить адрес",
        after=["Если вы не регистрировались в Тортоделовой, просто проигнорируйте это письмо."],
    )
