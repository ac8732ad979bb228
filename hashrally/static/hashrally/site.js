// Progressive enhancement only: every feature here has a plain-HTML fallback on the page.
(function () {
  "use strict";
  var INSTANCE_KEY = "hashrally.mastodon-instance";

  function copyFrom(id, status) {
    var source = document.getElementById(id);
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () { if (status) status.textContent = status.dataset.copied || "✓"; };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {});
    } else if (source.select) {
      source.select();
      try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected */ }
    }
  }

  // ALTCHA v1: find n with SHA-256(salt + n) == challenge, then send the signed answer along.
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
      return b.toString(16).padStart(2, "0");
    }).join("");
  }
  async function solve(challenge) {
    var encoder = new TextEncoder();
    for (var n = 0; n <= challenge.maxnumber; n++) {
      var digest = await crypto.subtle.digest("SHA-256", encoder.encode(challenge.salt + n));
      if (hex(digest) === challenge.challenge) {
        return btoa(JSON.stringify({
          algorithm: challenge.algorithm, challenge: challenge.challenge, number: n,
          salt: challenge.salt, signature: challenge.signature
        }));
      }
    }
    return "";
  }
  function enhanceJoinForm(form) {
    if (!form || !form.dataset.altcha || !window.crypto || !crypto.subtle) return;
    var button = form.querySelector("button[type=submit]");
    var field = form.querySelector("input[name=altcha]");
    button.disabled = true;
    fetch(form.dataset.altcha, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(solve)
      .then(function (payload) { field.value = payload; button.disabled = false; })
      .catch(function () { button.disabled = false; });
  }

  // The join form inside the campaign page is sent from the page: a mistake shows there, next
  // to the fields, instead of on the separate join page (which is what happens without script).
  function enhanceSlot(slot) {
    var form = slot.querySelector("form.join");
    if (!form) return;
    enhanceJoinForm(form);
    form.addEventListener("submit", function (event) {
      if (!window.fetch || !window.FormData) return;
      event.preventDefault();
      fetch(form.action + "?fragment=1", {
        method: "POST", body: new FormData(form), credentials: "same-origin"
      }).then(function (r) {
        if (r.redirected) { location.href = r.url; return null; }
        if (r.status === 400) return r.text();
        form.submit();  // anything else: as without script
        return null;
      }).then(function (html) {
        if (html === null) return;
        slot.innerHTML = html;
        enhanceSlot(slot);
        var summary = slot.querySelector("#join-errors");
        if (summary) { summary.tabIndex = -1; summary.focus(); }
      }).catch(function () { form.submit(); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    // The campaign page is cached for everyone, so its join form (with a CSRF token of this
    // visitor's own) is fetched separately; without JavaScript the link to the join page stays.
    var slot = document.getElementById("join-slot");
    if (slot && window.fetch) {
      var ref = new URLSearchParams(location.search).get("ref");
      var url = slot.dataset.fragment + (ref ? "&ref=" + encodeURIComponent(ref) : "");
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) { slot.innerHTML = html; enhanceSlot(slot); })
        .catch(function () { /* the link to the join page remains */ });
    }
    enhanceJoinForm(document.querySelector("form.join"));
    var status = document.querySelector(".composer .status");
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { copyFrom(button.dataset.copy, status); });
    });
    document.querySelectorAll("[data-copy-first]").forEach(function (button) {
      button.addEventListener("click", function () { copyFrom(button.dataset.copyFirst, status); });
    });

    var mine = document.getElementById("mine");
    var preview = document.getElementById("preview");
    if (mine && preview) {
      // The server composes the real text (and shortens it if needed); this is only a preview.
      var form = document.getElementById("composer");
      var timer = null;
      mine.addEventListener("input", function () {
        var own = mine.value.trim();
        preview.value = own ? own + "\n\n" + preview.dataset.base : preview.dataset.base;
        // Each network's length and text, composed by the server with its own rules, as the
        // person types (the counters never guess).
        if (!form || !form.dataset.compose || !window.fetch) return;
        clearTimeout(timer);
        timer = setTimeout(function () {
          var query = new URLSearchParams(new FormData(form)).toString();
          fetch(form.dataset.compose + "?" + query, { credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
            .then(function (html) {
              var list = document.getElementById("lengths");
              if (list) list.outerHTML = html;
            })
            .catch(function () { /* "Update the text" still recomposes on the server */ });
        }, 250);
      });
    }

    // "Use the shortened sentence": put it in the box and recompose, without leaving the page
    // (the link itself reloads the page with it when there is no JavaScript).
    document.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[data-mine]") : null;
      if (!link || !mine) return;
      event.preventDefault();
      mine.value = link.dataset.mine;
      mine.dispatchEvent(new Event("input"));
      mine.focus();
    });

    // The campaign moment on the reader's own clock, and a countdown that follows it. The
    // page's language names the units (Intl); the server's line stays for readers without it.
    var lang = document.documentElement.lang || undefined;
    document.querySelectorAll("time[data-moment]").forEach(function (time) {
      var at = new Date(time.getAttribute("datetime"));
      if (isNaN(at) || !window.Intl) return;
      var own = new Intl.DateTimeFormat(lang, { dateStyle: "full", timeStyle: "short" });
      var yours = document.createElement("span");
      yours.className = "meta";
      yours.textContent = " (" + (time.dataset.yourTime || "your time") + ": " + own.format(at) + ")";
      time.after(yours);
    });
    document.querySelectorAll("[data-countdown-for]").forEach(function (line) {
      var at = new Date(line.dataset.countdownFor);
      if (isNaN(at) || !window.Intl || !Intl.RelativeTimeFormat) return;
      var relative = new Intl.RelativeTimeFormat(lang, { numeric: "always" });
      var tick = function () {
        var minutes = Math.round((at - Date.now()) / 60000);
        if (minutes <= 0) { line.textContent = line.dataset.now || ""; return; }
        // One unit, the largest that reads well: word order is the language's own (Intl).
        line.textContent = minutes >= 2880 ? relative.format(Math.round(minutes / 1440), "day")
          : minutes >= 120 ? relative.format(Math.round(minutes / 60), "hour")
          : relative.format(minutes, "minute");
        setTimeout(tick, 30000);
      };
      tick();
    });

    // A wall refreshes itself in place: the server renders the list, this only swaps it in.
    // A failed fetch keeps what is shown and tries again at the next turn.
    document.querySelectorAll("[data-refresh]").forEach(function (area) {
      var every = Math.max(5, parseInt(area.dataset.every, 10) || 15) * 1000;
      var refresh = function () {
        fetch(area.dataset.refresh, { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.text() : null; })
          .then(function (html) { if (html !== null) area.innerHTML = html; })
          .catch(function () {})
          .then(function () { setTimeout(refresh, every); });
      };
      setTimeout(refresh, every);
    });

    var instance = document.getElementById("instance");
    if (instance && window.localStorage) {
      if (!instance.value) instance.value = localStorage.getItem(INSTANCE_KEY) || "";
      instance.addEventListener("change", function () {
        localStorage.setItem(INSTANCE_KEY, instance.value.trim());
      });
    }
  });
})();
