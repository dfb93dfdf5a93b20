"""Inline mode: `@ourbot question` in any chat offers answers to send there."""

from __future__ import annotations

from telegram import InlineQueryResultArticle, InputTextMessageContent
from telegram.constants import ParseMode

from ..answer import answer, answer_intent
from ..knowledge import KnowledgeBase
from ..model import Reply
from ..render import format_date, to_html, to_text
from .keyboards import main_topics

SURFACE = "group"  # inline answers land in chats with other people: no follow-up prompts
MAX_RESULTS = 5


def results(kb: KnowledgeBase, query: str, lang: str, stale_days: int) -> list[InlineQueryResultArticle]:
    """The best answer and close alternatives (or just the alternatives when the question could
    mean any of them); the main topics for an empty or unknown query."""
    replies: list[Reply] = []
    refusal: Reply | None = None
    if query.strip():
        best = answer(kb, query, lang, stale_days=stale_days)
        if best.answered:
            replies.append(best)
        if best.answered or best.asks_back:  # asked back: each close topic is a result to pick
            replies += [answer_intent(kb, i, lang, stale_days=stale_days) for i in best.alternatives]
        else:
            refusal = best
            # a near miss's nearest topic ("what did trump say?"), before the main topics
            replies += [answer_intent(kb, i, lang, stale_days=stale_days) for i in best.alternatives]
    if not replies:
        replies = [answer_intent(kb, i, lang, stale_days=stale_days) for i in main_topics(kb)]
    articles = [_article(kb, r) for r in replies[:MAX_RESULTS]]
    if refusal is not None:
        articles.insert(0, InlineQueryResultArticle(
            id="none",
            title=kb.text("tg_inline_no_facts_title", refusal.lang),
            input_message_content=InputTextMessageContent(to_html(kb, refusal, SURFACE), parse_mode=ParseMode.HTML),
            description=to_text(kb, refusal, SURFACE),
        ))
    return articles


def _article(kb: KnowledgeBase, reply: Reply) -> InlineQueryResultArticle:
    description = (kb.text("tg_inline_description", reply.lang, date=format_date(kb, reply.as_of, reply.lang))
                   if reply.as_of else None)
    return InlineQueryResultArticle(
        id=reply.intent or "none",
        title=kb.intents[reply.intent].display(reply.lang) if reply.intent else reply.question,
        input_message_content=InputTextMessageContent(to_html(kb, reply, SURFACE), parse_mode=ParseMode.HTML),
        description=description,
    )
