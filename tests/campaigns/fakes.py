"""A small valid campaign file, for tests that change one thing in it."""

GOOD = """\
slug = "good"
status = "live"
starts_on = 2024-01-02
default_language = "en"
hashtags = ["One", "Two"]

[texts.en]
title = "Good campaign"
summary = "Short."
body = \"\"\"
Some *Markdown*.
\"\"\"
steps = ["First", "Second"]
variants = [
  "Please act {hashtags} {mentions} {url}",
  "Another one {hashtags} {mentions}",
]

[[targets]]
name = "A Minister"
role = "Minister"
accounts = { x = "AMinister", mastodon = "minister@gov.social" }

[[targets.posts]]
network = "x"
url = "https://x.com/AMinister/status/1"

[[endorsements]]
name = "Someone"
date = 2024-01-01
"""
