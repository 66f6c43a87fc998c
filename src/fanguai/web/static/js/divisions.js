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
        // Thirteen cities, thirteen colours: a reader finds their own city at a glance.
        var palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                       "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295", "#a0cbe8"];
        var cityIndex = {};
        var data = geo.features.map(function (f) {
          var c = f.properties.city_code;
          if (!(c in cityIndex)) { cityIndex[c] = Object.keys(cityIndex).length; }
          return { name: f.properties.name, code: f.properties.code, city: f.properties.city,
                   value: counts[f.properties.code] || 0,
                   itemStyle: { areaColor: palette[cityIndex[c] % palette.length] } };
        });
        var chart = echarts.init(el, null, { renderer: "canvas" });
        chart.setOption({
          tooltip: {
            trigger: "item",
            formatter: function (p) {
              if (!p.data) { return p.name; }
              return p.data.city + " " + p.name + "（" + p.data.code + "）<br>" + el.dataset.labelUnits + "：" + p.value;
            }
          },
          series: [{ type: "map", map: "jiangsu", roam: true, data: data,
                     itemStyle: { borderColor: "#ffffff", borderWidth: 0.6 },
                     emphasis: { label: { show: true }, itemStyle: { areaColor: "#12355f" } } }]
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
