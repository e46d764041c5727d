/* Pages about one charger follow it live: each element with data-live-port="evse:connector" (or the
   #live-port card) shows that port's latest status as the charger reports it. */
(function () {
  "use strict";
  var card = document.getElementById("live-port");
  var chargerId = card ? card.dataset.charger : document.body.dataset.charger;
  if (!chargerId) { return; }

  function targets(event) {
    var key = event.evse_id + ":" + event.connector_id;
    var found = Array.prototype.slice.call(document.querySelectorAll('[data-live-port="' + key + '"]'));
    if (card && card.dataset.evse + ":" + card.dataset.connector === key) { found.push(card); }
    return found;
  }

  function apply(event) {
    if (event.charge_point_id !== chargerId) { return; }
    if (event.event === "connector.status") {
      targets(event).forEach(function (el) {
        var status = el.querySelector("[data-live-status]");
        var codes = el.querySelector("[data-live-codes]");
        if (status) { status.textContent = event.status; }
        if (codes) {
          codes.textContent = [event.error_code, event.vendor_error_code, event.info]
            .filter(function (part) { return part && part !== "NoError"; }).join(" · ");
        }
        el.dataset.status = event.status;
      });
    } else if (event.event === "charger.online") {
      var online = document.getElementById("charger-online");
      if (online) { online.textContent = event.online ? "Online" : "Offline"; online.dataset.online = event.online ? "1" : "0"; }
    } else if (event.event === "episode.changed") {
      var state = document.getElementById("episode-state");
      if (state && String(state.dataset.episode || "") === String(event.episode_id)) {
        state.textContent = event.open ? (state.dataset.openText || "Open") : (state.dataset.closedText || "Cleared");
      }
    } else if (event.event === "command.answered") {
      var note = document.getElementById("command-" + event.command_id);
      if (note) { note.classList.add("answered"); }
    }
  }

  window.FaultlineLive.connect({
    onEvent: apply,
    subscribe: [{ subscribe: "charger", charge_point_id: chargerId }]
  });
})();
