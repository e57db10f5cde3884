/* The moderation queue's keyboard: j / k move between ideas, a approves, r rejects, e edits,
   u undoes. Each key presses the row's own button, so mouse, keyboard and screen reader do
   the same thing. Served from the plugin's static folder: the CSP allows no inline script. */
(function () {
  "use strict";

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr.idea-row"));
  }

  function rowOf(el) {
    return el && el.closest ? el.closest("tr.idea-row") : null;
  }

  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }

  function move(delta) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(rowOf(document.activeElement));
    var next = index === -1 ? all[0] : all[Math.min(all.length - 1, Math.max(0, index + delta))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  function press(row, action) {
    var button = row.querySelector('button[data-action="' + action + '"]');
    if (button) button.click();
  }

  function edit(row) {
    var details = row.querySelector("details.edit");
    if (!details) return;
    details.open = true;
    var input = details.querySelector("input[name=title]");
    if (input) input.focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var row = rowOf(document.activeElement);
    // htmx focuses a swapped-in row before it wires its buttons (the row is "htmx-added"
    // until then): a key pressed in that moment would submit the plain form and leave the
    // page. Swallow it; the row is ready a few milliseconds later.
    if (row && row.classList.contains("htmx-added")) {
      event.preventDefault();
      return;
    }
    switch (event.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "a": if (row) press(row, "approve"); break;
      case "r": if (row) press(row, "reject"); break;
      case "u": if (row) press(row, "undo"); break;
      case "e": if (row) edit(row); break;
      default: return;
    }
    event.preventDefault();
  });

  // Keep the focus on the row that was acted on, once htmx has put the new row (or, after
  // an approve, its new status line) in place.
  var acted = null;
  var stateOnly = false;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var row = rowOf(event.target);
    acted = row ? row.id : null;
    stateOnly = false;
  });
  // A conflict (409), a refused action (422) or a vanished idea (404) still answers a row
  // that says what happened: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 404 || status === 409 || status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
    // The answer swaps only the row's status line: the button pressed keeps the focus
    // unless it is moved to the row, as after a whole new row.
    stateOnly = event.detail.xhr.getResponseHeader("HX-Reswap") === "none";
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!acted) return;
    var row = document.getElementById(acted);
    acted = null;
    var active = document.activeElement;
    if (stateOnly) {
      // The row stayed: the button pressed with the mouse gives the focus to its row, as a
      // new row would have it; a key pressed meanwhile (j, k) has moved on: leave it there.
      if (row && active !== row && row.contains(active)) row.focus();
    } else if (row && !row.contains(active)) {
      row.focus();
    }
    stateOnly = false;
  });
})();
