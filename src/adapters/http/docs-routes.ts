/**
 * GET /docs: an interactive API reference rendered from /openapi.json by Swagger UI (the npm package
 * swagger-ui-dist), served entirely by this server: nothing is fetched from the internet. The page, its
 * start-up script and the few files of the package it needs are served from an allow-list, under a
 * Content-Security-Policy of their own (scripts only from this server, requests only to it).
 *
 * @example
 * const routes = [...apiRoutes(d), ...docsRoutes()];
 */
import { dirname, join } from "node:path";
import { route, type Route } from "./route.ts";
import * as S from "./schemas.ts";

const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

// Swagger UI sets style attributes, so inline styles are allowed; scripts come only from here.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>bunfaas API reference</title><link rel="stylesheet" href="/docs/swagger-ui.css"><link rel="icon" href="/docs/favicon-32x32.png"></head>
<body><div id="docs"></div><script src="/docs/swagger-ui-bundle.js"></script><script src="/docs/init.js"></script></body></html>
`;

const INIT = `window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#docs", deepLinking: true, tryItOutEnabled: false });\n`;

function headers(contentType: string): Record<string, string> {
  return { "content-type": contentType, "content-security-policy": CSP, "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "public, max-age=3600" };
}

export function docsRoutes(): Route[] {
  const dist = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));
  return [
    route({
      method: "GET",
      path: "/docs",
      access: "open",
      operationId: "docs",
      tag: "operations",
      summary: "Interactive API reference (Swagger UI over /openapi.json), served locally",
      responses: { 200: { description: "HTML page", contentType: "text/html", schema: S.Text } },
      handle: async () => new Response(PAGE, { headers: headers("text/html; charset=utf-8") }),
    }),
    route({
      method: "GET",
      path: "/docs/{asset}",
      access: "open",
      operationId: "docsAsset",
      tag: "operations",
      summary: "The files the reference page loads (an allow-list)",
      responses: { 200: { description: "A file of the page" }, 404: { description: "Not one of the page's files", schema: S.ErrorReply } },
      handle: async ({ params }) => {
        const name = params.asset as string;
        if (name === "init.js") return new Response(INIT, { headers: headers("text/javascript; charset=utf-8") });
        const type = ASSETS[name];
        if (type === undefined) return Response.json({ error: "NotFound", message: `The docs serve ${["init.js", ...Object.keys(ASSETS)].join(", ")}; got "${name.slice(0, 80)}"` }, { status: 404 });
        return new Response(Bun.file(join(dist, name)), { headers: headers(type) });
      },
    }),
  ];
}
