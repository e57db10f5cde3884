// The session page, made better where JavaScript runs: the start time in the visitor's own
// time zone, and a countdown that moves. The browser only says which zone it is in; the
// server writes the words, in the page's language (browsers' own locale data has no Khmer),
// and says when they next change, when the script asks again. Without JavaScript the page
// already shows the time in the session's zones and the countdown at the time it was served.
(function () {
  "use strict";
  var box = document.getElementById("live-when");
  if (!box || !window.fetch || !window.DOMParser) { return; }
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) { /* no zone: the fragment comes without "Your time" */ }
  var lang = document.documentElement.lang || "";
  var url = box.getAttribute("data-when-url") + "?tz=" + encodeURIComponent(zone) +
    "&lang=" + encodeURIComponent(lang);

  function later(seconds) {
    var wait = parseInt(seconds, 10);
    if (wait > 0) { setTimeout(refresh, Math.min(wait, 3600) * 1000 + 500); }
  }

  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("live-when");
        if (!fresh) { return; }
        box.replaceChildren.apply(box, Array.prototype.slice.call(fresh.childNodes));
        later(fresh.getAttribute("data-next-change"));
      })
      .catch(function () { later(60); });
  }

  refresh();
})();
