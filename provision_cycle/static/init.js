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
