// Start GOV.UK Frontend's components (error summary focus, character counts, ...). Pages work without it.
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();

// Person pickers (PersonField): the select becomes a type-ahead over its own options, so choosing one of a
// council's thousands of staff is a few letters. The select stays in the form and is what is posted.
const { accessibleAutocomplete } = window;
for (const select of document.querySelectorAll("select[data-hub-autocomplete]")) {
  if (!accessibleAutocomplete) break;
  const id = select.id;
  accessibleAutocomplete.enhanceSelectElement({
    selectElement: select,
    defaultValue: "", // nothing chosen yet shows an empty box, not the "Choose a colleague" prompt
    inputClasses: select.classList.contains("govuk-select--error") ? "govuk-input--error" : undefined,
  });
  // Post what the box shows: a name typed but not picked, or a box emptied after a pick, must not leave an
  // earlier choice in the hidden select (the server then says "Choose ...", and the page shows it).
  select.form.addEventListener("submit", () => {
    const shown = document.getElementById(id).value.trim();
    const match = [...select.options].find((option) => option.value && option.textContent.trim() === shown);
    select.value = match ? match.value : "";
  });
}

// Warn before a session ends (WCAG 2.2.1, timing adjustable). Five minutes before it would end unused, a
// dialog offers to stay signed in: that counts as using the service, and refreshes the page's CSRF tokens,
// which lapse with the time they were given, so a long form still submits. Before it warns, and before it
// gives up, it asks the server how long is left: another tab may have used the service meanwhile. A
// session's own end (12 hours) cannot be put back: the dialog then says when it comes, so work can be saved.
const timeout = document.getElementById("session-timeout");
if (timeout && typeof timeout.showModal === "function") {
  const { statusUrl, keepAliveUrl } = timeout.dataset;
  const warnBefore = Number(timeout.dataset.warnBefore) * 1000;
  const text = timeout.querySelector("[data-timeout-text]");
  const stay = timeout.querySelector("[data-timeout-stay]");
  const carryOn = timeout.querySelector("[data-timeout-close]");
  const LONGEST_TIMER = 2 ** 31 - 1; // a browser runs a longer setTimeout at once
  let timer;
  let endsAt = 0;
  let extendable = true;

  const secondsLeft = (left) => Math.min(left.unused_ends_in, left.ends_in);
  const later = (callback, ms) => {
    clearTimeout(timer);
    timer = setTimeout(callback, Math.min(Math.max(ms, 0), LONGEST_TIMER));
  };
  // The session's answer; null once it has ended (the server answers with the sign-in page instead);
  // undefined if the service could not be reached just then.
  const ask = async (url, options = {}) => {
    try {
      const response = await fetch(url, { credentials: "same-origin", redirect: "manual", ...options });
      return response.ok ? await response.json() : null;
    } catch {
      return undefined;
    }
  };
  // Open the page again: the server sends it to the sign-in page, saying why, and back here after.
  const signedOut = () => window.location.assign(window.location.pathname + window.location.search);
  const inWords = (ms) => {
    const [count, unit] = ms < 60000 ? [Math.ceil(ms / 1000), "second"] : [Math.ceil(ms / 60000), "minute"];
    return `${count} ${unit}${count === 1 ? "" : "s"}`;
  };

  const tick = () => {
    const remaining = endsAt - Date.now();
    if (remaining <= 0) return check();
    text.textContent = extendable
      ? `You have not used the service for a while. For your security, you will be signed out in ${inWords(remaining)} unless you stay signed in. Anything typed on this page and not yet saved would be lost.`
      : `Your session ends in ${inWords(remaining)}: a session lasts a set time, however it is used. Save what you are doing now, then sign in again to carry on.`;
    later(tick, remaining > 60000 ? 15000 : 1000);
  };

  const schedule = (left) => {
    endsAt = Date.now() + secondsLeft(left) * 1000;
    later(check, endsAt - warnBefore - Date.now());
  };

  async function check() {
    const left = await ask(statusUrl);
    if (left === undefined) return later(check, 30000);
    if (left === null) return signedOut();
    if (secondsLeft(left) * 1000 > warnBefore + 5000) {
      if (timeout.open) timeout.close(); // used in another tab meanwhile
      return schedule(left);
    }
    if (secondsLeft(left) <= 0) return later(check, 2000); // ending this very moment
    endsAt = Date.now() + secondsLeft(left) * 1000;
    extendable = left.unused_ends_in < left.ends_in;
    stay.hidden = !extendable;
    carryOn.hidden = extendable;
    if (!timeout.open) timeout.showModal();
    tick();
  }

  stay.addEventListener("click", async () => {
    const token = document.querySelector('input[name="csrf_token"]')?.value ?? "";
    const left = await ask(keepAliveUrl, { method: "POST", headers: { "X-CSRFToken": token } });
    if (left === null) return signedOut();
    if (left === undefined) return; // the dialog stays open: they can try again
    for (const input of document.querySelectorAll('input[name="csrf_token"]')) input.value = left.csrf_token;
    timeout.close();
    schedule(left);
  });
  carryOn.addEventListener("click", () => {
    timeout.close();
    later(check, endsAt - Date.now());
  });
  timeout.addEventListener("cancel", (event) => {
    event.preventDefault(); // Escape means what the dialog's first button means
    (extendable ? stay : carryOn).click();
  });
  schedule({ unused_ends_in: Number(timeout.dataset.unusedEndsIn), ends_in: Number(timeout.dataset.endsIn) });
}
