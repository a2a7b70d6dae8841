// A form marked data-busy tells the PT the server is working (issuing a PDF takes a few
// seconds) and cannot be sent twice meanwhile; the server refuses duplicates on its own too.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const message = form.dataset.busy;
  if (!message || form.getAttribute("aria-busy") === "true") return;
  form.setAttribute("aria-busy", "true");
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.dataset.label = button.textContent;
    button.textContent = message;
    // Disabled after this event, so the post still carries the button's own value.
    setTimeout(() => { button.disabled = true; });
  }
});

// Back to a page left while busy (the browser's page cache): the form works again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[aria-busy=true]")) {
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("button[type=submit]")) {
      button.disabled = false;
      if (button.dataset.label) button.textContent = button.dataset.label;
    }
  }
});
