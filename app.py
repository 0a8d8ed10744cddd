"""tortodelova: `python app.py` runs the whole service on the embedded defaults (SQLite, SqliteHuey with an
in-process worker, images on disk, models under ./models).

    python app.py [--host 127.0.0.1] [--port 8000] [--share] [--offline] [--no-worker]
    python app.py migrate                      apply database migrations
    python app.py backup DIR                   database (pg_dump / SQLite online backup) + every stored image into DIR
    python app.py restore DIR                  into a fresh instance (empty database and store), checked
    python app.py create-admin EMAIL [--password P] [--promote]   create an admin (--promote: make an existing
                                               account admin; with --password its old password and sessions end)
"""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

logger = logging.getLogger("tortodelova")


def _check_models(settings, *, offline: bool) -> None:
    from tortodelova.pipeline.models import check_models

    status = check_models(settings.models_dir)
    if status.ok:
        return
    if offline:
        print(f"Модели не найдены в {settings.models_dir}: {', '.join(status.missing)}.\n"
              f"Скачайте их: python download_models.py --models-dir {settings.models_dir}\n"
              "Сервис запустится, но генерация будет недоступна, пока модели не появятся.", file=sys.stderr)
        return
    try:
        from tortodelova.pipeline.models import ensure_models
    except ImportError:
        from download_models import ensure_models
    print(f"Скачиваю недостающие модели в {settings.models_dir}: {', '.join(status.missing)}", file=sys.stderr)
    try:
        ensure_models(settings.models_dir, offline=False)
    except Exception as exc:  # no network: the service still starts and says what to run
        print(f"Не удалось скачать модели ({exc}).\nЗапустите: python download_models.py "
              f"--models-dir {settings.models_dir} (или --tiny для маленьких тестовых моделей)", file=sys.stderr)


def serve(args) -> int:
    import uvicorn

    from jobs.tasks import HueyQueue, embedded_consumer, make_huey, register_tasks
    from tortodelova.config import get_settings
    from tortodelova.server import build_services, create_app

    settings = get_settings()
    os.umask(0o077)  # everything this process writes under DATA_DIR is the owner's only
    _check_models(settings, offline=args.offline)
    huey = make_huey(settings)
    tasks = register_tasks(huey, settings)
    embedded_worker = not args.no_worker and not settings.redis_url
    services = build_services(settings, queue=HueyQueue(tasks, translate_in_process=embedded_worker))
    app = create_app(services=services)

    consumer = None
    if embedded_worker:
        # Embedded default: one worker thread in this process (a GPU/CPU runs one job at a time anyway).
        consumer = embedded_consumer(huey)
        consumer.start()
        logger.info("in-process worker started")
    elif settings.redis_url and not args.no_worker:
        logger.info("REDIS_URL is set: run workers with `huey_consumer jobs.huey -k process -w 1 -g TERM`")

    if args.share:
        _share(app, args)
    try:
        from tortodelova.server.http_protocol import HeaderTimeoutProtocol

        # Heads must arrive within HEADER_TIMEOUT_SECONDS; idle keep-alive connections close after 5 s; a request
        # head (line and headers) over 16 KiB is refused by the parser (h11 limit when h11 is used). log_config=None:
        # the structured logging set up above stays (issue 24).
        uvicorn.run(app, host=args.host, port=args.port, log_level="info", http=HeaderTimeoutProtocol,
                    timeout_keep_alive=5, h11_max_incomplete_event_size=16 * 1024, log_config=None)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
    return 0


def _share(app, args) -> None:
    """Ask Gradio for a public *.gradio.live tunnel to this server; say clearly when the network refuses."""
    try:
        from gradio import networking

        url = networking.setup_tunnel(local_host=args.host, local_port=args.port, share_token=None,
                                      share_server_address=None, share_server_tls_certificate=None)
        print(f"Публичная ссылка: {url}")
    except Exception as exc:
        print(f"Не удалось получить публичную ссылку Gradio (нет доступа к сети?): {exc}\n"
              f"Сервис доступен локально: http://{args.host}:{args.port}", file=sys.stderr)


def cmd_migrate(_args) -> int:
    from tortodelova.config import get_settings
    from tortodelova.db import make_engine, migrate

    settings = get_settings()
    settings.ensure_data_dir()
    migrate(make_engine(settings.sqlalchemy_url))
    print("Миграции применены")
    return 0


def cmd_create_admin(args) -> int:
    from tortodelova.accounts.service import ensure_admin
    from tortodelova.config import get_settings
    from tortodelova.db import make_engine, make_sessionmaker, migrate, session_scope
    from tortodelova.errors import DomainError

    os.umask(0o077)
    settings = get_settings()
    settings.ensure_data_dir()
    engine = make_engine(settings.sqlalchemy_url)
    migrate(engine)
    settings.ensure_data_dir()
    password = args.password
    if password is None and sys.stdin.isatty():
        password = getpass.getpass("Пароль (Enter — оставить прежний): ") or None
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            user = ensure_admin(session=session, settings=settings, email=args.email, password=password,
                                promote=args.promote)
    except DomainError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    print(f"Администратор: {user.email} (id {user.id})")
    return 0


def cmd_backup(args) -> int:
    from tortodelova.backup import BackupError, backup, restore
    from tortodelova.config import get_settings

    os.umask(0o077)  # the copy holds every account: the operator's only
    settings = get_settings()
    try:
        report = (backup if args.command == "backup" else restore)(settings, args.dir)
    except BackupError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    done = "Резервная копия создана" if args.command == "backup" else "Восстановлено"
    print(f"{done}: {args.dir} — база {report.database} ({', '.join(f'{k} {v}' for k, v in report.rows.items())}), "
          f"{report.objects} объектов ({report.bytes} байт) в хранилище {report.storage}, {report.seconds:.1f} с")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="tortodelova — дизайны тортов по описанию")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--share", action="store_true", help="публичная ссылка Gradio, если сеть позволяет")
    parser.add_argument("--offline", action="store_true", help="не скачивать модели при старте")
    parser.add_argument("--no-worker", action="store_true", help="не запускать встроенный обработчик заданий")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("migrate", help="применить миграции базы данных")
    admin = sub.add_parser("create-admin", help="создать или назначить администратора")
    admin.add_argument("email")
    admin.add_argument("--password")
    admin.add_argument("--promote", action="store_true",
                       help="назначить администратором уже зарегистрированный аккаунт (с --password его прежний "
                            "пароль и сессии перестают действовать)")
    for name, text in (("backup", "резервная копия: база данных и все изображения в папку DIR"),
                       ("restore", "восстановить копию из DIR в новый экземпляр (пустые база и хранилище)")):
        command = sub.add_parser(name, help=text)
        command.add_argument("dir")
    args = parser.parse_args(argv)
    from tortodelova.config import get_settings
    from tortodelova.observability.logs import configure_logging

    try:
        production = get_settings().is_production
    except Exception:  # noqa: BLE001 - invalid settings are reported by the command itself
        production = False
    configure_logging(production=production)
    if args.command == "migrate":
        return cmd_migrate(args)
    if args.command == "create-admin":
        return cmd_create_admin(args)
    if args.command in ("backup", "restore"):
        return cmd_backup(args)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
