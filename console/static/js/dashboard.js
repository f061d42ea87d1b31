// Draws the dashboard's charts from the JSON the page carries (#dashboard-data); no inline script, so the
// page's Content-Security-Policy can forbid them. Numbers on axes and in tooltips are shown in Persian digits.
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof Chart === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var persian = function (value) { return String(value).replace(/[0-9]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[+d]; }); };
  var grouped = function (value) { return persian(Number(value).toLocaleString("en-US").replace(/,/g, "٬")); };
  Chart.defaults.font.family = "Vazirmatn, Tahoma, sans-serif";
  Chart.defaults.color = "#1f2933";
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.plugins.legend.rtl = true;
  Chart.defaults.plugins.tooltip.rtl = true;
  Chart.defaults.plugins.tooltip.callbacks.label = function (ctx) {
    var label = ctx.dataset.label || ctx.label || "";
    var value = ctx.parsed && typeof ctx.parsed === "object" ? (ctx.parsed.x !== undefined && ctx.chart.options.indexAxis === "y" ? ctx.parsed.x : ctx.parsed.y) : ctx.parsed;
    return label + ": " + grouped(value);
  };
  var palette = ["#0b6e4f", "#f79009", "#2e90fa", "#b42318", "#7a5af8", "#12b76a", "#667085"];
  var axis = { ticks: { callback: function (value) { return grouped(value); }, precision: 0 }, beginAtZero: true };
  var rightAxis = Object.assign({ position: "right" }, axis);
  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) { new Chart(canvas, config); }
  }
  draw("chart-days", {
    type: "bar",
    data: { labels: data.days.labels, datasets: [
      { label: "پاسخ داده شد", data: data.days.answered, backgroundColor: "#0b6e4f", stack: "q" },
      { label: "پیدا نشد", data: data.days.unanswered, backgroundColor: "#f79009", stack: "q" },
      { label: "همه پیام‌ها", data: data.days.incoming, type: "line", stack: "all", borderColor: "#2e90fa", backgroundColor: "#2e90fa", tension: 0.2 }
    ] },
    options: { scales: { x: { reverse: true, stacked: true }, y: Object.assign({ stacked: true }, rightAxis) },
      plugins: { legend: { position: "bottom" } } }
  });
  draw("chart-found", {
    type: "doughnut",
    data: { labels: data.found.labels, datasets: [{ data: data.found.values, backgroundColor: ["#0b6e4f", "#f79009"] }] },
    options: { plugins: { legend: { position: "bottom" } } }
  });
  draw("chart-statuses", {
    type: "doughnut",
    data: { labels: data.statuses.labels, datasets: [{ data: data.statuses.values, backgroundColor: palette }] },
    options: { plugins: { legend: { position: "bottom" } } }
  });
  draw("chart-services", {
    type: "bar",
    data: { labels: data.services.labels, datasets: [{ label: "پرسش", data: data.services.values, backgroundColor: "#0b6e4f" }] },
    options: { indexAxis: "y", scales: { x: Object.assign({ reverse: true }, axis), y: { position: "right", ticks: { autoSkip: false,
      callback: function (value) { var t = this.getLabelForValue(value); return t.length > 30 ? t.slice(0, 29) + "…" : t; } } } },
      plugins: { legend: { display: false } } }
  });
  draw("chart-intents", {
    type: "bar",
    data: { labels: data.intents.labels, datasets: [{ label: "پرسش", data: data.intents.values, backgroundColor: "#2e90fa" }] },
    options: { scales: { x: { reverse: true }, y: rightAxis }, plugins: { legend: { display: false } } }
  });
}());
