// The joint conference's dashboard: plan progress by section, a choropleth of Jiangsu's
// counties for the chosen figure (suppressed counts in grey), and the monthly trend.
(function () {
  "use strict";
  if (!window.echarts) { return; }
  var palette = ["#e8f0fa", "#9ec3e6", "#4f8fcb", "#1f5fa8", "#12355f"];

  function json(el, name) { return JSON.parse(el.dataset[name] || "null"); }

  var plan = document.getElementById("plan-chart");
  if (plan) {
    var chart = echarts.init(plan, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { top: 0, data: [plan.dataset.labelDue, plan.dataset.labelFiled] },
      grid: { left: 40, right: 10, top: 36, bottom: 30 },
      xAxis: { type: "category", data: json(plan, "sections") },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: plan.dataset.labelDue, type: "bar", data: json(plan, "due"), itemStyle: { color: "#bac8d9" } },
        { name: plan.dataset.labelFiled, type: "bar", data: json(plan, "filed"), itemStyle: { color: "#1f5fa8" } }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  var trendEl = document.getElementById("dash-trend");
  if (trendEl) {
    var trend = json(trendEl, "trend") || [];
    var tchart = echarts.init(trendEl, null, { renderer: "canvas" });
    tchart.setOption({
      tooltip: {
        trigger: "axis",
        formatter: function (ps) {
          var p = ps[0];
          return p.name + "<br>" + trendEl.dataset.label + "：" + (p.value == null ? trendEl.dataset.suppressed : p.value);
        }
      },
      grid: { left: 40, right: 10, top: 20, bottom: 30 },
      xAxis: { type: "category", data: trend.map(function (t) { return t[0]; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "line", connectNulls: false, showSymbol: true, symbolSize: 6, data: trend.map(function (t) { return t[1]; }), itemStyle: { color: "#1f5fa8" } }]
    });
    window.addEventListener("resize", function () { tchart.resize(); });
  }

  var el = document.getElementById("dash-map");
  if (!el) { return; }
  var values = json(el, "values") || {};
  var division = el.dataset.division;
  fetch(el.dataset.mapUrl, { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (geo) {
      // Drill-down: a city (or a county's city) shows only that city's counties.
      if (division && division.slice(2, 4) !== "00") {
        var city = division.slice(0, 4) + "00";
        geo = { type: "FeatureCollection", features: geo.features.filter(function (f) { return f.properties.city_code === city; }) };
      }
      echarts.registerMap("dashboard", geo);
      var shown = Object.keys(values).map(function (k) { return values[k]; }).filter(function (v) { return v != null; });
      var max = shown.length ? Math.max.apply(null, shown) : 10;
      var data = geo.features.map(function (f) {
        var code = f.properties.code;
        var inScope = Object.prototype.hasOwnProperty.call(values, code);
        var v = inScope ? values[code] : null;
        var item = { name: f.properties.name, code: code, city: f.properties.city, value: v, inScope: inScope };
        if (!inScope) { item.itemStyle = { areaColor: "#f1f1f1" }; }
        else if (v == null) { item.itemStyle = { areaColor: "#cfd4da" }; }
        if (code === division) { item.itemStyle = Object.assign({}, item.itemStyle, { borderColor: "#b3261e", borderWidth: 2 }); }
        return item;
      });
      var chart = echarts.init(el, null, { renderer: "canvas" });
      chart.setOption({
        tooltip: {
          trigger: "item",
          formatter: function (p) {
            if (!p.data) { return p.name; }
            var v = !p.data.inScope ? el.dataset.outside : (p.data.value == null ? el.dataset.suppressed : p.data.value);
            return p.data.city + " " + p.name + "（" + p.data.code + "）<br>" + el.dataset.label + "：" + v;
          }
        },
        visualMap: { min: 0, max: max, calculable: true, inRange: { color: palette }, left: 10, bottom: 10, text: ["", ""] },
        series: [{ type: "map", map: "dashboard", roam: true, data: data,
                   itemStyle: { borderColor: "#ffffff", borderWidth: 0.6 },
                   emphasis: { label: { show: true } } }]
      });
      chart.on("click", function (p) {
        if (p.data && p.data.inScope) {
          window.location = "/dashboard?source=" + encodeURIComponent(el.dataset.source) + "&months=" + el.dataset.months + "&division=" + p.data.code;
        }
      });
      window.addEventListener("resize", function () { chart.resize(); });
      el.dataset.ready = "1";
    });
})();
