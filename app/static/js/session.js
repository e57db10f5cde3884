// The session page, made better where JavaScript runs: the start time in the visitor's own
// time zone, and a countdown that moves. Both read the start from a data attribute (UTC,
// ISO 8601) and speak the page's language through the browser's Intl; without JavaScript
// the page already shows the time in the session's zones and a countdown from the server.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";

  function yourTime() {
    var box = document.querySelector("[data-your-time]");
    if (!box || !window.Intl) { return; }
    var start = new Date(box.getAttribute("data-your-time"));
    if (isNaN(start)) { return; }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var text = new Intl.DateTimeFormat(lang, {
      weekday: "long", year: "numeric", month: "long", day: "numeric",
      hour: "numeric", minute: "2-digit", timeZoneName: "short"
    }).format(start);
    box.querySelector("strong").textContent = text + (zone ? " (" + zone.replace(/_/g, " ") + ")" : "");
    box.hidden = false;
  }

  function unit(value, name) {
    try {
      return new Intl.NumberFormat(lang, { style: "unit", unit: name, unitDisplay: "long" }).format(value);
    } catch (e) {
      return value + " " + name;
    }
  }

  function join(parts) {
    if (window.Intl && Intl.ListFormat) {
      return new Intl.ListFormat(lang, { style: "long", type: "unit" }).format(parts);
    }
    return parts.join(" ");
  }

  function countdown() {
    var el = document.querySelector("[data-countdown]");
    if (!el) { return; }
    var start = new Date(el.getAttribute("data-countdown"));
    if (isNaN(start)) { return; }
    function tick() {
      var left = Math.floor((start - new Date()) / 1000);
      if (left <= 0) {
        el.parentNode.hidden = true;
        return false;
      }
      var days = Math.floor(left / 86400);
      var hours = Math.floor((left % 86400) / 3600);
      var minutes = Math.floor((left % 3600) / 60);
      var parts = [];
      if (days) { parts.push(unit(days, "day")); }
      if (days || hours) { parts.push(unit(hours, "hour")); }
      parts.push(unit(minutes, "minute"));
      el.textContent = join(parts);
      return true;
    }
    if (tick()) {
      var timer = setInterval(function () { if (!tick()) { clearInterval(timer); } }, 20000);
    }
  }

  yourTime();
  countdown();
})();
