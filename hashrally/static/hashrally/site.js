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

  document.addEventListener("DOMContentLoaded", function () {
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
      mine.addEventListener("input", function () {
        var own = mine.value.trim();
        preview.value = own ? own + "\n\n" + preview.dataset.base : preview.dataset.base;
      });
    }

    var instance = document.getElementById("instance");
    if (instance && window.localStorage) {
      if (!instance.value) instance.value = localStorage.getItem(INSTANCE_KEY) || "";
      instance.addEventListener("change", function () {
        localStorage.setItem(INSTANCE_KEY, instance.value.trim());
      });
    }
  });
})();
