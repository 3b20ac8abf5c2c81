// Saathi: a few small enhancements; every page works without them.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Submit language and filter menus as soon as a choice is made.
    document.querySelectorAll("form.js-autosubmit select").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    document.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });
    // Ask before destructive actions (erase a learner, publish a pack).
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    // Simulator: show the newest message and keep the cursor in the reply box.
    document.querySelectorAll(".thread").forEach(function (thread) { thread.scrollTop = thread.scrollHeight; });
    // Simulator: the dispatch button keeps the channel picked in the menu beside the reply box.
    document.querySelectorAll("input[data-follows]").forEach(function (input) {
      var source = document.getElementById(input.getAttribute("data-follows"));
      if (source) { source.addEventListener("change", function () { input.value = source.value; }); }
    });
    var reply = document.querySelector(".compose input[name=body]");
    if (reply) { reply.focus(); }
    // Print buttons on reports and the recognition page.
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  });
})();
