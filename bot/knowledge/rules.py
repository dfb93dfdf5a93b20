"""What all curated data is held to: the contract's intent ids, the languages, the shape of an id."""

from __future__ import annotations

import re

# The ids that tests and tools outside this repository rely on (../shared/contract.md).
CONTRACT_INTENTS = (
    "homs_control", "homs_capture", "homs_residents", "homs_strategic", "homs_prison",
    "golani_statement", "rebels_who", "damascus_status", "damascus_protests", "army_position",
    "assad_whereabouts", "assad_us_outreach", "us_assessment", "statue_toppled",
    "syria_overview", "sources", "help",
)
LANGS = ("en", "ar", "ru", "uk")
MIN_EXAMPLES = 25
MIN_EXAMPLES_OTHER = 15  # per intent in each language other than English
ID = re.compile(r"^[a-z][a-z0-9_]*$")
