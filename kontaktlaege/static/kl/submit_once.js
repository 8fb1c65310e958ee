// Forms marked data-submit-once send once: a second tap while the first is on its way is
// dropped and the button shows it is busy. The server holds the rule; this spares a request.
const submitButtons = (form) => [...form.elements].filter((el) => el.type === "submit");

for (const form of document.querySelectorAll("form[data-submit-once]")) {
  form.addEventListener("submit", (event) => {
    if (form.dataset.sent) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    // After this turn: a button disabled now would leave its value out of the submit.
    setTimeout(() => {
      for (const button of submitButtons(form)) button.disabled = true;
    });
  });
}
// Back from the next page (bfcache): the form may be sent again.
window.addEventListener("pageshow", () => {
  for (const form of document.querySelectorAll("form[data-submit-once]")) {
    delete form.dataset.sent;
    for (const button of submitButtons(form)) button.disabled = false;
  }
});
