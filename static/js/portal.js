// The portal's behaviour: the New drawer, modal dialogs, the wizards' focus, notifications and local times.
// No inline handlers anywhere: every template hooks in through ids, classes and data- attributes.
// Everything listens on the document, once: should the script run again in the same page, it does nothing more.
(() => {
  if (window.portalBehaviour) return;
  window.portalBehaviour = true;

  // Submit a form as soon as a control marked data-submit-on-change changes (the subscription switcher).
  document.addEventListener("change", (event) => {
    if (event.target.matches("[data-submit-on-change]")) event.target.form.requestSubmit();
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

  // Disclosure buttons: aria-expanded on a button shows or hides the element its aria-controls names.
  const setExpanded = (button, expanded) => {
    button.setAttribute("aria-expanded", String(expanded));
    const target = document.getElementById(button.getAttribute("aria-controls"));
    if (!target) return;
    target.hidden = !expanded;
    // A drawer always opens with its groups closed, so that New -> Virtual Machine always opens its choices.
    if (!expanded) {
      for (const inner of target.querySelectorAll("[aria-expanded='true'][aria-controls]")) setExpanded(inner, false);
    }
  };

  // The New drawer and the notification panel, with Escape and a click elsewhere closing them.
  (() => {
    const drawerButton = () => document.getElementById("new-button");
    const panelButton = () => document.getElementById("notifications-toggle");
    const closeAll = (except) => {
      for (const button of [drawerButton(), panelButton()]) {
        if (button && button !== except) setExpanded(button, false);
      }
    };

    document.addEventListener("click", (event) => {
      const toggle = event.target.closest("#new-button, #notifications-toggle, .portal-new-entry[aria-controls]");
      if (toggle) {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        if (!toggle.matches(".portal-new-entry")) closeAll(toggle);
        setExpanded(toggle, open);
        return;
      }
      // A choice in the drawer closes it; so does a click outside the drawer and the panel.
      if (event.target.closest("#new-drawer a")) {
        closeAll();
        return;
      }
      if (!event.target.closest("#new-drawer, #notifications-panel, dialog")) closeAll();
    });

    document.addEventListener("keydown", (event) => {
      if (event.key !== "Escape" || document.querySelector("dialog[open]")) return;
      const open = [drawerButton(), panelButton()].find((button) => button?.getAttribute("aria-expanded") === "true");
      if (open) {
        setExpanded(open, false);
        open.focus();
      }
    });
  })();

  // Modal dialogs arrive through htmx into #dialog-root: open them, keep focus in them, and on closing give focus back
  // to what opened them (the New button when the drawer opened them).
  (() => {
    let opener = null;

    document.addEventListener("htmx:beforeRequest", (event) => {
      const source = event.detail.elt;
      // Requests from inside a dialog (its pages, its discard) keep the opener of the dialog.
      if (event.detail.target?.id === "dialog-root" && !source.closest("#dialog-root")) {
        opener = source.closest("#new-drawer") ? document.getElementById("new-button") : source;
      }
    });

    const restoreFocus = () => {
      const target = opener && opener.isConnected ? opener : document.getElementById("main");
      target?.focus();
    };

    const hasEntries = (dialog) => {
      const page = dialog.querySelector("[data-has-entries]");
      if (page?.dataset.hasEntries === "true") return true;
      const form = dialog.querySelector("form.wizard-form, form.portal-dialog-form");
      if (!form) return false;
      return [...form.elements].some((control) => {
        if (control.type === "hidden" || control.type === "submit" || control.type === "button") return false;
        if (control.type === "checkbox" || control.type === "radio") return control.checked !== control.defaultChecked;
        if (control.tagName === "SELECT") return [...control.options].some((o) => o.selected !== o.defaultSelected);
        return control.value !== control.defaultValue;
      });
    };

    const confirmDiscard = (dialog) =>
      !hasEntries(dialog) || window.confirm("Discard what you entered? It will be lost.");

    const closeDialog = (dialog) => {
      const discard = dialog.dataset.discardForm && document.getElementById(dialog.dataset.discardForm);
      if (discard) {
        // The wizard keeps a draft on the server: throw it away there, which empties #dialog-root.
        discard.dataset.confirmed = "true";
        htmx.trigger(discard, "submit");
        return;
      }
      dialog.close();
    };

    // A wizard page is announced by its heading; a page the wizard refused goes to the first field with an error.
    const focusWizardPage = (page) => {
      const invalid = page.querySelector("#wizard-form [aria-invalid='true']:not([disabled]):not([type='hidden'])");
      (invalid || page.querySelector("#wizard-title"))?.focus();
    };

    const openDialogs = (root) => {
      for (const dialog of root.querySelectorAll("dialog.portal-modal:not([open])")) {
        dialog.showModal();
        const page = dialog.querySelector("#wizard-page");
        if (page) {
          focusWizardPage(page);
          continue;
        }
        const autofocus = dialog.querySelector("[autofocus]");
        (autofocus || dialog.querySelector("h2[tabindex], h2, [tabindex]"))?.focus();
      }
    };

    htmx.onLoad((element) => {
      if (element.matches?.("dialog.portal-modal")) openDialogs(element.parentElement);
      else openDialogs(element);
    });

    // Escape: ask before a draft with entries is thrown away.
    document.addEventListener(
      "cancel",
      (event) => {
        const dialog = event.target;
        if (!dialog.matches?.("dialog.portal-modal")) return;
        event.preventDefault();
        if (confirmDiscard(dialog)) closeDialog(dialog);
      },
      true,
    );

    // The close (X) button of the wizard asks the same question before its discard form goes.
    document.addEventListener("htmx:confirm", (event) => {
      const form = event.detail.elt;
      if (form.id !== "wizard-discard") return;
      if (form.dataset.confirmed) {
        delete form.dataset.confirmed;
        return;
      }
      const dialog = form.closest("dialog");
      if (dialog && !confirmDiscard(dialog)) event.preventDefault();
    });

    // Buttons and links marked data-dialog-close close their dialog without a request.
    document.addEventListener("click", (event) => {
      const closer = event.target.closest("[data-dialog-close]");
      if (!closer) return;
      event.preventDefault();
      closer.closest("dialog")?.close();
    });

    // A closed dialog leaves the page, and focus goes back where it came from.
    document.addEventListener(
      "close",
      (event) => {
        const dialog = event.target;
        if (!dialog.matches?.("dialog.portal-modal")) return;
        dialog.remove();
        restoreFocus();
      },
      true,
    );

    // #dialog-root emptied by the server (draft discarded, dialog done): focus goes back too.
    document.addEventListener("htmx:afterSwap", (event) => {
      // A history restore swaps with no target of its own.
      const target = event.detail.target;
      if (!target) return;
      if (target.id === "dialog-root" && !target.querySelector("dialog")) restoreFocus();
      // After each wizard page, focus moves into the new page. Only a new page: a swap inside one (the DNS name check,
      // suggestions, the image filter) must leave focus where the person is typing. A dialog just opened was focused
      // as it opened.
      if (target.id === "wizard-page" || (target.id === "dialog-root" && !target.querySelector("dialog.portal-modal"))) {
        const page = document.getElementById("wizard-page");
        if (page) focusWizardPage(page);
      }
    });
  })();

  // Times: every <time class="portal-time"> shows one format, YYYY-MM-DD HH:MM:SS, in the person's own time zone.
  (() => {
    const pad = (number) => String(number).padStart(2, "0");
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const localize = (root) => {
      for (const element of root.querySelectorAll("time.portal-time:not([data-localized])")) {
        const moment = new Date(element.getAttribute("datetime"));
        if (Number.isNaN(moment.getTime())) continue;
        element.textContent =
          `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())} ` +
          `${pad(moment.getHours())}:${pad(moment.getMinutes())}:${pad(moment.getSeconds())}`;
        element.title = zone;
        element.dataset.localized = "true";
      }
    };
    htmx.onLoad(localize);
  })();

  // Notifications: finished ones collapse by themselves after a few seconds; each newly finished one is announced once
  // in the live region.
  (() => {
    const SEEN = "portal.notifications.announced";
    const COLLAPSE_AFTER_MS = 6000;
    const seen = () => new Set(JSON.parse(sessionStorage.getItem(SEEN) || "[]"));
    let first = true;

    htmx.onLoad((element) => {
      const area = element.id === "notifications" ? element : element.querySelector?.("#notifications");
      // The empty placeholder that loads the area is not the area yet.
      if (!area || area.tagName !== "SECTION") return;
      const announced = seen();
      const messages = [];
      for (const item of area.querySelectorAll("[data-finished]")) {
        const id = item.dataset.finished;
        if (!announced.has(id)) {
          if (!first) {
            const title = item.querySelector(".portal-notification-title")?.textContent.trim();
            const status = item.querySelector(".portal-notification-status")?.textContent.trim();
            messages.push(`${title}: ${status}.`);
          }
          announced.add(id);
        }
        window.setTimeout(() => item.classList.add("is-collapsed"), COLLAPSE_AFTER_MS);
      }
      first = false;
      sessionStorage.setItem(SEEN, JSON.stringify([...announced].slice(-200)));
      const live = document.getElementById("notification-live");
      if (live && messages.length) live.textContent = messages.join(" ");
    });
  })();

  // Selection on lists: a click anywhere on a row selects it (its radio), and the command bar offers what applies.
  // A list that refreshes itself keeps the selection.
  (() => {
    document.addEventListener("click", (event) => {
      const row = event.target.closest("tr[data-select]");
      if (!row || event.target.closest("a, button, input, label, select")) return;
      const radio = row.querySelector("input[type=radio]");
      if (radio && !radio.checked) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });

    let selected = null;
    document.addEventListener("htmx:beforeSwap", (event) => {
      const checked = event.detail.target?.querySelector?.("tr[data-select] input[type=radio]:checked");
      selected = checked ? { name: checked.name, value: checked.value } : null;
    });
    document.addEventListener("htmx:afterSwap", () => {
      if (!selected) return;
      const selector = `tr[data-select] input[name="${CSS.escape(selected.name)}"][value="${CSS.escape(selected.value)}"]`;
      const radio = document.querySelector(selector);
      if (radio) radio.checked = true;
      selected = null;
    });
  })();

  // The Name list of well-known endpoints (the Add endpoint wizard, Edit endpoint) fills in the protocol and both ports.
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (!input.matches("input[list='well-known-endpoints']") || !input.form) return;
    const wanted = input.value.trim().toLowerCase();
    const option = [...document.querySelectorAll("#well-known-endpoints option")].find(
      (item) => item.value.toLowerCase() === wanted,
    );
    if (!option) return;
    const set = (suffix, value) => {
      const field = input.form.querySelector(`[name$="${suffix}"]`);
      if (field && !field.disabled) field.value = value;
    };
    set("protocol", option.dataset.protocol);
    set("public_port", option.dataset.port);
    set("private_port", option.dataset.port);
  });

  // When another page has replaced the shell (a link to it, or Back), a response the old one still waited for (the
  // notifications' first load) has nowhere to go: drop it. Its events no longer reach the document, only the
  // extensions named on the old shell's wrapper (hx-ext="portal-shell" in base.html).
  htmx.defineExtension("portal-shell", {
    onEvent(name, event) {
      if (name === "htmx:beforeSwap" && !event.detail.elt?.isConnected) event.detail.shouldSwap = false;
    },
  });

  // A request the portal refused as too large (413) is not swapped by htmx; show its page in place of this one.
  document.addEventListener("htmx:responseError", (event) => {
    const response = event.detail.xhr;
    if (response.status !== 413) return;
    document.open();
    document.write(response.responseText);
    document.close();
  });
})();
