"""The Telegram surface: application, handlers, addressing, keyboards, inline mode, memory."""
