// The docs page: Swagger UI (shipped in the package, no CDN) on this server's OpenAPI
// document, whose URL the page gives as `data-url` (so this file needs no templating).
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({ url: root.dataset.url, domNode: root, deepLinking: true });
