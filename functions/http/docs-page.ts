// GET /docs: a self-contained HTML rendering of the OpenAPI document (no CDN assets:
// deployments may have no internet access, and the page must not leak who reads it).

const esc = (v: unknown) => String(v).replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

interface Operation {
  summary?: string;
  'x-scope'?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string; schema?: unknown }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}

function typeOf(schema: unknown): string {
  const s = schema as { type?: unknown; enum?: unknown[]; default?: unknown; minimum?: number; maximum?: number; maxLength?: number } | undefined;
  if (!s) return '';
  const parts = [s.enum ? s.enum.map(String).join(' | ') : String(s.type ?? 'any')];
  if (s.minimum !== undefined || s.maximum !== undefined) parts.push(`${s.minimum ?? ''}..${s.maximum ?? ''}`);
  if (s.maxLength !== undefined) parts.push(`max ${s.maxLength} chars`);
  if (s.default !== undefined) parts.push(`default ${JSON.stringify(s.default)}`);
  return parts.join(', ');
}

function renderOperation(method: string, path: string, op: Operation): string {
  const params = (op.parameters ?? [])
    .map((p) => {
      const what = `${esc(typeOf(p.schema))}${p.description ? ` — ${esc(p.description)}` : ''}`;
      return `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : ''}</td><td>${what}</td></tr>`;
    })
    .join('');
  const body = op.requestBody?.content?.['application/json']?.schema;
  const responses = Object.entries(op.responses ?? {})
    .map(([status, r]) => `<li><b>${esc(status)}</b> ${esc(r.description ?? '')}</li>`)
    .join('');
  const id = `${method}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-');
  return `<section id="${esc(id)}">
<h2><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h2>
<p>${esc(op.summary ?? '')}${op['x-scope'] ? ` <span class="scope">scope: ${esc(op['x-scope'])}</span>` : ' <span class="scope">no auth</span>'}</p>
${params ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>type</th></tr>${params}</table>` : ''}
${body ? `<details><summary>request body schema</summary><pre>${esc(JSON.stringify(body, null, 2))}</pre></details>` : ''}
<ul>${responses}</ul>
</section>`;
}

export function renderDocsPage(doc: Record<string, unknown>): string {
  const info = (doc.info ?? {}) as { title?: string; description?: string; version?: string };
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Operation>>;
  const ops = Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([m, op]) => ({ m, path, op })));
  const toc = ops
    .map(({ m, path }) => `<li><a href="#${esc(`${m}-${path}`.replace(/[^a-zA-Z0-9]+/g, '-'))}">${esc(m.toUpperCase())} ${esc(path)}</a></li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title ?? 'API')} API</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace}pre{background:#f5f5f5;padding:.5rem;overflow:auto;font-size:13px}
section{border-top:1px solid #ddd;padding-top:.5rem}h2{font-size:1.1rem}
.m{display:inline-block;min-width:3.5rem;padding:0 .3rem;border-radius:3px;color:#fff;text-align:center}
.get{background:#2b6cb0}.post{background:#2f855a}.scope{color:#666;font-size:.9em}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
</style></head><body>
<h1>${esc(info.title ?? 'API')} <small>v${esc(info.version ?? '')}</small></h1>
<p>${esc(info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>
<ul>${toc}</ul>
${ops.map(({ m, path, op }) => renderOperation(m, path, op)).join('\n')}
</body></html>`;
}
