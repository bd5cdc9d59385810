// Draws every chart the server rendered (web/charts.py): a div with data-chart naming
// the <script type="application/json"> that holds its ECharts option. Without ECharts
// (not installed, or no JavaScript) nothing happens and each chart's table remains.
(function () {
  "use strict";
  function drawAll() {
    if (typeof window.echarts === "undefined") {
      return;
    }
    var charts = [];
    document.querySelectorAll("div[data-chart]").forEach(function (div) {
      var source = document.getElementById(div.getAttribute("data-chart"));
      if (!source) {
        return;
      }
      var chart = window.echarts.init(div, null, { renderer: "svg" });
      chart.setOption(JSON.parse(source.textContent));
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
    document.documentElement.setAttribute("data-charts-drawn", String(charts.length));
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
