/* A remote action waits for the charger's answer before the page comes back (up to the command
   timeout): say so, and stop a second click from sending the command twice. */
(function () {
  "use strict";
  document.querySelectorAll(".quick-action form.confirm").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      button.textContent = "Sent — waiting for the charger's answer…";
    });
  });
})();
