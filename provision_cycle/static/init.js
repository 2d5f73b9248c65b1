// Start GOV.UK Frontend's components (error summary focus, character counts, ...). Pages work without it.
import { initAll } from "./govuk/govuk-frontend.min.js";

initAll();
