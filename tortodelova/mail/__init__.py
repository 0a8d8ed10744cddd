"""Mail: one `Mailer` with two backends (SMTP, or `.eml` files in DATA_DIR/outbox/), and `post`, which hands a
letter to the queue when a mail server is configured (production) or writes it to the outbox at once (embedded)."""
from tortodelova.mail.letter import Letter
from tortodelova.mail.mailer import Mailer, OutboxBackend, SMTPBackend, post

__all__ = ["Letter", "Mailer", "OutboxBackend", "SMTPBackend", "post"]
