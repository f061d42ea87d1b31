"""A bare python-telegram-bot echo bot: the ceiling of the stack in the load run (scripts/load_run.py).

Same transport, same polling and the same per-update concurrency as the real bot, and nothing else:
no search, no database. Reads BOT_TOKEN and BOT_API_BASE_URL like the bot.
"""

from __future__ import annotations

import asyncio
import os
import signal

from telegram import Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text or "…")


async def tap(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()
    await context.bot.send_message(update.effective_chat.id, update.callback_query.data or "…")


async def main() -> None:
    base = os.environ["BOT_API_BASE_URL"].rstrip("/")
    app = (
        ApplicationBuilder()
        .token(os.environ["BOT_TOKEN"])
        .base_url(base if base.endswith("/bot") else base + "/bot")
        .concurrent_updates(int(os.environ.get("BOT_MAX_CONCURRENT_UPDATES", "64")))
        .build()
    )
    app.add_handler(MessageHandler(filters.ALL, echo))
    app.add_handler(CallbackQueryHandler(tap))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=20)
        await stop.wait()
        await app.updater.stop()
        await app.stop()


if __name__ == "__main__":
    asyncio.run(main())
