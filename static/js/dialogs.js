// Dialogs that htmx swaps in: <dialog data-modal> opens as a modal; Escape discards through the dialog's
// data-discard-form (or just closes it); links marked data-close-dialog close it instead of leaving the page.
(() => {
  const open = (root) => {
    if (!root.querySelectorAll) return;
    const dialogs = [...root.querySelectorAll("dialog[data-modal]")];
    if (root.matches("dialog[data-modal]")) dialogs.push(root);
    for (const dialog of dialogs) {
      if (!dialog.open) dialog.showModal();
    }
  };
  const close = (dialog) => {
    dialog.close();
    const host = document.getElementById("dialog-root");
    if (host && host.contains(dialog)) host.replaceChildren();
  };

  document.addEventListener("htmx:load", (event) => open(event.target));
  document.addEventListener("DOMContentLoaded", () => open(document));

  document.addEventListener("cancel", (event) => {
    const dialog = event.target.closest && event.target.closest("dialog[data-modal]");
    if (!dialog) return;
    const formId = dialog.dataset.discardForm;
    const form = formId && document.getElementById(formId);
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    } else {
      event.preventDefault();
      close(dialog);
    }
  }, true);

  document.addEventListener("click", (event) => {
    const link = event.target.closest("[data-close-dialog]");
    const dialog = link && link.closest("dialog[data-modal]");
    if (!dialog) return;
    event.preventDefault();
    close(dialog);
  });

  // The Name list of well-known endpoints fills in the protocol and both ports.
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches || !input.matches("input[list='well-known-endpoints']")) return;
    const option = [...document.querySelectorAll("#well-known-endpoints option")].find(
      (item) => item.value.toLowerCase() === input.value.trim().toLowerCase(),
    );
    const form = input.form;
    if (!option || !form) return;
    const set = (suffix, value) => {
      const field = form.querySelector(`[name$="${suffix}"]`);
      if (field && !field.disabled) field.value = value;
    };
    set("protocol", option.dataset.protocol);
    set("public_port", option.dataset.port);
    set("private_port", option.dataset.port);
  });
})();
