"""Everyday English words that are never treated as a misspelt name.

Two sources: a short hand-made list of words one letter away from a name, and
`data/english_words.txt` (ordinary English words, see its header).

Without this list "home" would be corrected to "homs" and "has" to "hts". The list only has
to cover short common words near a name; longer words rarely sit one edit from a name.
"""

from pathlib import Path

_HAND_MADE = frozenset(
    """
    a about above after again against ago all also am an and any anyone anything are area
    around as ask at away back bad base bases be been before being best big both but by came
    can cant capital case center centre city come could country day days did didnt do does
    doing done dont down during each east else end even ever every fall fell few find first
    for from front get give go goes going gone good got had has hasnt have having he help
    her here him his home homes hope how i if in inside into is isnt it its just know last
    late later latest least left less like live lives long look made make man many may me
    might more most much must my name near need never new news next no not now of off old on
    once one only or other our out over own part past people place plan post posts power
    put rest right run runs said same saw say says see seen she should show side since so
    some still such sure take taken tell than thank thanks that the their them then there
    these they thing think this those though through time to today told too took town true
    under until up us use very want war was way we week well went were what when where which
    while who whole why will with without word words work would yes yet you your
    hams hemp hose hoses hold holds held ass hat hit hot gas mass pass sad
    shame sharp share shared shares arms arm aims
    """.split()
)


def _english() -> set[str]:
    path = Path(__file__).with_name("data") / "english_words.txt"
    # Read at every start: a set of all the lines, then the few blank and comment lines out,
    # is quicker than passing twenty thousand lines through a generator one by one.
    words = set(path.read_text(encoding="utf-8").split("\n"))
    words.difference_update([w for w in words if not w or w[0] == "#"])  # blank and comment lines
    return words


COMMON_WORDS = frozenset(_english().union(_HAND_MADE))
