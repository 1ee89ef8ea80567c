// Duplicate hints: while a new suggestion's title is typed, show similar existing ones.
// The server renders the (escaped, permission-filtered) list; without JavaScript the form works as before.
(function () {
  "use strict";
  var box = document.getElementById("similar-suggestions");
  var title = document.getElementById("title");
  if (!box || !title || !window.fetch) { return; }
  var timer = null;
  var last = "";
  function look() {
    var text = title.value.trim();
    if (text === last) { return; }
    last = text;
    if (text.length < 4) { box.innerHTML = ""; return; }
    fetch(box.getAttribute("data-url") + "?title=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: { "Accept": "text/html" }
    }).then(function (response) {
      return response.ok ? response.text() : "";
    }).then(function (html) {
      if (text === last) { box.innerHTML = html; }
    }).catch(function () { /* hints are a help, never a requirement */ });
  }
  title.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(look, 300);
  });
  look();
})();
