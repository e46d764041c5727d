/* Faultline live feed: one WebSocket to /ws/live/, reconnecting with backoff, and a visible
   indicator of its state. Pages call FaultlineLive.connect({onEvent, onOpen, subscribe}). */
(function () {
  "use strict";
  var indicatorText = {
    connecting: "Connecting…",
    live: "Live",
    lost: "Connection lost — reconnecting…"
  };

  function setIndicator(state, detail) {
    var el = document.getElementById("live-indicator");
    if (!el) { return; }
    el.dataset.state = state;
    el.textContent = detail || indicatorText[state];
  }

  function connect(options) {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var url = scheme + window.location.host + "/ws/live/";
    var delay = 1000;
    var everOpened = false;

    function open() {
      var socket = new WebSocket(url);
      socket.onopen = function () {
        var reconnected = everOpened;
        everOpened = true;
        delay = 1000;
        setIndicator("live");
        (options.subscribe || []).forEach(function (message) { socket.send(JSON.stringify(message)); });
        if (options.onOpen) { options.onOpen(reconnected); }
      };
      socket.onmessage = function (message) {
        var event;
        try { event = JSON.parse(message.data); } catch (err) { return; }
        if (options.onEvent) { options.onEvent(event); }
      };
      socket.onclose = function () {
        // Backoff up to 30 s so a restarting server is not hammered by every open browser tab.
        var seconds = Math.round(delay / 1000);
        setIndicator("lost", "Connection lost — reconnecting in " + seconds + " s…");
        window.setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    setIndicator("connecting");
    open();
  }

  window.FaultlineLive = { connect: connect, setIndicator: setIndicator };
})();
