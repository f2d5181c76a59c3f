// Small behaviours shared by every page. No inline scripts anywhere: the CSP forbids them.
(function () {
  "use strict";

  // Confirm dangerous actions: <button data-confirm="...">.
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (el && !window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Select-all checkbox for bulk actions: <input type="checkbox" data-select-all="name">.
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches("[data-select-all]")) {
      var name = el.getAttribute("data-select-all");
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = el.checked;
      });
    }
  });

  // Charts: <div data-chart="json-script-id" data-chart-type="pie|bar"> rendered with ECharts.
  function renderCharts(root) {
    if (!window.echarts) { return; }
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.rendered) { return; }
      var source = document.getElementById(el.getAttribute("data-chart"));
      if (!source) { return; }
      var option = JSON.parse(source.textContent);
      var chart = window.echarts.init(el);
      chart.setOption(option);
      el.dataset.rendered = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { renderCharts(document); });
  document.addEventListener("htmx:afterSwap", function (event) { renderCharts(event.target); });

  // Submit a filter form when one of its selects changes: <form data-autosubmit>.
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form && event.target.matches("select, input[type=date], input[type=checkbox]:not([name=ids])")) {
      if (window.htmx) { window.htmx.trigger(form, "submit"); } else { form.submit(); }
    }
  });
})();
