// The pipeline board: drag a card to another column (SortableJS) and the move is posted with
// htmx, exactly as the card's own stage menu posts it (the keyboard way). Moving to a lost
// stage asks for the reason in a dialog; closing the dialog puts the card back.
(function () {
  "use strict";

  function csrfHeaders() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}");
    } catch (e) {
      return {};
    }
  }

  function move(card, stage) {
    window.htmx.ajax("POST", card.getAttribute("data-move-url"), {
      source: card,
      target: "#board",
      swap: "outerHTML",
      values: { stage: stage },
      headers: csrfHeaders()
    });
  }

  function setUp(root) {
    if (!window.Sortable) { return; }
    root.querySelectorAll("[data-deal-column]").forEach(function (column) {
      if (column.sortable) { return; }
      column.sortable = window.Sortable.create(column, {
        group: "deals",
        animation: 150,
        draggable: "[data-deal]",
        // Let the stage menu, its button and the links work as usual inside a card.
        filter: "select, button, input, label",
        preventOnFilter: false,
        onEnd: function (event) {
          if (event.from === event.to) { return; }
          move(event.item, event.to.getAttribute("data-stage"));
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:afterSettle", function (event) { setUp(event.target); });

  // The server asks for a reason (a lost stage): show the dialog it filled in.
  var moved = false;
  document.addEventListener("deal-reason-needed", function () {
    var dialog = document.getElementById("move-dialog");
    if (!dialog || !window.bootstrap) { return; }
    moved = false;
    window.bootstrap.Modal.getOrCreateInstance(dialog).show();
    var field = dialog.querySelector("textarea, input[type=text]");
    if (field) { dialog.addEventListener("shown.bs.modal", function () { field.focus(); }, { once: true }); }
  });

  // The reason was sent and the board came back: close the dialog.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.closest || !form.closest("#move-dialog") || !event.detail.successful) { return; }
    if (event.detail.target && event.detail.target.id === "board") {
      moved = true;
      window.bootstrap.Modal.getOrCreateInstance(document.getElementById("move-dialog")).hide();
    }
  });

  // Closed without a reason: the card goes back where it was.
  document.addEventListener("hidden.bs.modal", function (event) {
    if (event.target.id !== "move-dialog") { return; }
    document.getElementById("move-dialog-body").innerHTML = "";
    if (!moved) { document.body.dispatchEvent(new CustomEvent("deal-board-refresh")); }
  });
})();
