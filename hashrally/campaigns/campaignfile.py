"""Read and check campaign files ("campaign as code").

`read_campaign_files` parses every file, checks each campaign on its own (shape, handles,
hashtags, lengths) and then the set together (duplicate slugs, parents that exist), and returns
either the campaign specs or every problem found, each naming the file, line and field.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    create_model,
    field_validator,
    model_validator,
)

from hashrally.campaigns import moment, rules
from hashrally.campaigns.listening import ListeningSpec
from hashrally.campaigns.tomllines import key_lines, line_of
from hashrally.core import networks

FieldPath = tuple[str | int, ...]


def _rule(check: Callable[[str], str | None]) -> AfterValidator:
    def validate(value: str) -> str:
        problem = check(value)
        if problem:
            raise ValueError(problem)
        return value

    return AfterValidator(validate)


Hashtag = Annotated[str, _rule(rules.check_hashtag), AfterValidator(rules.normalise_hashtag)]
Language = Annotated[str, _rule(rules.check_language)]
Link = Annotated[str, _rule(lambda url: rules.check_link(url) if url else None)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class TextSpec(_Strict):
    title: Annotated[str, Field(min_length=1, max_length=200)]
    summary: str = ""
    body: str = ""
    steps: list[Text] = []
    variants: list[Text] = []
    needs_review: bool = False


class _Accounts(_Strict):
    """A target's handles, one optional field per network in the registry."""

    @field_validator("*")
    @classmethod
    def _valid_handle(cls, handle: str | None, info: ValidationInfo) -> str | None:
        problem = rules.check_handle(str(info.field_name), handle) if handle is not None else None
        if problem:
            raise ValueError(problem)
        return handle

    def as_dict(self) -> dict[str, str]:
        return {n: h for n in networks.ACCOUNT_NETWORKS if (h := getattr(self, n))}


if TYPE_CHECKING:
    AccountsSpec = _Accounts
else:
    AccountsSpec = create_model(
        "AccountsSpec",
        __base__=_Accounts,
        **{network: (str | None, None) for network in networks.ACCOUNT_NETWORKS},
    )


class PostSpec(_Strict):
    network: Literal[networks.ACCOUNT_NETWORKS]  # type: ignore[valid-type]
    url: str


class ResponseSpec(_Strict):
    """What a target answered: [[targets.responses]] after the target's [[targets]]."""

    date: dt.date
    summary: Annotated[str, Field(min_length=1, max_length=1000)]
    url: Link = ""


class TargetTextSpec(_Strict):
    # Empty: the name is written the same in this language; only the role is translated.
    name: Annotated[str, Field(max_length=200)] = ""
    role: Annotated[str, Field(max_length=200)] = ""


class TargetSpec(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: Annotated[str, Field(max_length=200)] = ""
    # The name and role in other languages: [targets.texts.az] after the target's [[targets]].
    texts: dict[Language, TargetTextSpec] = {}
    photo: Annotated[str, _rule(rules.check_photo)] = ""
    accounts: AccountsSpec = AccountsSpec()
    posts: list[PostSpec] = []
    responses: list[ResponseSpec] = []


class EndorsementSpec(_Strict):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    organisation: str = ""
    role: str = ""
    quote: str = ""
    date: dt.date | None = None
    event: str = ""
    link: Link = ""


class MomentSpec(_Strict):
    """[moment]: when supporters post together, as a local time where the campaign is."""

    at: dt.datetime
    time_zone: Annotated[str, _rule(moment.check_time_zone)]

    @model_validator(mode="after")
    def _exists(self) -> MomentSpec:
        moment.to_utc(self.at, self.time_zone)  # a ValueError names what is wrong
        return self


class PrivacySpec(_Strict):
    controller: str = ""
    contact: Annotated[str, Field(pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")] = ""
    retention_days: Annotated[int, Field(ge=1, le=3650)] = 365


class CampaignSpec(_Strict):
    slug: Slug
    status: Literal["draft", "live", "closed"] = "draft"
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    parent: Slug | None = None
    default_language: Language = "en"
    hashtags: Annotated[list[Hashtag], Field(min_length=1)]
    goal: Annotated[int, Field(ge=1)] | None = None
    proof_of_work: bool = False
    privacy: PrivacySpec = PrivacySpec()
    moment: MomentSpec | None = None
    listening: ListeningSpec = ListeningSpec()
    texts: dict[Language, TextSpec]
    targets: list[TargetSpec] = []
    endorsements: list[EndorsementSpec] = []


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class CampaignFileError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class LoadedFile:
    path: str
    spec: CampaignSpec
    lines: dict[FieldPath, int]


def _dotted(path: FieldPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _pydantic_message(error: Any) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "extra_forbidden":
        if len(loc) >= 2 and loc[-2] == "accounts":
            return rules.check_network(str(loc[-1])) or "unknown network"
        return f"unknown key {loc[-1]!r}"
    if kind == "missing":
        return "required but missing"
    if kind == "too_short" and loc == ("hashtags",):
        return "at least one hashtag is required"
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _strip_validator_frames(loc: tuple[Any, ...]) -> FieldPath:
    # Annotated union members add frames such as "str" or "function-after[...]" to the path.
    return tuple(p for p in loc if isinstance(p, int) or not (p in ("str", "date") or "[" in p))


def parse_file(path: str | Path, text: str | None = None) -> LoadedFile:
    name = str(path)
    if text is None:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CampaignFileError(
                [Problem(name, None, "", f"cannot read the file: {exc}")]
            ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.11's TOMLDecodeError only says where in its message: "(at line 2, column 10)".
        found = re.search(r"at line (\d+)", str(exc))
        line = int(found.group(1)) if found else None
        raise CampaignFileError([Problem(name, line, "", f"not valid TOML: {exc}")]) from None
    lines = key_lines(text)
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = _strip_validator_frames(error["loc"])
            problems.append(
                Problem(name, line_of(lines, loc), _dotted(loc), _pydantic_message(error))
            )
        raise CampaignFileError(sorted(problems, key=lambda p: p.line or 0)) from None
    problems = [
        Problem(name, line_of(lines, loc), _dotted(loc), message)
        for loc, message in spec_problems(spec)
    ]
    if problems:
        raise CampaignFileError(problems)
    return LoadedFile(name, spec, lines)


def spec_problems(spec: CampaignSpec, site_url: str = "") -> Iterable[tuple[FieldPath, str]]:
    """What is wrong with a campaign that has the right shape: rules across its fields."""
    if spec.starts_on and spec.ends_on and spec.ends_on < spec.starts_on:
        yield ("ends_on",), f"ends ({spec.ends_on}) before it starts ({spec.starts_on})"
    if spec.parent == spec.slug:
        yield ("parent",), "a campaign cannot be its own parent"
    if spec.default_language not in spec.texts:
        yield ("default_language",), f"no [texts.{spec.default_language}] for the default language"
    elif not spec.texts[spec.default_language].variants:
        yield (
            ("texts", spec.default_language, "variants"),
            "the default language needs at least one message variant",
        )
    for index in rules.repeated_hashtags(spec.hashtags):
        yield ("hashtags", index), f"#{spec.hashtags[index]} is listed twice"
    for t_index, target in enumerate(spec.targets):
        for p_index, post in enumerate(target.posts):
            problem = rules.check_post_url(post.network, post.url)
            if problem:
                yield ("targets", t_index, "posts", p_index, "url"), problem
    for t_index, target in enumerate(spec.targets):
        seen: set[tuple[dt.date, str]] = set()
        for r_index, response in enumerate(target.responses):
            if (response.date, response.summary) in seen:
                yield ("targets", t_index, "responses", r_index), "listed twice"
            seen.add((response.date, response.summary))
    for t_index, target in enumerate(spec.targets):
        for language, target_text in target.texts.items():
            where = ("targets", t_index, "texts", language)
            if not (target_text.name or target_text.role):
                yield where, "give a name or a role in this language, or leave the table out"
            elif language not in spec.texts:
                yield where, f"never shown: the campaign has no [texts.{language}]"
    for language, text in spec.texts.items():
        # Targets without an account on a network are named in the text's own language.
        context = rules.share_context(
            spec.hashtags,
            [
                (
                    (t.texts[language].name if language in t.texts else "") or t.name,
                    t.accounts.as_dict(),
                )
                for t in spec.targets
            ],
            rules.validation_url(spec.slug, site_url),
        )
        for v_index, variant in enumerate(text.variants):
            for problem in rules.check_variant(variant, context):
                yield ("texts", language, "variants", v_index), problem


def read_campaign_files(
    paths: Iterable[str | Path], known_slugs: Iterable[str] = ()
) -> list[LoadedFile]:
    """Parse and check files together; raise one error listing every problem in all of them."""
    loaded: list[LoadedFile] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            loaded.append(parse_file(path))
        except CampaignFileError as exc:
            problems.extend(exc.problems)
    first_file: dict[str, str] = {}
    for item in loaded:
        slug = item.spec.slug
        if slug in first_file:
            problems.append(
                Problem(
                    item.path,
                    item.lines.get(("slug",)),
                    "slug",
                    f"duplicate slug {slug!r}: {first_file[slug]} defines it too",
                )
            )
        else:
            first_file[slug] = item.path
    available = set(known_slugs) | set(first_file)
    for item in loaded:
        parent = item.spec.parent
        if parent and parent not in available:
            problems.append(
                Problem(
                    item.path,
                    item.lines.get(("parent",)),
                    "parent",
                    f"unknown parent campaign {parent!r}: load its file too, or load it first",
                )
            )
    if problems:
        raise CampaignFileError(problems)
    return loaded
