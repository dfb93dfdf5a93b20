"""One person flooding a group: a bounded number of replies, and everyone else still answered.

The real Application long-polls tests/fake_bot_api.py over HTTP. One member sends a flood of
questions to a group (`/ask ...`); other members of that group, and someone in a private chat,
ask while the flood is queued. The flooder gets FACTBOT_USER_REPLIES_PER_MINUTE replies (answers
or pointers to an earlier answer), then one notice, then silence; every other question gets its
answer. Each person's messages are handled in order but apart from everyone else's
(bot/tg/ledger.py, ChatOrderedProcessor), so the others do not wait for the flood to drain.

Fast variant always on (100 messages); `pytest -m slow` sends 1,000.
"""

from __future__ import annotations

import time

import pytest

from .fake_bot_api import (
    BURST_QUESTIONS,
    FakeBotApi,
    group_chat,
    message,
    polling_bot,
    private_chat,
    until_idle,
    user,
)

pytestmark = pytest.mark.e2e

LIMIT = 5  # FACTBOT_USER_REPLIES_PER_MINUTE's default
GROUP = group_chat(-100_777)
FLOODER = user(4242, "Flood")
OTHERS = [user(5000 + n, f"Member {n}") for n in range(4)]
FLOOD_TEXTS = BURST_QUESTIONS[:6]
OTHER_TEXTS = BURST_QUESTIONS[6:10]  # not asked by the flooder: each gets a full answer, not a pointer
PRIVATE = private_chat(6000)


async def flood(api: FakeBotApi, kb, messages: int) -> dict:
    """Queue the flood with the others' questions among it (at 10 %, 40 %, 70 % and 95 %) and a
    private question in the middle; let the bot at it; what each got."""
    others_at = {int(messages * share): n for n, share in enumerate((0.1, 0.4, 0.7, 0.95))}
    flooded, others, private = [], [], None
    for k in range(messages):
        ask = api.push({"message": message(f"/ask {FLOOD_TEXTS[k % len(FLOOD_TEXTS)]}", GROUP, FLOODER)})
        flooded.append(ask["message"]["message_id"])
        if k in others_at:
            n = others_at[k]
            other = api.push({"message": message(f"/ask {OTHER_TEXTS[n]}", GROUP, OTHERS[n])})
            others.append(other["message"]["message_id"])
        if k == messages // 2:
            private = api.push({"message": message("where is assad", PRIVATE, user(PRIVATE["id"]))})["message"]
    started = time.monotonic()
    async with polling_bot(api, kb) as application:
        await api.wait_for(lambda _: all(api.replies_to(GROUP["id"], m) for m in others)
                           and api.replies_to(PRIVATE["id"], private["message_id"]), timeout=60)
        others_answered_after = time.monotonic() - started
        await until_idle(api, application, timeout=120)
        await api.settle(0.2)
        handled = application.bot_data["factbot"].ledger.summary()
    to_group = [c for c in api.of("sendMessage") if int(c["chat_id"]) == GROUP["id"]]
    to_others = [c for c in to_group if (c.get("reply_parameters") or {}).get("message_id") in others]
    figures = {
        "flood_messages": messages,
        "replies_to_the_flooder": len(to_group) - len(to_others),
        "notices": sum(1 for c in to_group if c["text"] == kb.text("tg_rate_limited")),
        "other_members_answered": sum(1 for m in others if len(api.replies_to(GROUP["id"], m)) == 1),
        "other_members": len(others),
        "private_answered": len(api.replies_to(PRIVATE["id"], private["message_id"])),
        "updates_handled": handled.handled,
        "others_answered_after_s": round(others_answered_after, 2),
        "seconds": round(time.monotonic() - started, 1),
    }
    print(f"\nflood: {figures}")
    return figures


def assert_bounded(figures: dict) -> None:
    assert figures["replies_to_the_flooder"] <= LIMIT + 1, figures
    assert figures["replies_to_the_flooder"] == LIMIT + 1, "five answers and one notice, within the minute"
    assert figures["notices"] == 1
    assert figures["other_members_answered"] == figures["other_members"] == len(OTHERS)
    assert figures["private_answered"] == 1
    assert figures["updates_handled"] == figures["flood_messages"] + len(OTHERS) + 1, "every update was handled"


async def test_a_flooder_gets_a_bounded_number_of_replies_and_others_are_answered(api, kb):
    assert_bounded(await flood(api, kb, 100))


@pytest.mark.slow
async def test_a_flood_of_a_thousand_messages_is_bounded_and_others_are_answered(api, kb):
    assert_bounded(await flood(api, kb, 1000))
