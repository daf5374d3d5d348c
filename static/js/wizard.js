// The From Gallery wizard: show the fields that the current choices call for.
(() => {
  if (window.portalWizard) return;
  window.portalWizard = true;

  const valueOf = (root, name) => {
    for (const control of root.querySelectorAll(`[name="${CSS.escape(name)}"]`)) {
      if (control.type === "checkbox") return control.checked ? "on" : "";
      if (control.type === "radio") {
        if (control.checked) return control.value;
        continue;
      }
      return control.value;
    }
    return "";
  };

  const update = (root) => {
    for (const element of root.querySelectorAll("[data-wizard-show-when]")) {
      const [name, values] = element.dataset.wizardShowWhen.split("=");
      element.hidden = !values.split(",").includes(valueOf(root, name));
    }
  };

  document.addEventListener("change", (event) => {
    const page = event.target.closest("#wizard-page");
    if (page) update(page);
  });
})();
