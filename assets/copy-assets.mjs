// Copy GOV.UK Frontend's JavaScript (not its fonts or crown images: the council uses its own branding) and
// the type-ahead's into the Flask static folder. (axe-core stays in node_modules: only the browser tests load it.)
import { cpSync, mkdirSync } from "node:fs";

const out = "../provision_cycle/static";
mkdirSync(`${out}/govuk`, { recursive: true });
cpSync("node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js", `${out}/govuk/govuk-frontend.min.js`);
// GDS's accessible-autocomplete (MIT), which turns person pickers into a type-ahead; its CSS is in council.scss.
cpSync(
  "node_modules/accessible-autocomplete/dist/accessible-autocomplete.min.js",
  `${out}/accessible-autocomplete.min.js`,
);
