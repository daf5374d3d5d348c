// The Monitor tab's charts and the Dashboard's small chart, drawn with uPlot (static/vendor/uplot/).
// Each chart's numbers come from a JSON data block (<script type="application/json">) named by data-chart;
// the same numbers are in the table beside it. No inline script or style: everything hooks in here.
(() => {
  if (window.portalMonitor) return;
  window.portalMonitor = true;

  const COLOURS = ["#0072c6", "#d9822b", "#3a9d23"];
  const charts = new Set();

  const formatBytes = (value) => {
    if (value == null) return "-";
    const units = ["B/s", "KB/s", "MB/s", "GB/s"];
    let index = 0;
    while (Math.abs(value) >= 1000 && index < units.length - 1) {
      value /= 1000;
      index += 1;
    }
    return `${value.toFixed(value >= 100 || index === 0 ? 0 : 1)} ${units[index]}`;
  };
  const format = (unit, value) => (unit === "%" ? (value == null ? "-" : `${value.toFixed(1)}%`) : formatBytes(value));

  const draw = (element) => {
    if (element.dataset.drawn || typeof uPlot === "undefined") return;
    const block = document.getElementById(element.dataset.chart);
    if (!block) return;
    const data = JSON.parse(block.textContent);
    const units = [...new Set(data.series.map((series) => series.unit))];
    const small = element.closest(".portal-chart-small") !== null;
    const options = {
      width: Math.max(element.clientWidth, 200),
      height: small ? 120 : 180,
      legend: { show: !small },
      scales: Object.fromEntries(units.map((unit) => [unit, unit === "%" ? { range: [0, 100] } : { auto: true }])),
      series: [
        {},
        ...data.series.map((series, index) => ({
          label: series.label,
          scale: series.unit,
          stroke: COLOURS[index % COLOURS.length],
          width: 1.5,
          value: (_plot, value) => format(series.unit, value),
        })),
      ],
      axes: [
        {},
        ...units.map((unit, index) => ({
          scale: unit,
          side: index === 0 ? 3 : 1,
          size: 64,
          grid: { show: index === 0 },
          values: (_plot, ticks) => ticks.map((tick) => format(unit, tick)),
        })),
      ],
    };
    const plot = new uPlot(options, [data.x, ...data.series.map((series) => series.values)], element);
    element.dataset.drawn = "true";
    charts.add({ element, plot });
  };

  const drawAll = (root) => {
    const scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-chart]")) draw(scope);
    for (const element of scope.querySelectorAll("[data-chart]")) draw(element);
  };

  let resizing = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(resizing);
    resizing = requestAnimationFrame(() => {
      for (const chart of charts) {
        if (!chart.element.isConnected) {
          chart.plot.destroy();
          charts.delete(chart);
          continue;
        }
        chart.plot.setSize({ width: Math.max(chart.element.clientWidth, 200), height: chart.plot.height });
      }
    });
  });

  if (typeof htmx !== "undefined") htmx.onLoad(drawAll);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", () => drawAll(document));
  else drawAll(document);
})();
