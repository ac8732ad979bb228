"""One line defining each figure a report shows, with the section it belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Definition:
    name: str
    text: str
    estimate: bool = False


def definitions() -> list[tuple[str | None, Definition]]:
    """One line per figure, with the section it belongs to (None: always shown)."""
    return [
        (
            "supporters",
            Definition(
                _("Joined"),
                _("People who submitted the join form with consent, each counted once."),
            ),
        ),
        (
            "supporters",
            Definition(
                _("Confirmed by email"),
                _("Joined supporters who opened the link mailed to them and confirmed."),
            ),
        ),
        (
            "supporters",
            Definition(
                _("Verified by a public post"),
                _("Joined supporters with a public campaign post found or proven."),
            ),
        ),
        (
            "posts",
            Definition(
                _("Posts"),
                _(
                    "Public posts collected from the sources below that carry a campaign hashtag "
                    "or mention a target, inside the collection window, each counted once."
                ),
            ),
        ),
        (
            "posts",
            Definition(
                _("Original posts, reposts, replies, quotes"),
                _("The same posts by kind; each post has exactly one kind."),
            ),
        ),
        (
            "posts",
            Definition(
                _("Hashtags used alongside"),
                _("Other hashtags in the collected posts, by the number of posts using each."),
            ),
        ),
        (
            "authors",
            Definition(
                _("Unique authors"), _("Distinct accounts that wrote at least one of the posts.")
            ),
        ),
        (
            "authors",
            Definition(
                _("Potential reach"),
                _(
                    "The sum of the unique authors' follower counts: how many accounts could "
                    "have seen a post, not how many did."
                ),
                estimate=True,
            ),
        ),
        (
            "authors",
            Definition(
                _("Potential impressions"),
                _("The sum over all posts of their author's follower count."),
                estimate=True,
            ),
        ),
        (
            "authors",
            Definition(
                _("Views reported by the networks"),
                _("View counts that networks publish for posts; absent where none does."),
            ),
        ),
        (
            "engagement",
            Definition(
                _("Likes, reposts, replies, quotes"),
                _("The reactions the collected posts had when they were last read."),
            ),
        ),
        (
            "countries",
            Definition(
                _("Supporters by country"),
                _("Joined supporters by the country each chose; not derived from IP addresses."),
            ),
        ),
        (
            "countries",
            Definition(
                _("Authors by estimated country"),
                _(
                    "Estimated from the location in each author's profile, else from a language "
                    "spoken mainly in one country; authors not placed so are counted as unplaced."
                ),
                estimate=True,
            ),
        ),
        (
            "languages",
            Definition(
                _("Posts by language"),
                _("The language the network gives for each post, else one detected from its text."),
            ),
        ),
        (
            "networks",
            Definition(_("Posts by network"), _("The network each collected post was found on.")),
        ),
        (
            "targets",
            Definition(
                _("Targets"), _("Collected posts that mention each target account, per network.")
            ),
        ),
        (
            "targets",
            Definition(
                _("Targets' answers"),
                _("What each target answered, as the organisers recorded it, with its source."),
            ),
        ),
        (
            "what_worked",
            Definition(
                _("What worked"),
                _(
                    "Share buttons pressed per network and per message text, the campaign's "
                    "posts that follow each text (half alike or more), and joins through "
                    "supporters' personal links."
                ),
            ),
        ),
        (
            "authenticity",
            Definition(
                _("Bot-like authors"),
                _("Authors whose accounts show automated-looking signals; a signal, not proof."),
            ),
        ),
        (
            "authenticity",
            Definition(
                _("Template posts"),
                _("Posts whose text is the same as or nearly the same as a campaign template."),
            ),
        ),
        (
            "authenticity",
            Definition(
                _("Suspect clusters"),
                _("Groups of near-identical posts from different accounts."),
            ),
        ),
        (
            "authenticity",
            Definition(
                _("Bursts"),
                _("Short spells with far more posts than usual; how many came from new accounts."),
            ),
        ),
        (
            None,
            Definition(
                _("Without flagged"),
                _("The same figure leaving out flagged posts and authors (see Authenticity)."),
            ),
        ),
        (
            None,
            Definition(
                _("Dataset hash"),
                _("SHA-256 of the data the report was computed from: same data, same hash."),
            ),
        ),
    ]
