// The Print button of print pages (data-print, hidden until this script runs: without JavaScript the
// page says "Ctrl+P" instead); the page's CSP allows no inline script.
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
});
