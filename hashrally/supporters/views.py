from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from hashrally.campaigns import pages, visit
from hashrally.campaigns.models import Campaign
from hashrally.core import locales, networks, pagecache
from hashrally.core.clients import client_ip
from hashrally.supporters import actions, card, counts, crypto, display, links, pow, updates
from hashrally.supporters.forms import JoinForm, MyDataForm, MyRecordForm, ProofForm
from hashrally.supporters.models import Supporter

COOKIE_SALT = "hashrally.supporter"


def _cookie_name(campaign: Campaign) -> str:
    return f"hr_joined_{campaign.pk}"


def _live(slug: str) -> Campaign:
    # Kept for a few seconds like the pages: during a spike every join would otherwise read the
    # same row first. Texts are loaded only when a page is rendered.
    campaign = pagecache.get(f"live-campaign:{slug}")
    if campaign is None:
        # Read fresh, not from a stale copy: a join must reach the database anyway.
        campaign = Campaign.objects.filter(slug=slug, status=Campaign.Status.LIVE).first()
        pagecache.set(f"live-campaign:{slug}", campaign or False)
    if not campaign:
        raise Http404(_("This campaign does not exist or no longer takes supporters."))
    return campaign


def _join_context(campaign: Campaign, form: JoinForm, request: HttpRequest) -> dict[str, object]:
    return {
        "campaign": campaign,
        "text": visit.text_for(request, campaign),
        "form": form,
        "handle_fields": [form[name] for name in form.fields if name.startswith("handle_")],
        "handle_errors": any(form.errors.get(n) for n in form.fields if n.startswith("handle_")),
        "altcha_url": reverse("supporters:altcha", args=[campaign.slug]),
    }


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=lambda group, request: settings.HASHRALLY_JOIN_RATE, method="POST")
def join(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _live(slug)
    if request.method == "POST":
        form = JoinForm(request.POST, campaign=campaign)
        if form.is_bot:
            # Bots get the same answer as people and learn nothing; nothing is stored.
            return HttpResponseRedirect(reverse("supporters:thanks", args=[slug]), status=303)
        if form.is_valid():
            result = actions.do_join(
                campaign,
                form.cleaned_data,
                language=translation.get_language(),
                client_ip=client_ip(request),
                owner=_supporter_from_cookie(request, campaign),
            )
            thanks_url = reverse("supporters:thanks", args=[slug])
            # "We sent you an email" whichever mail it was (a confirmation, or a link for the
            # known owner of that address), so the page never tells whether an address joined.
            response = HttpResponseRedirect(
                thanks_url + ("?mailed=1" if result.mailed else ""), status=303
            )
            # The browser holds the record it made, or the one it held already. A record with
            # an email is handed over only through the confirmation link (whoever reads that
            # mailbox), so the answer to a join with a known address looks the same.
            if result.supporter is not None and not (result.created and result.mailed):
                _hold(response, campaign, result.supporter)
            return response
        status = 400
    else:
        form = JoinForm(campaign=campaign, initial={"ref": request.GET.get("ref", "")[:16]})
        status = 200
    template = (
        "supporters/join_fragment.html" if request.GET.get("fragment") else "supporters/join.html"
    )
    return render(request, template, _join_context(campaign, form, request), status=status)


def _hold(response: HttpResponse, campaign: Campaign, supporter: Supporter) -> None:
    """This browser holds the supporter's record: it may see it on the thanks page, add
    proof links and change it by joining again."""
    response.set_signed_cookie(
        _cookie_name(campaign),
        str(supporter.public_id),
        salt=COOKIE_SALT,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def _supporter_from_cookie(request: HttpRequest, campaign: Campaign) -> Supporter | None:
    public_id = request.get_signed_cookie(_cookie_name(campaign), default=None, salt=COOKIE_SALT)
    if not public_id:
        return None
    return Supporter.objects.filter(campaign=campaign, public_id=public_id).first()


def _thanks_context(
    request: HttpRequest, campaign: Campaign, supporter: Supporter | None, proof_form: ProofForm
) -> dict[str, object]:
    """The thanks page, shown after joining and again when a proof link is refused: the
    composer and the referral link stay, whatever the proof form says."""
    text = visit.text_for(request, campaign)
    campaign_url = visit.campaign_url(request, campaign)
    return {
        "campaign": campaign,
        "text": text,
        **visit.composer_context(request, campaign, text.language),
        "supporter": supporter,
        "referral_url": f"{campaign_url}?ref={supporter.ref_code}" if supporter else "",
        "awaiting_confirmation": bool(
            supporter and supporter.email_hash and not supporter.confirmed
        ),
        # The join just mailed the address given (the record, when new, is handed to a
        # browser by the link in that mail).
        "mailed": request.GET.get("mailed") == "1",
        "proof_form": proof_form,
        "proofs": list(supporter.proofs.all()) if supporter else [],
    }


@require_GET
@never_cache
def thanks(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _live(slug)
    supporter = _supporter_from_cookie(request, campaign)
    context = _thanks_context(request, campaign, supporter, ProofForm())
    return render(request, "supporters/thanks.html", context)


def _problem(request: HttpRequest, message: str) -> HttpResponse:
    """A request that cannot be carried out, said in the person's language (400)."""
    return render(request, "problem.html", {"message": message}, status=400)


@require_POST
def proof(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _live(slug)
    supporter = _supporter_from_cookie(request, campaign)
    if supporter is None:
        return _problem(
            request, _("Join the campaign first; then you can add the link to your post.")
        )
    form = ProofForm(request.POST)
    if not form.is_valid():
        context = _thanks_context(request, campaign, supporter, form)
        return render(request, "supporters/thanks.html", context, status=400)
    url = form.cleaned_data["url"]
    actions.do_add_proof(supporter, networks.of_post(url) or "", url)
    return HttpResponseRedirect(reverse("supporters:thanks", args=[slug]) + "#proof", status=303)


# The signed link is the authority: a mail program's one-click unsubscribe (RFC 8058) posts
# without a CSRF token, and nobody without the link can make one.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@never_cache
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop updates for the supporter the link was mailed to, and nobody else."""
    job = updates.read_unsubscribe(token)
    if job is None:
        return _problem(request, _("This link is not valid."))
    if request.method == "POST":
        updates.do_unsubscribe(job)
    campaign = job.supporter.campaign
    return render(
        request,
        "supporters/unsubscribe.html",
        {
            "campaign": campaign,
            "text": visit.text_for(request, campaign),
            "done": request.method == "POST",
        },
    )


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    supporter = links.read_token(token, links.CONFIRM, links.confirm_max_age())
    if supporter is None or supporter.campaign.slug != slug:
        return _problem(request, _("This confirmation link is not valid or has expired."))
    # A GET only shows the button: mail scanners open links, and must not confirm for anyone.
    confirmed = supporter.confirmed
    if request.method == "POST":
        actions.do_confirm(supporter)
        confirmed = True
    response = render(
        request,
        "supporters/confirm.html",
        {
            "campaign": supporter.campaign,
            "text": visit.text_for(request, supporter.campaign),
            "confirmed": confirmed,
        },
    )
    if request.method == "POST":
        # Whoever reads the mailbox owns the record: this browser now holds it.
        _hold(response, supporter.campaign, supporter)
    return response


def _counts_payload(campaign: Campaign) -> dict[str, object]:
    row = getattr(campaign, "counts", None)
    progress = counts.progress(campaign, row)
    return {
        "campaign": campaign.slug,
        "joined": progress.joined,
        "confirmed": progress.confirmed,
        "verified": None,
        "countries": progress.countries,
        "goal": progress.goal,
        "goal_is_organisers": campaign.goal is not None,
        "by_country": {
            code: {"joined": j, "confirmed": c}
            for code, (j, c) in (row.by_country.items() if row else [])
        },
        "updated_at": progress.updated_at.isoformat() if progress.updated_at else None,
    }


def _cached_by_campaign(
    key: str, slug: str, build: Callable[[Campaign], str], content_type: str
) -> HttpResponse:
    """A public per-campaign document, built from the counts row and cached like the pages."""

    def document() -> str:
        campaign = pages.public_campaigns().select_related("counts").filter(slug=slug).first()
        if campaign is None:
            raise Http404("No such campaign")
        return build(campaign)

    body, stale = pagecache.cached(key, document)
    response = HttpResponse(body, content_type=content_type)
    response["Cache-Control"] = (
        "no-store" if stale else f"public, max-age={settings.HASHRALLY_PAGE_CACHE_SECONDS}"
    )
    return response


@require_GET
def counts_json(request: HttpRequest, slug: str) -> HttpResponse:
    response = _cached_by_campaign(
        f"counts.json:{slug}",
        slug,
        lambda campaign: json.dumps(_counts_payload(campaign), ensure_ascii=False),
        "application/json",
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_GET
def card_png(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign's social card (og:image) in the language asked for, cached like the page."""
    language = translation.get_language()

    def build(campaign: Campaign) -> bytes:
        text = pages.text_in(campaign, pages.language_of(campaign, language, language))
        progress = counts.progress(campaign, getattr(campaign, "counts", None))
        title = text.title if text else campaign.slug
        title_language = text.language if text else campaign.default_language
        return card.render(
            title,
            title_language,
            list(campaign.hashtags),
            progress.joined,
            progress.countries,
            language,
        )

    def picture() -> bytes:
        campaign = pages.public_campaigns().select_related("counts").filter(slug=slug)
        found = campaign.prefetch_related("texts").first()
        if found is None:
            raise Http404("No such campaign")
        return build(found)

    body, _stale = pagecache.cached(f"card.png:{slug}:{language}", picture)
    response = HttpResponse(body, content_type="image/png")
    response["Cache-Control"] = f"public, max-age={settings.HASHRALLY_PAGE_CACHE_SECONDS}"
    return response


@require_GET
def map_svg(request: HttpRequest, slug: str) -> HttpResponse:
    response = _cached_by_campaign(
        f"map.svg:{slug}:{translation.get_language()}",
        slug,
        display.map_svg,
        "image/svg+xml; charset=utf-8",
    )
    # An SVG opened on its own must not run anything, whatever a country name contains.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


NAMES_PER_PAGE = 50


@require_GET
def names(request: HttpRequest, slug: str) -> HttpResponse:
    """Every supporter listed by name, newest first, a page at a time."""
    campaign = pages.public_campaigns().filter(slug=slug).prefetch_related("texts").first()
    if campaign is None:
        raise Http404("No such campaign")
    listed = Paginator(counts.public_names(campaign), NAMES_PER_PAGE)
    page = listed.get_page(request.GET.get("page"))
    return render(
        request,
        "supporters/names.html",
        {"campaign": campaign, "text": visit.text_for(request, campaign), "page": page},
    )


@require_GET
@never_cache
def altcha_challenge(request: HttpRequest, slug: str) -> JsonResponse:
    _live(slug)
    return JsonResponse(pow.new_challenge())


@require_http_methods(["GET", "POST"])
@ratelimit(key="ip", rate=lambda group, request: settings.HASHRALLY_JOIN_RATE, method="POST")
def request_my_data(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = pages.public_campaigns().filter(slug=slug).prefetch_related("texts").first()
    if campaign is None:
        raise Http404("No such campaign")
    sent = False
    error = ""
    if request.method == "POST":
        form = MyDataForm(request.POST)
        if form.is_valid():
            actions.do_request_my_data(campaign, form.cleaned_data["email"])
            sent = True
        else:
            error = str(form.errors["email"][0])
    return render(
        request,
        "supporters/request_my_data.html",
        {
            "campaign": campaign,
            "text": visit.text_for(request, campaign),
            "sent": sent,
            "error": error,
        },
        status=400 if error else 200,
    )


def _mine(token: str) -> Supporter:
    supporter = links.read_my_data_token(token)
    if supporter is None:
        raise Http404(_("This link is not valid or has expired. Ask for a new one."))
    return supporter


def supporter_data(supporter: Supporter) -> dict[str, object]:
    """Everything stored about one supporter, decrypted, for them alone."""
    return {
        "campaign": supporter.campaign.slug,
        "joined_at": supporter.created_at.isoformat(),
        "country": supporter.country,
        "country_name": locales.country_name(supporter.country),
        "display_name": supporter.display_name,
        "show_name": supporter.show_name,
        "email": crypto.decrypt(supporter.email_encrypted),
        "contact_ok": supporter.contact_ok,
        "remind_me": supporter.remind_me,
        "on_leaderboard": supporter.on_leaderboard,
        "confirmed_at": supporter.confirmed_at.isoformat() if supporter.confirmed_at else None,
        "handles": {h.network: crypto.decrypt(h.handle_encrypted) for h in supporter.handles.all()},
        "proofs_of_post": [p.url for p in supporter.proofs.all()],
        "referral_code": supporter.ref_code,
        "language": supporter.language,
        "consent_version": supporter.consent_version,
        "consented_at": supporter.consented_at.isoformat(),
    }


def _shown(supporter: Supporter) -> list[tuple[str, str]]:
    """The record as a person reads it: labels in their language, dates and yes/no written
    out (the JSON download keeps the stored values)."""
    yes, no = _("yes"), _("no")

    def when(moment: Any) -> str:
        return date_format(localtime(moment), "DATETIME_FORMAT") if moment else "—"

    accounts = {h.network: crypto.decrypt(h.handle_encrypted) for h in supporter.handles.all()}
    handles = ", ".join(f"{networks.name(n)}: {h}" for n, h in sorted(accounts.items()))
    proofs = [p.url for p in supporter.proofs.all()]
    return [
        (_("Campaign"), supporter.campaign.slug),
        # Dates of one person's record, not the counters' "Joined" and "Confirmed".
        (pgettext("supporter's record", "Joined"), when(supporter.created_at)),
        (_("Country"), locales.country_name(supporter.country)),
        (_("Your name"), supporter.display_name or "—"),
        (_("Name shown among the supporters"), yes if supporter.show_name else no),
        (_("Email"), crypto.decrypt(supporter.email_encrypted) or "—"),
        (_("The organisers may email you"), yes if supporter.contact_ok else no),
        (_("A reminder before the campaign moment"), yes if supporter.remind_me else no),
        (_("Named among those who brought others"), yes if supporter.on_leaderboard else no),
        (
            pgettext("supporter's record", "Confirmed"),
            when(supporter.confirmed_at) if supporter.confirmed_at else no,
        ),
        (_("Your accounts"), handles or "—"),
        (_("Links to your posts"), ", ".join(proofs) or "—"),
        (_("Your referral code"), supporter.ref_code),
        (_("Consent given"), f"{when(supporter.consented_at)} ({supporter.consent_version})"),
    ]


def _record_initial(supporter: Supporter) -> dict[str, object]:
    return {
        "country": supporter.country,
        "display_name": supporter.display_name,
        "show_name": supporter.show_name,
        "contact_ok": supporter.contact_ok,
        "remind_me": supporter.remind_me,
        "on_leaderboard": supporter.on_leaderboard,
    }


@require_http_methods(["GET", "POST"])
@never_cache
def my_data(request: HttpRequest, token: str) -> HttpResponse:
    supporter = _mine(token)
    if request.method == "POST" and request.POST.get("erase") == "yes":
        campaign = supporter.campaign
        actions.do_erase(supporter)
        return render(request, "supporters/erased.html", {"campaign": campaign})
    form = MyRecordForm(initial=_record_initial(supporter))
    saved, status = False, 200
    if request.method == "POST" and request.POST.get("update") == "yes":
        form = MyRecordForm(request.POST, initial=_record_initial(supporter))
        if form.is_valid():
            actions.do_update_record(supporter, form.cleaned_data)
            form, saved = MyRecordForm(initial=_record_initial(supporter)), True
        else:
            status = 400
    if request.GET.get("download"):
        response = JsonResponse(
            supporter_data(supporter), json_dumps_params={"ensure_ascii": False, "indent": 2}
        )
        response["Content-Disposition"] = 'attachment; filename="my-hashrally-data.json"'
        return response
    return render(
        request,
        "supporters/my_data.html",
        {
            "supporter": supporter,
            "shown": _shown(supporter),
            "token": token,
            "form": form,
            "saved": saved,
        },
        status=status,
    )
