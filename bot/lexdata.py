"""What Persian words are, from hazm's own word and verb lists: used to tell, for a word the catalogue does
not contain, whether it names something (گذرنامه: the citizen wants a service we may not have) or is
grammar and chat (تو، کدوم، میتونه، بگیره) that says nothing about which service is meant.
"""

from __future__ import annotations

from functools import lru_cache

# hazm part-of-speech tags that make a word a content word.
_CONTENT_TAGS = frozenset({"N", "AJ", "0"})
# Present stems of everyday spoken verbs that differ from the written stem hazm lists.
_SPOKEN_STEMS = frozenset({"ا", "تون", "خوا", "گ", "ر", "د", "ش", "ک", "زن", "بر", "گیر", "خور", "کن", "دون", "شین"})
_VERB_PREFIXES = ("نمی", "می", "ن", "ب", "")
_VERB_ENDINGS = ("یم", "ین", "ید", "ند", "ست", "م", "ی", "ه", "ن", "د", "")


@lru_cache(maxsize=1)
def _lists() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(content words, function words, verb stems), loaded once from hazm's data files."""
    from hazm import stopwords_list, verbs_list, words_list

    from bot.folding import fold

    content: set[str] = set()
    function: set[str] = set()
    for word, _freq, tags in words_list():
        key = fold(word)
        if not key or " " in key:
            continue
        (content if _CONTENT_TAGS & set(tags) else function).add(key)
    function.update(fold(w) for w in stopwords_list() if " " not in fold(w))
    content -= function
    stems: set[str] = set(_SPOKEN_STEMS)
    for entry in verbs_list():
        for part in entry.split("#"):
            key = fold(part)
            if len(key) >= 2:
                stems.add(key)
    return frozenset(content), frozenset(function), frozenset(stems)


def is_function_word(token: str) -> bool:
    """Prepositions, conjunctions, pronouns, adverbs and the like (hazm's tags and stopwords)."""
    return token in _lists()[1]


def is_content_word(token: str) -> bool:
    """A noun or adjective hazm knows."""
    return token in _lists()[0]


LIGHT_VERB_STEMS = frozenset({"کن", "کرد", "شو", "شد", "ده", "داد", "د", "گیر", "گرفت", "زن", "زد", "دار", "داشت", "ش"})


@lru_cache(maxsize=65_536)
def verb_stem(token: str, *, even_if_noun: bool = False) -> str | None:
    """The stem of a conjugated verb, written or spoken («میتونه» → تون, «بگیره» → گیر, «کنن» → کن),
    or of an infinitive («گرفتن» → گرفت); None when the word does not look like a verb."""
    content, _, stems = _lists()
    if len(token) >= 4 and token[-1] == "ن" and token[-2] in "تد" and token[:-1] in stems:
        return token[:-1]
    if token in content and not even_if_noun and not token.startswith("می"):
        return None
    for prefix in _VERB_PREFIXES:
        if not token.startswith(prefix):
            continue
        rest = token[len(prefix) :]
        for ending in _VERB_ENDINGS:
            if ending and not rest.endswith(ending):
                continue
            middle = rest[: len(rest) - len(ending)] if ending else rest
            if middle in stems and (prefix or ending) and len(middle) >= (1 if prefix else 2):
                return middle
    return None


@lru_cache(maxsize=65_536)
def looks_like_verb(token: str) -> bool:
    """Whether a word is a conjugated verb or an infinitive (see `verb_stem`)."""
    return verb_stem(token) is not None


@lru_cache(maxsize=65_536)
def is_light_verb(token: str) -> bool:
    """کردن، شدن، دادن، گرفتن، زدن، داشتن in any form: the verb of a compound like «شرکت کنه»."""
    return verb_stem(token, even_if_noun=True) in LIGHT_VERB_STEMS


@lru_cache(maxsize=65_536)
def spoken_variants(token: str) -> tuple[str, ...]:
    """Written forms a spoken word may stand for: «سازمانه» → «سازمان» (است), «کلاسای» → «کلاس»,
    «شهردارا» → «شهردار», «قانونیه» → «قانونی», «قانون»."""
    out: list[str] = []
    if len(token) >= 4 and token.endswith("یه"):
        out += [token[:-1], token[:-2]]
    elif len(token) >= 4 and token.endswith("ه"):
        out.append(token[:-1])
    if len(token) >= 5 and token.endswith("ای"):
        out.append(token[:-2])
    if len(token) >= 4 and token.endswith("ا") and not token.endswith("ها"):
        out.append(token[:-1])
    if len(token) >= 5 and token.endswith("هاش"):
        out.append(token[:-3])
    if len(token) >= 4 and token.endswith("ش"):
        out.append(token[:-1])
    return tuple(out)


def warm() -> None:
    """Loads the lists now (at knowledge load) rather than on the first citizen's message."""
    _lists()


def dictionary_words() -> frozenset[str]:
    """Every word hazm's dictionary knows (content and function words), folded."""
    content, function, _ = _lists()
    return content | function


# Large cities, for telling a place («استانداری تهران», «روستاهای اطراف شیراز») from what is asked.
_CITIES = (
    "مشهد", "تبریز", "شیراز", "کرج", "اهواز", "رشت", "ارومیه", "زاهدان", "اراک", "سنندج", "خرم آباد",
    "گرگان", "ساری", "بندرعباس", "بیرجند", "بجنورد", "شهرکرد", "یاسوج", "کاشان", "دزفول", "آمل", "بابل",
    "نیشابور", "سبزوار", "قزوین", "ورامین", "شهریار", "اسلامشهر", "آبادان", "خوی", "بروجرد", "ملایر",
)


@lru_cache(maxsize=1)
def _places() -> frozenset[str]:
    from bot.folding import fold
    from bot.places import PROVINCES

    words = {w for name in (*PROVINCES, *_CITIES) for w in fold(name).split() if len(w) > 2}
    return frozenset((words - {"مرکزی", "شرقی", "غربی", "شمالی", "جنوبی", "رضوی"}) | {"استان", "شهرستان"})


def is_place(token: str) -> bool:
    """A province or large city («تهران», «شیراز», «استان»): where the citizen is, not what they ask for."""
    return token in _places()


# Endings glued to a noun or adjective in speech: «عشایریم» (we are nomads), «کارمون», «بزرگتر», «خونگی».
_ENDINGS = ("هامون", "هاتون", "هاشون", "یمون", "مون", "تون", "شون", "ترین", "تر", "یم", "ام", "ها", "م", "ش")


@lru_cache(maxsize=65_536)
def inflected_variants(token: str) -> tuple[str, ...]:
    """Dictionary forms a spoken, inflected word may stand for, longest first: personal endings and
    comparatives stripped, and the spoken «ون» for written «ان» («خونگی» → «خانگی», «زمستونا» → «زمستان»)."""
    out: list[str] = []
    for end in _ENDINGS:
        if len(token) >= len(end) + 3 and token.endswith(end):
            out.append(token[: -len(end)])
    base = [token, *out]
    for form in base:
        i = form.rfind("ون")
        if 0 < i and len(form) >= 4 and form[i - 1] not in "او":
            out.append(form[:i] + "ان" + form[i + 2 :])
    seen: set[str] = set()
    return tuple(v for v in out if v != token and not (v in seen or seen.add(v)))


_PERSONAL = ("یم", "ید", "ند", "ین", "ن", "م", "ی", "ه", "ست")


@lru_cache(maxsize=65_536)
def is_verb_form(token: str) -> bool:
    """A conjugated verb, written or spoken, even when the same letters also spell a noun hazm knows
    («بدن» is «بدهند», «برگشتم» «I came back»): for telling where a phrase ends, not what a word means."""
    if looks_like_verb(token):
        return True
    st = verb_stem(token, even_if_noun=True)
    if st is None or st == token or token.startswith(st + "ی"):
        return False
    if token.startswith(("ب", "می", "نمی")) and not token.startswith(st):
        return True  # a verbal prefix: «بدن» (بدهند), «نمیده»
    if token.startswith("ن") and not token.startswith(st) and len(st) >= 2:
        return True  # «نداریم», not «نام»
    return len(st) >= 4 and token in _lists()[0] and not token.endswith("ی")  # «برگشتم», not «نام», «تازه»


_POSSESSIVE = ("مون", "تون", "شون", "م", "ت", "ش")


@lru_cache(maxsize=65_536)
def is_possessed(token: str) -> bool:
    """A noun with a possessive ending («پسرم», «ماشینم», «همسرش»): the citizen's own things, which tell
    about their life more than about the service they want."""
    return any(len(token) > len(end) + 2 and token.endswith(end) and token[: -len(end)] in _lists()[0]
               for end in _POSSESSIVE)
