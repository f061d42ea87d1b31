"""The Telegram and Bale channel: python-telegram-bot's Application, its handlers and runtime.

An Update becomes a `bot.dialogue.Turn` (citizen.py), the dialogue's replies are rendered and sent by the
platform outbox (send.py), paced (pacing.py); wiring.py lists the handlers in order, app.py builds and runs
the application (serve, sandbox and tests share one lifecycle); updates arrive through the durable inbox by
long polling (inbox.py) or webhook (webhook.py); notices.py runs the status-notice loop; metrics.py counts
and monitor.py serves /healthz and /metrics (both HTTP servers: http.py); sandbox.py is the terminal chat
against the in-process fake Bot API.
"""
