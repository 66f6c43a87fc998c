// The case map: Jiangsu's counties, the last-seen point and the alert's current ring.
(function () {
  "use strict";
  var el = document.getElementById("alerts-map");
  if (!el || !window.echarts) { return; }
  var data = JSON.parse(el.dataset.map || "{}");
  fetch(el.dataset.mapUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (geo) {
      echarts.registerMap("jiangsu", geo);
      var series = [];
      if (data.ring) {
        series.push({ type: "lines", coordinateSystem: "geo", polyline: true, silent: true,
                      name: el.dataset.labelRing,
                      lineStyle: { color: "#c0392b", width: 2, type: "dashed" },
                      data: [{ coords: data.ring }] });
      }
      if (data.point) {
        series.push({ type: "effectScatter", coordinateSystem: "geo", name: el.dataset.labelPoint,
                      symbolSize: 12, itemStyle: { color: "#c0392b" },
                      data: [{ name: el.dataset.labelPoint, value: data.point }] });
      }
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        tooltip: { trigger: "item" },
        geo: { map: "jiangsu", roam: true, layoutCenter: ["50%", "50%"], layoutSize: "95%",
               center: data.point || undefined, zoom: data.radius && data.radius >= 300 ? 0.6 : 1,
               itemStyle: { areaColor: "#eef2f7", borderColor: "#9aa9bd" } },
        series: series
      });
      window.addEventListener("resize", function () { chart.resize(); });
      el.dataset.ready = "1";
    });
})();
