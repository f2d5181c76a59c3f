// Export links and the field picker. No inline scripts: the CSP forbids them.
(function () {
  "use strict";

  // The list's "Export" link exports the ticked rows when there are some, else the filter.
  document.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-export-selected]");
    if (!link) { return; }
    var name = link.getAttribute("data-export-selected");
    var ids = Array.from(document.querySelectorAll('input[type="checkbox"][name="' + name + '"]:checked'))
      .map(function (box) { return box.value; });
    if (!ids.length) { return; }
    event.preventDefault();
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("ids", ids.join(","));
    window.location.assign(url.toString());
  });

  // "Export selected (3)" once rows are ticked.
  function updateExportLabel() {
    var link = document.querySelector("a[data-export-selected]");
    if (!link) { return; }
    var label = link.querySelector("[data-label]");
    if (!label) { return; }
    var count = document.querySelectorAll('input[type="checkbox"][name="' + link.getAttribute("data-export-selected") + '"]:checked').length;
    if (!label.dataset.original) { label.dataset.original = label.textContent; }
    label.textContent = count ? label.dataset.template.replace("{n}", count) : label.dataset.original;
  }
  document.addEventListener("change", function () { window.setTimeout(updateExportLabel, 0); });
  document.addEventListener("htmx:afterSwap", updateExportLabel);

  // Field picker: all / none / the defaults.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-pick]");
    if (!button) { return; }
    var picker = button.closest("[data-field-picker]");
    var mode = button.getAttribute("data-pick");
    var defaults = (button.getAttribute("data-defaults") || "").split(" ");
    picker.querySelectorAll('input[type="checkbox"]').forEach(function (box) {
      box.checked = mode === "all" || (mode === "defaults" && defaults.indexOf(box.value) !== -1);
    });
  });
})();
