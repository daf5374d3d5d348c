// The API docs page (/api/v1/docs): starts Swagger UI from the settings the page carries as JSON, as django-ninja's
// own init script does, with one plugin: a level-2 heading between the API's title (h1) and its groups (h3), so
// that headings go down one level at a time.
(() => {
  const body = document.body.dataset;
  const config = JSON.parse(document.getElementById("swagger-settings").textContent);

  const headingBetweenTitleAndGroups = () => ({
    wrapComponents: {
      operations: (Original, system) => (props) =>
        system.React.createElement(
          "div",
          null,
          system.React.createElement("h2", { className: "api-docs-hidden" }, "Operations by group"),
          system.React.createElement(Original, props),
        ),
    },
  });

  config.dom_id = "#swagger-ui";
  config.presets = [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset];
  config.plugins = [headingBetweenTitleAndGroups];
  if (body.apiCsrf && body.csrfToken) {
    config.requestInterceptor = (request) => {
      request.headers["X-CSRFToken"] = body.csrfToken;
      return request;
    };
  }
  SwaggerUIBundle(config);
})();
