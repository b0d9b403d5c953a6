// The console's only script of its own (an ES module, no build step). Forms work without it; this adds the
// confirmation a destructive form asks for in its data-confirm attribute.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
