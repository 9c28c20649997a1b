// CourseDesk's only script of its own, loaded as a file so the CSP can forbid inline script:
// copy buttons, the action dialog, the folded menu on phones.

// --- Copy buttons: the outcome is announced by the page's live region. ---------------------------
function announce(text) {
  const region = document.getElementById("announcer");
  if (!region) return;
  region.textContent = "";
  setTimeout(() => { region.textContent = text; }, 50);
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  const text = field ? (field.value || field.textContent).trim() : "";
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    if (field && field.select) { field.select(); document.execCommand("copy"); }
  }
  const label = button.textContent;
  button.textContent = "Copied";
  announce("Copied");
  setTimeout(() => { button.textContent = label; }, 1500);
});

// --- The action dialog: a native modal <dialog> filled by htmx. ---------------------------------
// Focus moves into it when it opens, Esc and Cancel close it, and focus goes back to the button that
// opened it (found again by id when the profile was redrawn after the action).
let openerId = null;

function dialogFocus(dialog) {
  const target = dialog.querySelector("[aria-invalid=true], [autofocus]")
    || dialog.querySelector("input:not([type=hidden]), select, textarea, button");
  if (target) target.focus();
}

// Under its button: the dialog takes the nearest tenth of the window's height below the button (a class,
// since the CSP forbids style attributes), and stays centred on phones.
function placeNearOpener(dialog) {
  dialog.className = "";
  const opener = openerId && document.getElementById(openerId);
  if (!opener || window.innerWidth < 640) return;
  const rect = opener.getBoundingClientRect();
  const room = window.innerHeight - dialog.offsetHeight - 16;
  const top = Math.max(16, Math.min(rect.bottom + 8, room));
  dialog.className = `near-${Math.min(9, Math.floor((top / window.innerHeight) * 10))}`;
}

document.addEventListener("htmx:beforeRequest", (event) => {
  const target = event.detail.target;
  if (!target || target.id !== "dialog" || target.open) return;
  const opener = event.detail.elt;
  openerId = opener && opener.id ? opener.id : null;
  // An earlier outcome would read as if it were about the next action.
  document.querySelectorAll("#profile-notice").forEach((notice) => notice.remove());
});

// A refusal of the member's role (403) is shown in the dialog instead of doing nothing.
document.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 403 && event.detail.xhr.getResponseHeader("HX-Retarget") === "#dialog") {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

document.addEventListener("htmx:afterSwap", (event) => {
  const target = event.detail.target;
  if (target && target.id === "dialog") {
    if (!target.open) target.showModal();
    placeNearOpener(target);
    dialogFocus(target);
  } else if (target && target.id === "profile") {
    const back = openerId && document.getElementById(openerId);
    const notice = document.getElementById("profile-notice");
    (back || notice || document.querySelector("#profile h1"))?.focus();
  }
});

document.addEventListener("close", (event) => {
  const dialog = event.target;
  if (!(dialog instanceof HTMLDialogElement) || dialog.id !== "dialog") return;
  dialog.innerHTML = "";
  const back = openerId && document.getElementById(openerId);
  if (back) back.focus();
}, true);

document.addEventListener("click", (event) => {
  const close = event.target.closest("[data-dialog-close]");
  if (!close) return;
  const dialog = close.closest("dialog");
  if (!dialog) return; // on its own page the link goes back to the profile
  event.preventDefault();
  dialog.close();
});

// --- The menu folds into one button on phones. ----------------------------------------------------
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-menu-toggle]");
  if (!toggle) return;
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  document.getElementById(toggle.getAttribute("aria-controls"))?.classList.toggle("open", open);
});
