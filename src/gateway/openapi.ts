import { OpenApiGeneratorV31, type OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';

export function buildOpenApiDocument(registry: OpenAPIRegistry, version: string, serverUrl: string) {
  registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A tenant API key (pk_...) or, in JWT mode, a frontend token.',
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: 'Payments orchestration API', version },
    servers: [{ url: serverUrl }],
  });
}

/** A dependency-free page that renders /openapi.json, so the docs work offline. */
export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Payments API docs</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1a1a1a}
h1{margin-bottom:0}.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.m{display:inline-block;min-width:4rem;font-weight:700;text-transform:uppercase}.get{color:#0a7}.post{color:#07c}.delete{color:#c33}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;font-size:13px}code{font-size:13px}
</style></head><body><h1>Payments API</h1><p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p><div id="ops">Loading…</div>
<script src="/docs.js"></script></body></html>`;

export const DOCS_JS = `fetch('/openapi.json').then(r=>r.json()).then(doc=>{
  const ops=document.getElementById('ops');ops.textContent='';
  for(const [path,item] of Object.entries(doc.paths||{})){for(const [method,op] of Object.entries(item)){
    const d=document.createElement('details');d.className='op';
    const s=document.createElement('summary');
    s.innerHTML='<span class="m '+method+'"></span> <code></code> — <span></span>';
    s.children[0].textContent=method;s.children[1].textContent=path;s.children[2].textContent=op.summary||'';
    const pre=document.createElement('pre');pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
    d.append(s,pre);ops.append(d);
  }}
  const c=document.createElement('details');c.className='op';c.innerHTML='<summary>Schemas</summary><pre></pre>';
  c.querySelector('pre').textContent=JSON.stringify(doc.components,null,2);ops.append(c);
});
`;
