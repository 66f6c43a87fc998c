// Progress pages: a cycle picker submits itself when changed.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });
})();
