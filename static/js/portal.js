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

// A request the portal refused as too large (413) is not swapped by htmx; show its page in place of this one.
document.addEventListener("htmx:responseError", (event) => {
  const response = event.detail.xhr;
  if (response.status !== 413) return;
  document.open();
  document.write(response.responseText);
  document.close();
});
