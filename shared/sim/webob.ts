// webob's WSGIHTTPException rendering, which every Glance error goes through (webob 1.8, checked
// on the lab with curl): the Accept header picks an HTML page, a JSON object or plain text, and
// only the HTML form escapes the message.
import { htmlEscape, reason } from './errors';
import { pyJson } from './py-repr';

export type Escape = (s: string) => string;
/** The webob body template, rendered with the escape function of the chosen format. */
export type WebobBody = (esc: Escape) => string;
export type WebobFormat = 'html' | 'json' | 'plain';

/** webob's default body_template: explanation, <br /><br />, detail, (empty) comment. */
export const explained =
  (explanation: string, detail = ''): WebobBody =>
  (esc) =>
    `${esc(explanation)}<br /><br />\n${esc(detail)}\n\n`;

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const RANGE = new RegExp(`^(${TOKEN})/(${TOKEN})$`);
interface Range {
  type: string;
  sub: string;
  q: number;
  params: boolean;
}

/** null = not a valid Accept header (webob then accepts every offer). */
function parseAccept(header: string): Range[] | null {
  const out: Range[] = [];
  for (const item of header.split(',')) {
    if (!item.trim()) continue;
    const [media = '', ...params] = item.split(';').map((p) => p.trim());
    const m = RANGE.exec(media);
    if (!m) return null;
    let q = 1;
    let mediaParams = false;
    for (const p of params) {
      const [k = '', v = ''] = p.split('=').map((x) => x.trim());
      if (k.toLowerCase() === 'q') {
        if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(v)) return null;
        q = Number(v);
        break; // what follows q are extension params, which do not restrict the match
      }
      mediaParams = true;
    }
    out.push({ type: m[1]!.toLowerCase(), sub: m[2]!.toLowerCase(), q, params: mediaParams });
  }
  return out;
}

/**
 * webob's prepare(): acceptable_offers(['text/html', 'application/json']), best q first (ties keep
 * that order), text/plain when neither is acceptable. An absent or empty header accepts nothing.
 */
export function negotiate(accept: string | undefined): WebobFormat {
  const ranges = parseAccept(accept ?? '');
  if (ranges === null) return 'html';
  let best: { format: WebobFormat; q: number } | null = null;
  for (const [format, type, sub] of [
    ['html', 'text', 'html'],
    ['json', 'application', 'json'],
  ] as const) {
    // the most specific matching range decides the offer's quality
    let spec = -1;
    let q = 0;
    for (const r of ranges) {
      const s = r.type === '*' && r.sub === '*' ? 0 : r.type === type && r.sub === '*' ? 1 : r.type === type && r.sub === sub ? 2 : -1;
      if (s < 0 || r.params || s <= spec) continue;
      spec = s;
      q = r.q;
    }
    if (q > 0 && (!best || q > best.q)) best = { format, q };
  }
  return best?.format ?? 'plain';
}

/** webob strip_tags, applied to the plain-text form. */
function stripTags(s: string): string {
  return s
    .replace(/\n/g, ' ')
    .replace(/\r/g, '')
    .replace(/<br.*?>/gis, '\n')
    .replace(/<!--.*?-->/gs, '')
    .replace(/<.*?>/gs, '');
}

export function renderWebob(status: number, body: WebobBody, accept: string | undefined): { body: string; contentType: string } {
  const line = `${status} ${reason(status)}`;
  switch (negotiate(accept)) {
    case 'html':
      return {
        body: `<html>\n <head>\n  <title>${line}</title>\n </head>\n <body>\n  <h1>${line}</h1>\n  ${body(htmlEscape)}\n </body>\n</html>`,
        contentType: 'text/html; charset=UTF-8',
      };
    case 'json':
      return {
        body: pyJson({ message: body((s) => s), code: line, title: reason(status) }),
        contentType: 'application/json',
      };
    case 'plain':
      return { body: `${line}\n\n${stripTags(body((s) => s))}`, contentType: 'text/plain; charset=UTF-8' };
  }
}
