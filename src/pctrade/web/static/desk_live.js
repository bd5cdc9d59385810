// The offset cap, live: as an emitter picks batches and quantities to surrender, says
// how much of it counts as offsets and what may still count after it (the figures the
// server put on the form: the rule set's cap less what has counted so far). The server
// checks the surrender again; this only saves a refused round trip. Quantities are read
// as tonnes and compared in grams, rounded to the gram as the server reads them.
(function () {
  "use strict";
  function grams(text) {
    var t = Number(String(text).replace(/,/g, "").trim());
    return isFinite(t) && t > 0 ? Math.round(t * 1e6) : 0;
  }
  function watch(form) {
    var types = (form.getAttribute("data-types") || "").split(" ");
    var home = form.getAttribute("data-jurisdiction");
    var left = form.getAttribute("data-offsets-left-g");
    var nonlocalLeft = form.getAttribute("data-nonlocal-left-g");
    var out = form.querySelector(".offset-live");
    if (!out || left === "") {
      return;
    }
    var locale = form.getAttribute("data-lang") === "zh" ? "zh-CN" : "en-US";
    var tonnes = new Intl.NumberFormat(locale, { maximumFractionDigits: 6 });
    var unit = " " + form.getAttribute("data-t");
    function say() {
      var offsets = 0;
      var nonlocal = 0;
      form.querySelectorAll("select[name^=batch_]").forEach(function (select) {
        var option = select.options[select.selectedIndex];
        var quantity = form.querySelector("[name=" + select.name.replace("batch_", "quantity_") + "]");
        if (!option || !option.value || !quantity) {
          return;
        }
        if (types.indexOf(option.getAttribute("data-instrument")) >= 0) {
          var g = grams(quantity.value);
          offsets += g;
          if (option.getAttribute("data-jurisdiction") !== home) {
            nonlocal += g;
          }
        }
      });
      var after = Number(left) - offsets;
      var nonlocalAfter = nonlocalLeft === "" ? after : Number(nonlocalLeft) - nonlocal;
      out.textContent = form.getAttribute("data-text")
        .replace("{offsets}", tonnes.format(offsets / 1e6) + unit)
        .replace("{left}", tonnes.format(Math.max(after, 0) / 1e6) + unit)
        .replace("{nonlocal}", tonnes.format(Math.max(nonlocalAfter, 0) / 1e6) + unit);
      if (after < 0 || nonlocalAfter < 0) {
        out.textContent += " " + form.getAttribute("data-over");
        out.setAttribute("data-over", "1");
      } else {
        out.removeAttribute("data-over");
      }
    }
    form.addEventListener("input", say);
    form.addEventListener("change", say);
    say();
  }
  document.querySelectorAll("form.surrender-form").forEach(watch);
})();
