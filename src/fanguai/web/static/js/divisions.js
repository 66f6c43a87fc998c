// Draws the county map of Jiangsu with ECharts and answers the coordinate form.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (el && window.echarts) {
    var counts = JSON.parse(el.dataset.counts || "{}");
    fetch(el.dataset.mapUrl, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        echarts.registerMap("jiangsu", geo);
        var data = geo.features.map(function (f) {
          return { name: f.properties.name, code: f.properties.code, value: counts[f.properties.code] || 0 };
        });
        var max = Math.max.apply(null, data.map(function (d) { return d.value; }).concat([1]));
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption({
          tooltip: {
            trigger: "item",
            formatter: function (p) {
              return p.name + " (" + (p.data ? p.data.code : "") + ")<br>" + el.dataset.labelUnits + ": " + (p.value || 0);
            }
          },
          visualMap: { min: 0, max: max, left: "left", bottom: 10, inRange: { color: ["#e8f1fb", "#1f5fa8"] }, calculable: true },
          series: [{ type: "map", map: "jiangsu", roam: true, data: data, emphasis: { label: { show: true } } }]
        });
        chart.on("click", function (p) { if (p.data) { window.location = "/units?division=" + p.data.code; } });
        window.addEventListener("resize", function () { chart.resize(); });
        el.dataset.ready = "1";
      });
  }
  var form = document.getElementById("locate");
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var out = document.getElementById("locate-result");
      var q = "lat=" + encodeURIComponent(form.lat.value) + "&lng=" + encodeURIComponent(form.lng.value);
      fetch("/api/geo/locate?" + q, { credentials: "same-origin" })
        .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
        .then(function (res) {
          out.textContent = res.ok
            ? res.body.city.name + " " + res.body.county.name + "（" + res.body.county.code + "）"
            : out.dataset.outside;
        });
    });
  }
})();
