// Customer, follow-up and task pages. No inline scripts or handlers: the CSP forbids them.
(function () {
  "use strict";

  // Filter forms send only the filters that are set, so URLs (and saved views) stay short.
  document.addEventListener("htmx:configRequest", function (event) {
    var form = event.detail.elt.closest && event.detail.elt.closest("form[data-autosubmit]");
    if (!form || event.detail.verb !== "get") { return; }
    var data = event.detail.formData;
    Array.from(new Set(data.keys())).forEach(function (key) {
      if (data.getAll(key).every(function (v) { return v === ""; })) { data.delete(key); }
    });
  });

  // "Selected: 3" beside the bulk actions.
  function updateSelectedCount() {
    var label = document.querySelector("[data-selected-count]");
    if (!label) { return; }
    var count = document.querySelectorAll('input[type="checkbox"][name="ids"]:checked').length;
    if (!label.dataset.original) { label.dataset.original = label.textContent; }
    label.textContent = count ? label.dataset.template.replace("{n}", count) : label.dataset.original;
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches('input[name="ids"], [data-select-all="ids"]')) {
      // app.js ticks the boxes on the same event; count after it has.
      window.setTimeout(updateSelectedCount, 0);
    }
  });
  document.addEventListener("htmx:afterSwap", updateSelectedCount);

  // After saving a view: empty the name and close its dropdown.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.id !== "save-view-form" || !event.detail.successful) { return; }
    form.reset();
    var toggle = form.parentElement.querySelector('[data-bs-toggle="dropdown"]');
    if (toggle && window.bootstrap) { window.bootstrap.Dropdown.getOrCreateInstance(toggle).hide(); }
  });

  // Cancel an inline form: <a data-clear="#slot"> empties the slot (the href is the no-JS way).
  document.addEventListener("click", function (event) {
    var link = event.target.closest("[data-clear]");
    if (!link) { return; }
    var slot = document.querySelector(link.getAttribute("data-clear"));
    if (slot) {
      event.preventDefault();
      slot.innerHTML = "";
    }
  });

  // Quick next-follow-up dates, the rhythm of the reminders by intent:
  // high intent every 2 days, medium every Monday, low at the end of the month.
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localValue(date) {
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes());
  }
  function quickDate(kind) {
    var date = new Date();
    if (kind === "2d") {
      date.setDate(date.getDate() + 2);
    } else if (kind === "monday") {
      date.setDate(date.getDate() + ((8 - date.getDay()) % 7 || 7));
    } else if (kind === "month-end") {
      date = new Date(date.getFullYear(), date.getMonth() + 1, 0);
      if (date.toDateString() === new Date().toDateString()) {
        date = new Date(date.getFullYear(), date.getMonth() + 2, 0);
      }
    }
    date.setHours(10, 0, 0, 0);
    return localValue(date);
  }
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-next-followup]");
    if (!button) { return; }
    var input = document.querySelector(button.getAttribute("data-target"));
    if (input) {
      input.value = quickDate(button.getAttribute("data-next-followup"));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
})();
