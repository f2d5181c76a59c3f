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
      // htmx only handles forms that carry hx-get/hx-post; a plain form submits itself.
      if (window.htmx && (form.hasAttribute("hx-get") || form.hasAttribute("hx-post"))) {
        window.htmx.trigger(form, "submit");
      } else if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
    }
  });

  // Copy a field's value: <button data-copy="input-id" data-copied-label="Copied">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var field = document.getElementById(button.getAttribute("data-copy"));
    if (!field) { return; }
    field.select();
    var done = function () {
      var label = button.getAttribute("data-copied-label");
      if (label) { button.textContent = label; }
      button.classList.add("btn-success");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });

  // Merge page: choosing the record to keep moves every field's choice to that record's
  // value, except where it has none (the current choice stays): <input data-merge-survivor>.
  document.addEventListener("change", function (event) {
    var keep = event.target.closest("[data-merge-survivor]");
    if (!keep) { return; }
    var table = keep.closest("table");
    table.querySelectorAll('tbody input[type="radio"][value="' + keep.value + '"]').forEach(function (radio) {
      if (!radio.hasAttribute("data-empty")) { radio.checked = true; }
    });
  });

  // Select a read-only value when it gets focus, ready to copy: <input data-select-on-focus>.
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-select-on-focus]")) { event.target.select(); }
  });
})();
