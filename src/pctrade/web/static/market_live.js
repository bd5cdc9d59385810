// Keeps a contract page current: listens to the contract's stream (Server-Sent Events,
// /web/market/{code}/stream) and redraws the depth tables and prepends each trade.
// Figures arrive as integers (fen per tonne, grams); they are formatted here with the
// page's locale, the same way the server formats them (Intl, no float arithmetic on
// money beyond dividing for display).
(function () {
  "use strict";
  var root = document.getElementById("market-live");
  if (!root || typeof window.EventSource === "undefined") {
    return;
  }
  var locale = root.getAttribute("data-lang") === "zh" ? "zh-CN" : "en-US";
  var tonnes = new Intl.NumberFormat(locale, { maximumFractionDigits: 3 });
  var money = new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var state = document.querySelector("[data-testid=live-state] .live-text");

  function price(fenPerT) {
    return root.getAttribute("data-per-t").replace("{price}", "¥" + money.format(fenPerT / 100));
  }
  function grams(g) {
    return tonnes.format(g / 1e6) + " " + root.getAttribute("data-t");
  }
  function cell(tag, text, cls) {
    var el = document.createElement(tag);
    el.textContent = text;
    if (cls) { el.className = cls; }
    if (tag === "th") { el.setAttribute("scope", "row"); }
    return el;
  }
  function drawSide(id, levels) {
    var body = document.getElementById(id);
    if (!body) { return; }
    body.textContent = "";
    if (levels.length === 0) {
      var empty = cell("td", root.getAttribute("data-empty"));
      empty.setAttribute("colspan", "3");
      var row = document.createElement("tr");
      row.appendChild(empty);
      body.appendChild(row);
    }
    levels.forEach(function (l) {
      var tr = document.createElement("tr");
      tr.appendChild(cell("th", price(l.price_fen_per_t), "num"));
      tr.appendChild(cell("td", grams(l.quantity_g), "num"));
      tr.appendChild(cell("td", String(l.orders), "num"));
      body.appendChild(tr);
    });
  }
  function addTrade(t, ts) {
    var body = document.getElementById("trades-body");
    if (!body) { return; }
    var tr = document.createElement("tr");
    tr.setAttribute("data-live", "1");
    tr.appendChild(cell("th", new Date(ts).toLocaleString(locale, { timeZone: "Asia/Shanghai" })));
    tr.appendChild(cell("td", root.getAttribute("data-" + t.taker_side) || t.taker_side));
    tr.appendChild(cell("td", price(t.price_fen_per_t), "num"));
    tr.appendChild(cell("td", grams(t.quantity_g), "num"));
    body.insertBefore(tr, body.firstChild);
  }
  function onEvent(message) {
    var data = JSON.parse(message.data);
    if (data.depth) {
      drawSide("depth-bids", data.depth.bids || []);
      drawSide("depth-asks", data.depth.asks || []);
    }
    (data.trades || []).forEach(function (t) { addTrade(t, data.ts); });
    root.setAttribute("data-seq", String(data.seq));
  }
  var source = new EventSource(root.getAttribute("data-stream"));
  ["book", "trade", "close"].forEach(function (name) { source.addEventListener(name, onEvent); });
  source.onopen = function () {
    if (state) { state.textContent = root.getAttribute("data-connected"); }
    root.setAttribute("data-live", "open");
  };
  source.onerror = function () {
    if (state) { state.textContent = root.getAttribute("data-disconnected"); }
  };
})();
