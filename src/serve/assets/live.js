// Live reload for `switchboard serve` (never part of a built site).
// The server tags each page with the build it came from and announces every
// new build over a WebSocket on the same origin; a page from an older build
// reloads itself. ws: or wss: follows the page, so it works behind https.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="switchboard-version"]');
  var shown = meta ? meta.getAttribute("content") : null;
  var url = (location.protocol === "https:" ? "wss:" : "ws:") + "//" + location.host + "/__switchboard/live";
  var delay = 250;

  function connect() {
    var socket;
    try {
      socket = new WebSocket(url);
    } catch (e) {
      retry();
      return;
    }
    socket.onopen = function () {
      delay = 250;
    };
    socket.onmessage = function (event) {
      var current = String(event.data);
      if (shown === null) {
        shown = current;
      } else if (current !== shown) {
        location.reload();
      }
    };
    socket.onclose = retry;
  }

  // The server restarted or the network blinked: try again, more slowly each time.
  function retry() {
    setTimeout(connect, delay);
    delay = Math.min(delay * 2, 4000);
  }

  var dismiss = document.querySelector("[data-switchboard-dismiss]");
  if (dismiss) {
    dismiss.addEventListener("click", function () {
      var overlay = document.getElementById("switchboard-overlay");
      if (overlay) {
        overlay.hidden = true;
      }
    });
  }

  connect();
})();
