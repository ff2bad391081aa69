// The REST API's documentation page: Swagger UI (its bundle, loaded before this
// module, defines SwaggerUIBundle), with the files and the OpenAPI document
// served by this server to signed-in users.

const root = document.getElementById("swagger-ui");
if (root !== null && typeof globalThis.SwaggerUIBundle === "function") {
    const { openapiUrl, csrf, csrfHeader } = root.dataset;
    globalThis.SwaggerUIBundle({
        url: openapiUrl,
        domNode: root,
        deepLinking: true,
        validatorUrl: null,  // Swagger's own validator is on another site
        // "Try it out" sends the sign-in's CSRF token, as the console's pages do.
        requestInterceptor: (request) => {
            if (csrf && csrfHeader) request.headers[csrfHeader] = csrf;
            return request;
        },
    });
}
