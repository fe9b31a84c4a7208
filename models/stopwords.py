"""English + German stop words for topic keywords.

Topic labels are built from the top c-TF-IDF words of each topic; without these lists the
labels of a mixed EN/DE corpus fill up with "und · the · die". All entries are lower case and
already split the way the topic vectorizer tokenizes (so "don't" is listed as "don").
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

# Tokens the topic vectorizer keeps: two or more word characters with at least one letter,
# so "2fa" and "ios17" survive while "2024" and "10" do not.
TOKEN_PATTERN = r"(?u)\b(?=\w*[^\W\d_])\w\w+\b"

# sklearn's list misses contraction stems and chat spellings that tweets are full of.
_ENGLISH_EXTRA = """
    also already always another anyone anything anyway anywhere around aren been cannot cant
    could couldn did didn does doesn doing don dont done due else even ever every get gets
    getting got gotten had hadn has hasn have haven having hes however ill im isn its ive just
    let lets like ll make makes many may maybe might mine more most much must mustn need needs
    now okay ok one ones really re said say says see seems shan she shes should shouldn since
    still sure take thats theres theyre thing things think though thru til till today tho
    u ur us use used using ve via want wants wasn way well went weren whats whos will wont
    would wouldn ya yeah yes yet youre youve yall
"""

# A broad German function-word list: articles, pronouns in all cases, prepositions,
# conjunctions, auxiliaries and modal verbs in their common forms, particles and fillers.
_GERMAN = """
    ab aber alle allein allem allen aller allerdings alles als also am an ander andere anderem
    anderen anderer anderes anderm andern anders auch auf aus außer ausser außerdem ausserdem
    bald bei beide beiden beim beispiel bereits besonders besser bis bisher bist bitte bzw
    da dabei dadurch dafür dafuer dagegen daher dahin damals damit danach daneben dann daran
    darauf daraus darf darfst darin darum darunter darüber darueber das dass daß davon davor
    dazu dein deine deinem deinen deiner deines dem demnach den denen denn dennoch der deren
    derer des deshalb dessen desto dich die dies diese dieselbe dieselben diesem diesen dieser
    dieses dir doch dort dran drauf drin du durch dürfen duerfen darf ebenfalls ebenso eh eher
    eigentlich ein eine einem einen einer eines einfach einig einige einigem einigen einiger
    einiges einmal einzig entweder er es etwa etwas euch euer eure eurem euren eurer eures
    falls fast für fuer fürs fuers ganz gar gegen gegenüber gegenueber gehabt gemacht genau
    gerade grad gern gewesen gibt ging geht gehts gleich gut habe haben habt hab hast hat
    hatte hätte haette hatten
    hätten haetten heute hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres
    im immer in indem ins irgend irgendwie irgendwas ist ja je jede jedem jeden jeder jedes
    jedoch jemand jetzt kam kann kannst kaum kein keine keinem keinen keiner keines klar
    können koennen könnt koennt könnte koennte machen macht mal man manche manchem manchen
    mancher manches mehr mein meine meinem meinen meiner meines meist meisten mich mir mit
    muss muß müssen muessen musst mußt müsst muesst musste mussten nach nachdem natürlich
    natuerlich neben nein nicht nichts nie noch nun nur ob oben oder ohne per schon sehr
    sei seid sein seine seinem seinen seiner seines seit seitdem selbst sich sie sind so
    sogar solch solche solchem solchen solcher solches soll sollen sollte sollten sonst
    sowie sowieso statt über ueber überhaupt ueberhaupt um und uns unser unsere unserem
    unseren unserer unseres unter viel viele vielen vielleicht vom von vor vorher während
    waehrend war wäre waere waren wären waeren warst warum was weg wegen weil weiter welche
    welchem welchen welcher welches wem wen wenig wenige weniger wenn wer werde werden werdet
    weshalb wessen wie wieder wieso will wir wird wirklich wirst wo wohl wollen wollte
    wollten worden wurde würde wuerde wurden würden wuerden zu zum zur zwar zwischen
    ans aufs ins ums übers uebers vors zum zur heißt heisst gibts gehts
    eben halt ne nen nee naja na jo joa hmm hm tja echt total voll super
    komme kommen kommst kommt kam kamen neu neue neuem neuen neuer neues
    ach oh äh aeh ähm gestern morgen heute
"""

# Platform noise: link fragments, retweet markers and the "@user"/"http" placeholders that
# anonymised datasets (TweetEval) put in place of handles and links.
_SOCIAL_NOISE = """
    http https www com co de org net html emptydoc amp rt via user users url link lol lmao omg
    pls plz thx tweet tweets retweet follow dm
"""

# "app" is in nearly every app-store review; it tells nothing about what the review is about.
_CX_FILLER = "app apps"


def _words(block: str) -> set[str]:
    return set(block.split())


ENGLISH = frozenset(ENGLISH_STOP_WORDS | _words(_ENGLISH_EXTRA))
GERMAN = frozenset(_words(_GERMAN))
SOCIAL = frozenset(_words(_SOCIAL_NOISE) | _words(_CX_FILLER))

_BY_LANGUAGE = {"en": ENGLISH, "de": GERMAN}


def stop_words(
    languages: Iterable[str] = ("en", "de"), extra: Iterable[str] = ()
) -> frozenset[str]:
    """Stop words for `languages` (ISO 639-1 codes) plus social noise and `extra` words.

    `extra` is for words every document shares in one deployment, e.g. the brand's own name;
    they are split into tokens so "N26 Bank" removes both "n26" and "bank".
    """
    unknown = set(languages) - set(_BY_LANGUAGE)
    if unknown:
        raise ValueError(f"no stop word list for {sorted(unknown)}; have {sorted(_BY_LANGUAGE)}")
    words = set(SOCIAL)
    for language in languages:
        words |= _BY_LANGUAGE[language]
    for phrase in extra:
        words.update(re.findall(TOKEN_PATTERN, phrase.lower()))
    return frozenset(_tokenizable(words))


def _tokenizable(words: Iterable[str]) -> set[str]:
    """Keep only entries that the vectorizer can produce, so sklearn has nothing to warn about."""
    return {word for word in words if re.fullmatch(TOKEN_PATTERN, word)}
