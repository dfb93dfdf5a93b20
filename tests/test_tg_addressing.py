"""When is a message meant for the bot, and what is the question? (bot/tg/addressing.py)"""

from __future__ import annotations

from telegram import Message

from bot.tg.addressing import Addressed, addressing

from .fake_bot_api import BOT_ID, BOT_USER, BOT_USERNAME, bot_message, channel_chat, group_chat, message, private_chat, user


def addressed(payload: dict) -> Addressed | None:
    return addressing(Message.de_json(payload, None), BOT_USERNAME, BOT_ID)


def question(payload: dict) -> str | None:
    result = addressed(payload)
    return None if result is None else result.question


GROUP = group_chat()


# -- private chats ----------------------------------------------------------------------------
def test_private_text_is_always_a_question():
    assert addressed(message("who controls homs?")) == Addressed("who controls homs?", "private")


def test_private_ask_command_is_stripped():
    assert question(message("/ask who controls homs?")) == "who controls homs?"


def test_private_mention_of_the_bot_is_stripped():
    assert question(message(f"@{BOT_USERNAME} where is assad")) == "where is assad"


def test_private_bare_ask_gives_an_empty_question_for_the_usage_hint():
    assert addressed(message("/ask")) == Addressed("", "command")


def test_private_non_text_is_not_a_question():
    assert addressed(message(None, sticker={"file_id": "x", "file_unique_id": "y", "type": "regular",
                                            "width": 1, "height": 1, "is_animated": False, "is_video": False})) is None


# -- groups -----------------------------------------------------------------------------------
def test_group_chatter_without_address_is_ignored():
    assert addressed(message("who controls homs?", GROUP)) is None


def test_group_ask_command_is_a_question():
    assert addressed(message("/ask who controls homs?", GROUP)) == Addressed("who controls homs?", "command")


def test_group_ask_with_our_username_is_a_question():
    assert question(message(f"/ask@{BOT_USERNAME} who controls homs?", GROUP)) == "who controls homs?"


def test_group_ask_username_is_case_insensitive():
    assert question(message("/ask@FactBot_Test_Bot where is assad", GROUP)) == "where is assad"


def test_group_ask_for_another_bot_is_ignored():
    assert addressed(message("/ask@some_other_bot who controls homs?", GROUP)) is None


def test_group_bare_ask_gives_an_empty_question_for_the_usage_hint():
    assert addressed(message("/ask", GROUP)) == Addressed("", "command")
    assert addressed(message(f"/ask@{BOT_USERNAME}   ", GROUP)) == Addressed("", "command")


def test_group_other_commands_are_left_to_their_handlers():
    assert addressed(message(f"/start@{BOT_USERNAME}", GROUP)) is None
    assert addressed(message("/help", GROUP)) is None


def test_group_mention_at_the_start_is_stripped():
    assert addressed(message(f"@{BOT_USERNAME}, who controls homs?", GROUP)) == Addressed("who controls homs?", "mention")


def test_group_mention_in_the_middle_is_stripped():
    assert question(message(f"hey @{BOT_USERNAME}, where is assad?", GROUP)) == "hey, where is assad?"


def test_group_mention_at_the_end_is_stripped():
    assert question(message(f"where is assad @{BOT_USERNAME}", GROUP)) == "where is assad"


def test_group_text_mention_of_the_bot_user_is_a_question():
    payload = message("factbot where is assad", GROUP)
    payload["entities"] = [{"type": "text_mention", "offset": 0, "length": 7, "user": BOT_USER}]
    assert addressed(payload) == Addressed("where is assad", "mention")


def test_group_text_mention_of_someone_else_is_ignored():
    payload = message("Rana where is assad", GROUP)
    payload["entities"] = [{"type": "text_mention", "offset": 0, "length": 4, "user": user(7, "Rana")}]
    assert addressed(payload) is None


def test_group_plain_text_mention_without_entity_counts():
    payload = message(f"@{BOT_USERNAME} who controls homs", GROUP)
    payload.pop("entities")
    assert question(payload) == "who controls homs"


def test_group_mention_of_another_bot_is_ignored():
    assert addressed(message("@some_other_bot who controls homs?", GROUP)) is None


def test_group_mention_of_a_longer_username_is_not_ours():
    assert addressed(message(f"@{BOT_USERNAME}2 who controls homs?", GROUP)) is None


def test_group_mention_after_emoji_uses_telegram_utf16_offsets():
    assert question(message(f"🇸🇾🔥 @{BOT_USERNAME} who controls homs", GROUP)) == "🇸🇾🔥 who controls homs"


def test_group_reply_to_the_bot_is_a_question():
    payload = message("and damascus?", GROUP, reply_to=bot_message(GROUP, 5000))
    assert addressed(payload) == Addressed("and damascus?", "reply")


def test_group_reply_to_another_user_is_ignored():
    other = message("homs has fallen", GROUP, user(7, "Sami"))
    assert addressed(message("really?", GROUP, reply_to=other)) is None


def test_group_mention_only_gives_an_empty_question():
    assert addressed(message(f"@{BOT_USERNAME}", GROUP)) == Addressed("", "mention")


def test_automatic_forward_of_a_channel_post_is_ignored():
    assert addressed(message(f"/ask@{BOT_USERNAME} who controls homs", GROUP, is_automatic_forward=True)) is None


# -- forum topics -----------------------------------------------------------------------------
FORUM = group_chat(forum=True)


def test_forum_topic_message_is_not_a_reply_to_the_topic_starter():
    root = bot_message(FORUM, 77)  # the bot happens to have started the topic
    root["forum_topic_created"] = {"name": "Syria", "icon_color": 0}
    assert addressed(message("who controls homs", FORUM, thread_id=77, reply_to=root)) is None


def test_forum_topic_thread_root_is_not_a_reply_to_the_bot():
    assert addressed(message("who controls homs", FORUM, thread_id=77, reply_to=bot_message(FORUM, 77))) is None


def test_forum_topic_explicit_reply_to_the_bot_is_a_question():
    earlier = bot_message(FORUM, 5001, thread_id=77)
    assert addressed(message("and damascus?", FORUM, thread_id=77, reply_to=earlier)) == Addressed("and damascus?", "reply")


def test_forum_topic_mention_is_a_question():
    assert question(message(f"@{BOT_USERNAME} where is assad", FORUM, thread_id=77)) == "where is assad"


# -- channels ---------------------------------------------------------------------------------
CHANNEL = channel_chat()


def test_channel_post_with_ask_is_a_question():
    assert addressed(message("/ask who controls homs", CHANNEL)) == Addressed("who controls homs", "command")


def test_channel_post_with_mention_is_a_question():
    assert question(message(f"@{BOT_USERNAME} where is assad?", CHANNEL)) == "where is assad?"


def test_channel_post_without_address_is_ignored():
    assert addressed(message("Breaking: rebels enter Homs", CHANNEL)) is None


def test_basic_group_behaves_like_a_supergroup():
    basic = {"id": -555, "type": "group", "title": "old group"}
    assert addressed(message("who controls homs?", basic)) is None
    assert question(message("/ask who controls homs?", basic)) == "who controls homs?"


def test_private_chat_with_explicit_chat_is_addressed():
    assert question(message("where is assad", private_chat(43), user(43))) == "where is assad"
