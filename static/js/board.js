/* The board follows episode.changed events: the server sends each row rendered from the same
   partial as the first load; this script only decides where the row goes. */
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board) { return; }
  var ages = { "15m": 900, "1h": 3600, "1d": 86400, "7d": 604800 };

  function rowFromHtml(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var row = template.content.querySelector("tr");
    return row;
  }

  function matchesFilters(row) {
    var f = board.dataset;
    if (row.dataset.open !== "1") { return false; }
    if (row.dataset.phantom === "1" && f.showRaw !== "1") { return false; }
    if (f.filterSite && row.dataset.site !== f.filterSite) { return false; }
    if (f.filterMake && row.dataset.make !== f.filterMake) { return false; }
    if (f.filterCategory && row.dataset.category !== f.filterCategory) { return false; }
    if (f.filterResponsible && row.dataset.responsible !== f.filterResponsible) { return false; }
    if (f.filterQ && row.dataset.charger.toLowerCase().indexOf(f.filterQ.toLowerCase()) === -1) { return false; }
    if (f.filterAge) {
      var openedSeconds = (Date.now() - Date.parse(row.dataset.opened)) / 1000;
      if (openedSeconds < ages[f.filterAge]) { return false; }
    }
    return true;
  }

  function adjustCount(section, delta) {
    // Counts move by deltas: a truncated board holds fewer rows than its groups count.
    var counter = section.querySelector("[data-count]");
    var n = Math.max(0, parseInt(counter.textContent, 10) + delta);
    counter.textContent = n;
    section.hidden = n === 0;
    var total = 0;
    board.querySelectorAll("section.group [data-count]").forEach(function (c) { total += parseInt(c.textContent, 10); });
    document.getElementById("board-total").textContent = total;
    document.getElementById("board-empty").hidden = total > 0;
  }

  function apply(event) {
    if (event.event !== "episode.changed" || !event.html) { return; }
    var existing = document.getElementById("episode-" + event.episode_id);
    if (existing) {
      var oldSection = existing.closest("section.group");
      existing.remove();
      adjustCount(oldSection, -1);
    }
    var row = rowFromHtml(event.html);
    if (!row || !matchesFilters(row)) { return; }
    var section = board.querySelector('section.group[data-group="' + row.dataset.responsible + '"]');
    if (!section) { return; }
    row.classList.add("just-changed");
    section.querySelector("tbody").prepend(row);
    adjustCount(section, +1);
  }

  function resync() {
    // Events sent while the socket was down are lost: fetch the board once instead of guessing.
    fetch(window.location.href, { credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("board");
        if (fresh) { board.innerHTML = fresh.innerHTML; }
      });
  }

  window.FaultlineLive.connect({
    onEvent: apply,
    onOpen: function (reconnected) { if (reconnected) { resync(); } }
  });
})();
