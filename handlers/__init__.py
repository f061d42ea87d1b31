"""The Telegram and Bale channel: python-telegram-bot's Application, its handlers and runtime.

An Update becomes a `bot.dialogue.Turn` (citizen.py), the dialogue's replies are rendered and sent by the
platform outbox (send.py); wiring.py lists the handlers in order, app.py builds and runs the application
(serve, sandbox and tests share one lifecycle), notices.py runs the status-notice loop, sandbox.py is the
terminal chat against the in-process fake Bot API.
"""
