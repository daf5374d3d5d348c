// Close the New menu once a choice in it has been made.
document.addEventListener("click", (event) => {
  const item = event.target.closest(".portal-new-menu a");
  if (item) item.closest("details.portal-new").removeAttribute("open");
});

// Show the parts of a form that its current choices call for: data-show-when="FIELD=VALUE[,VALUE]".
(() => {
  const valueOf = (form, name) => {
    for (const control of form.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (control.type === "checkbox") return control.checked ? "on" : "";
      if (control.type === "radio") {
        if (control.checked) return control.value;
        continue;
      }
      return control.value;
    }
    return "";
  };

  document.addEventListener("change", (event) => {
    const form = event.target.closest("form");
    if (!form) return;
    for (const element of form.querySelectorAll("[data-show-when]")) {
      const [name, values] = element.dataset.showWhen.split("=");
      element.hidden = !values.split(",").includes(valueOf(form, name));
    }
  });
})();

// Submit a form as soon as one of its choices changes: <select data-submit-on-change>.
document.addEventListener("change", (event) => {
  if (event.target.matches("[data-submit-on-change]")) event.target.form.requestSubmit();
});

// Open a dialog htmx has just brought in as a modal: <dialog data-open-modal>.
document.addEventListener("htmx:load", (event) => {
  const root = event.target;
  const dialogs = root.matches("dialog[data-open-modal]") ? [root] : root.querySelectorAll("dialog[data-open-modal]");
  for (const dialog of dialogs) {
    if (!dialog.open) dialog.showModal();
  }
});

// Escape on such a dialog submits its discard form instead of only hiding it: data-cancel-submits="FORM-ID".
// "cancel" does not bubble, so it is caught on its way down.
document.addEventListener(
  "cancel",
  (event) => {
    const formId = event.target.dataset?.cancelSubmits;
    if (!formId) return;
    event.preventDefault();
    document.getElementById(formId)?.requestSubmit();
  },
  true,
);

// Close an htmx-loaded dialog without a request: <a data-dismiss-dialog="CONTAINER-ID"> empties the container.
document.addEventListener("click", (event) => {
  const link = event.target.closest("[data-dismiss-dialog]");
  if (!link) return;
  event.preventDefault();
  document.getElementById(link.dataset.dismissDialog)?.replaceChildren();
});
