// Swagger UI for /openapi.json. A file, not an inline script, so the Content-Security-Policy can
// allow scripts from this origin only. validatorUrl null: Swagger UI would otherwise fetch a badge
// from validator.swagger.io, which an offline or CSP-bound page cannot reach.
// Accessibility (axe-core, tests/browser/test_accessibility.py): deepLinking is off because it puts a
// link inside each operation's toggle button (nested interactive controls); an "Operations" h2 sits
// between the title (h1) and the tags (h3), so the headings do not skip a level; the title block
// is a region landmark, so no content lies outside a landmark. Their words come translated from
// the template (data-* of #swagger-ui).
/* global SwaggerUIBundle */
const words = document.getElementById("swagger-ui").dataset;
const Landmarks = () => ({
  wrapComponents: {
    // the title and description in a region (the page's header is the banner; Swagger UI puts the operations in its own <main>)
    InfoContainer: (Original, system) => (props) => system.React.createElement("div", { role: "region", "aria-label": words.aboutLabel },
      system.React.createElement(Original, props)),
    operations: (Original, system) => (props) => system.React.createElement("div", null,
      system.React.createElement("h2", { className: "operations-heading" }, words.operationsHeading),
      system.React.createElement(Original, props)),
  },
});

window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: false,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  // after the presets: the OpenAPI 3.1 plugin replaces InfoContainer, so this wraps its version
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset, Landmarks],
});
