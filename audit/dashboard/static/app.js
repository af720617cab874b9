// redact reviewer dashboard: keyboard shortcuts on the item view.
// Never writes data into the page as HTML: everything shown is rendered (escaped) by the server.
(function () {
  "use strict";

  function byId(id) { return document.getElementById(id); }

  function go(link) {
    if (link && link.href) { window.location.assign(link.href); }
  }

  function setupItem() {
    var form = byId("verdict-form");
    if (!form) { return; }
    var entityBox = byId("entity-box");
    var entity = byId("entity-type");
    var hint = byId("entity-hint");
    var comment = byId("comment");
    var submitting = false;

    entityBox.classList.add("hidden");

    function submit(buttonId) {
      if (submitting) { return; }
      var button = byId(buttonId);
      if (!button) { return; }
      submitting = true;
      if (typeof form.requestSubmit === "function") { form.requestSubmit(button); } else { button.click(); }
    }

    function askEntity() {
      entityBox.classList.remove("hidden");
      entity.focus();
    }

    function submitMissed() {
      if (!entity.value) {
        hint.textContent = "Choose the entity type first.";
        entity.focus();
        return;
      }
      submit("v-missed");
    }

    byId("v-missed-toggle").addEventListener("click", askEntity);
    byId("v-missed").addEventListener("click", function (event) {
      if (!entity.value) { event.preventDefault(); submitMissed(); }
    });
    entity.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); submitMissed(); }
      if (event.key === "Escape") { entityBox.classList.add("hidden"); entity.blur(); }
    });

    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) { return; }
      var target = event.target;
      var tag = target && target.tagName;
      if (tag === "TEXTAREA" || tag === "INPUT" || tag === "SELECT" || (target && target.isContentEditable)) {
        if (event.key === "Escape") { target.blur(); }
        return;
      }
      switch (event.key) {
        case "j": case "ArrowRight": go(byId("next-link")); break;
        case "k": case "ArrowLeft": go(byId("prev-link")); break;
        case "1": submit("v-ok"); break;
        case "2": event.preventDefault(); askEntity(); break;
        case "3": submit("v-over"); break;
        case "4": submit("v-other"); break;
        case "c": event.preventDefault(); comment.focus(); break;
        case "o": go(byId("original-link") || byId("hide-original")); break;
        default: return;
      }
    });
  }

  if (document.body && document.body.dataset.page === "item") { setupItem(); }
})();
