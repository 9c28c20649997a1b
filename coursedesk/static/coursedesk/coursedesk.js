// CourseDesk's only script of its own: copy buttons. Loaded as a file so the CSP can forbid inline script.
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
  setTimeout(() => { button.textContent = label; }, 1500);
});
