/* The idea board refreshes itself during the live session (data-hx-trigger="every 15s" on
   #idea-board). While the tab is hidden, skip the refresh: nobody is looking, and a phone on
   a slow network keeps its data. The server answers 286 when the session is over, which
   stops the polling for good. */
document.addEventListener("htmx:beforeRequest", function (event) {
  if (document.hidden && event.target && event.target.id === "idea-board") {
    event.preventDefault();
  }
});
