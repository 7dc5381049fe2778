// Extracts the human message from an OpenStack error body. Each service (and each WSGI
// layer inside it) answers errors in its own shape; these were recorded from a real
// Zed cloud (see test/unit/openstack/fixtures):
//   Nova / Cinder:   {"itemNotFound": {"code": 404, "message": "..."}}  (any wrapper key)
//   Keystone, and the keystonemiddleware 401 in every service:
//                    {"error": {"code": 401, "title": "...", "message": "..."}}
//   Glance (webob):  HTML page, "404 Not Found\n\nmessage\n\n" plain text, or
//                    {"message": "...<br /><br />", "code": "404 Not Found", "title": "..."}
//   Flask (Keystone 405): {"message": "..."}

const MAX_MESSAGE = 500;

export function parseErrorMessage(body: string, contentType?: string | null): string {
  const text = body.trim();
  if (!text) return '';
  const fromJson = looksJson(text, contentType) ? messageFromJson(text) : undefined;
  if (fromJson !== undefined) return clip(cleanMarkup(fromJson));
  if (/^\s*<(!doctype|html)/i.test(text) || (contentType ?? '').includes('html')) return clip(messageFromHtml(text));
  return clip(messageFromPlain(text));
}

function looksJson(text: string, contentType?: string | null): boolean {
  return (contentType ?? '').includes('json') || text.startsWith('{');
}

function messageFromJson(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(doc)) return undefined;
  if (typeof doc.message === 'string') return doc.message;
  // Nova/Cinder wrap the fault in one key named after the fault type; Keystone uses "error".
  for (const value of Object.values(doc)) {
    if (isRecord(value) && typeof value.message === 'string') return value.message;
  }
  if (typeof doc.title === 'string') return doc.title;
  return undefined;
}

function messageFromHtml(html: string): string {
  const body = /<body[^>]*>([\s\S]*?)<\/body>/i.exec(html)?.[1] ?? html;
  // webob puts the status line in <h1>; the explanation follows it.
  const withoutHeading = body.replace(/<h1[^>]*>[\s\S]*?<\/h1>/i, ' ');
  const message = cleanMarkup(withoutHeading);
  if (message) return message;
  return cleanMarkup(/<title[^>]*>([\s\S]*?)<\/title>/i.exec(html)?.[1] ?? '');
}

function messageFromPlain(text: string): string {
  // webob plain text: "409 Conflict\n\nthe message\n\n   "
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length > 1 && /^\d{3} /.test(lines[0] ?? '')) lines.shift();
  return lines.join(' ');
}

function cleanMarkup(s: string): string {
  return decodeEntities(s.replace(/<br\s*\/?>/gi, ' ').replace(/<[^>]+>/g, ' '))
    .replace(/\s+/g, ' ')
    .trim();
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function clip(s: string): string {
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
