// Swagger UI for /openapi.json. A file, not an inline script, so the Content-Security-Policy can
// allow scripts from this origin only. validatorUrl null: Swagger UI would otherwise fetch a badge
// from validator.swagger.io, which an offline or CSP-bound page cannot reach.
/* global SwaggerUIBundle */
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
