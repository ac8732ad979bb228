"""The hero picture: uploaded in the admin, re-encoded, served from the database.

Pictures are Pillow's own test images (tests/fixtures/images/README.md); what the tests expect
of them is read from the files here, with Pillow, never from hashrally's results.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from hashrally.campaigns.models import Campaign, HeroImage, Organiser
from tests.campaigns.test_admin import form_of
from tests.fakes import log_in

pytestmark = pytest.mark.django_db

IMAGES = Path(__file__).parent.parent / "fixtures" / "images"
PAGE = "/c/recognize-to-reconcile/"


def campaign() -> Campaign:
    return Campaign.objects.get(slug="recognize-to-reconcile")


def change_url() -> str:
    return f"/admin/campaigns/campaign/{campaign().pk}/change/"


def upload(client: Client, name: str, alt: str = "Candles at the memorial") -> Any:
    data = form_of(client, change_url())
    data["hero-TOTAL_FORMS"] = "1"
    data["hero-0-alt"] = alt
    data["hero-0-upload"] = SimpleUploadedFile(name, (IMAGES / name).read_bytes())
    return client.post(change_url(), data)


@pytest.fixture
def organiser(client: Client, admin_user: User) -> Client:
    log_in(client, admin_user)
    return client


def picture_on(page: str) -> dict[str, str]:
    found = re.search(r'<figure class="hero"><img ([^>]*)>', page)
    assert found, "no hero picture on the page"
    return dict(re.findall(r'(\w+)="([^"]*)"', found.group(1)))


def test_it_shows_an_uploaded_picture_reencoded_without_its_metadata(
    organiser: Client, campaigns: list[str]
) -> None:
    original = Image.open(IMAGES / "xmp_test.jpg")
    assert original.info.get("exif") and original.info.get("xmp")  # the file is what we think
    response = upload(organiser, "xmp_test.jpg")
    assert response.status_code == 302, response.content.decode()[:2000]
    page = Client().get(f"{PAGE}?lang=en").content.decode()
    img = picture_on(page)
    assert img["alt"] == "Candles at the memorial"
    served = Client().get(img["src"])
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
    assert "immutable" in served["Cache-Control"]
    image = Image.open(io.BytesIO(served.content))
    # Narrowed to the page's widest use, the shape kept; nothing of the file's metadata.
    assert image.format == "JPEG" and image.width == 1600
    assert abs(image.height / image.width - original.height / original.width) < 0.01
    assert (int(img["width"]), int(img["height"])) == image.size
    assert not {"exif", "xmp", "photoshop", "icc_profile"} & set(image.info)
    assert b"Exif\x00" not in served.content and b"http://ns.adobe.com/xap" not in served.content
    small_src = re.search(r"(\S+) \d+w$", img["srcset"])
    assert small_src
    small = Image.open(io.BytesIO(Client().get(small_src.group(1)).content))
    assert small.width == 800


def test_it_turns_a_picture_as_its_exif_orientation_says(
    organiser: Client, campaigns: list[str]
) -> None:
    name = "exif_imagemagick_orientation.png"
    original = Image.open(IMAGES / name).convert("RGB")
    assert original.getexif().get(0x0112) == 3  # "rotate 180°"
    assert upload(organiser, name).status_code == 302
    hero = HeroImage.objects.get(campaign=campaign())
    shown = Image.open(io.BytesIO(bytes(hero.large))).convert("RGB")
    turned = original.rotate(180)

    # JPEG is lossy: the corners match the turned original's, not the original's.
    def pixel(image: Image.Image, x: int, y: int) -> tuple[int, int, int]:
        value = image.getpixel((x, y))
        assert isinstance(value, tuple)
        return (value[0], value[1], value[2])

    def distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
        return sum(abs(p - q) for p, q in zip(a, b, strict=True))

    # Where turning changes the picture a lot, the shown one is the turned one (JPEG is lossy).
    telling = [
        (x, y)
        for x in range(0, shown.width, 16)
        for y in range(0, shown.height, 16)
        if distance(pixel(original, x, y), pixel(turned, x, y)) > 150
    ]
    assert len(telling) > 50
    for x, y in telling:
        got = pixel(shown, x, y)
        assert distance(got, pixel(turned, x, y)) < distance(got, pixel(original, x, y)), (x, y)


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("exif_gps.jpg", "8 pixels wide"),
        ("decompression_bomb.gif", "not a picture hashrally can read"),
        ("truncated_jpeg.jpg", "cannot be read"),
        ("README.md", "not a picture hashrally can read"),
    ],
)
def test_it_refuses_what_is_not_a_usable_picture_and_keeps_the_old_one(
    organiser: Client, campaigns: list[str], name: str, words: str
) -> None:
    assert upload(organiser, "exif_gps_typeerror.jpg").status_code == 302
    before = HeroImage.objects.get(campaign=campaign()).digest
    response = upload(organiser, name)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert HeroImage.objects.get(campaign=campaign()).digest == before


def test_it_requires_a_description(organiser: Client, campaigns: list[str]) -> None:
    response = upload(organiser, "exif_gps_typeerror.jpg", alt="")
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not HeroImage.objects.exists()


def test_each_text_may_describe_the_picture_in_its_language(
    organiser: Client, campaigns: list[str]
) -> None:
    assert upload(organiser, "exif_gps_typeerror.jpg").status_code == 302
    campaign().texts.filter(language="ru").update(image_alt="Свечи у мемориала")
    assert picture_on(Client().get(f"{PAGE}?lang=ru").content.decode())["alt"] == (
        "Свечи у мемориала"
    )
    # No Azerbaijani description: the default language's, marked as English.
    az = picture_on(Client().get(f"{PAGE}?lang=az").content.decode())
    assert az["alt"] == "Candles at the memorial" and az["lang"] == "en"


def test_strangers_get_no_picture_of_a_draft_nor_another_address(
    organiser: Client, campaigns: list[str], django_user_model: type[User]
) -> None:
    assert upload(organiser, "exif_gps_typeerror.jpg").status_code == 302
    hero = HeroImage.objects.get(campaign=campaign())
    assert Client().get(hero.url).status_code == 200
    wrong = hero.url.replace(hero.digest[:16], "0" * 16)
    assert Client().get(wrong).status_code == 404
    assert (
        Client().get(hero.url.replace("recognize-to-reconcile", "justice-for-khojaly")).status_code
        == 404
    )
    Campaign.objects.filter(pk=hero.campaign_id).update(status="draft")
    assert Client().get(hero.url).status_code == 404
    # A viewer of another campaign may not see it either; the campaign's own viewer may.
    other = django_user_model.objects.create_user("other", password="x" * 16, is_staff=True)
    Organiser.objects.create(
        campaign=Campaign.objects.get(slug="justice-for-khojaly"), user=other, role="viewer"
    )
    stranger = Client()
    log_in(stranger, other)
    assert stranger.get(hero.url).status_code == 404


def test_an_editor_of_another_campaign_cannot_set_this_ones_picture(
    campaigns: list[str], django_user_model: type[User]
) -> None:
    editor = django_user_model.objects.create_user("ed", password="x" * 16, is_staff=True)
    Organiser.objects.create(
        campaign=Campaign.objects.get(slug="justice-for-khojaly"), user=editor, role="editor"
    )
    client = Client()
    log_in(client, editor)
    response = client.post(
        change_url(),
        {
            "hero-TOTAL_FORMS": "1",
            "hero-INITIAL_FORMS": "0",
            "hero-0-alt": "mine",
            "hero-0-upload": SimpleUploadedFile(
                "p.jpg", (IMAGES / "exif_gps_typeerror.jpg").read_bytes()
            ),
        },
    )
    assert response.status_code in (302, 403, 404)
    assert not HeroImage.objects.exists()


def test_it_refuses_a_cut_picture_also_after_a_pdf_report_in_the_same_process() -> None:
    import weasyprint  # type: ignore[import-untyped]  # noqa: F401 (tells Pillow to fill cut files)
    from PIL import ImageFile

    from hashrally.campaigns.images import ImageProblem, prepare

    assert ImageFile.LOAD_TRUNCATED_IMAGES  # what a web process that served a PDF is left with
    with (IMAGES / "truncated_jpeg.jpg").open("rb") as cut, pytest.raises(ImageProblem) as refused:
        prepare(cut)
    assert "cannot be read" in str(refused.value)
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # WeasyPrint's own setting is left as it found it
