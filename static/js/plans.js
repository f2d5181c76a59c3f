// Maintenance plans and the calendar.
// - Calendar: drag a task to another day (SortableJS); the move is posted with htmx to the
//   same URL as the task's own date form (the keyboard way), and the grid comes back.
// - Plan form: show only the fields the chosen cycle and assignment use.
(function () {
  "use strict";

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      return {};
    }
  }

  function setUpCalendar(root) {
    if (!window.Sortable || !window.htmx) { return; }
    root.querySelectorAll(".cal-list[data-date]").forEach(function (list) {
      if (list.sortable) { return; }
      list.sortable = window.Sortable.create(list, {
        group: "calendar-tasks",
        animation: 150,
        draggable: "[data-task]",
        // The date form inside a task keeps working as usual.
        filter: "details, input, button, label",
        preventOnFilter: false,
        onEnd: function (event) {
          if (event.from === event.to) { return; }
          window.htmx.ajax("POST", event.item.getAttribute("data-move-url"), {
            source: event.item,
            target: "#calendar",
            swap: "outerHTML",
            values: { date: event.to.getAttribute("data-date") },
            headers: csrfHeaders()
          });
        }
      });
    });
  }

  function syncPlanForm(form) {
    var cycle = form.querySelector("[name=cycle]");
    if (cycle) {
      form.querySelectorAll("[data-cycle-field]").forEach(function (box) {
        var uses = box.getAttribute("data-cycle-field").split(" ");
        box.hidden = uses.indexOf(cycle.value) === -1;
      });
    }
    var assign = form.querySelector("[name=assign_to]");
    var owner = form.querySelector("[data-assign-field]");
    if (assign && owner) { owner.hidden = assign.value !== "user"; }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpCalendar(document);
    var form = document.getElementById("plan-form");
    if (form) {
      syncPlanForm(form);
      form.addEventListener("change", function () { syncPlanForm(form); });
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) { setUpCalendar(event.target); });
})();
