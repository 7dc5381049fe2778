// YAML syntax errors as `<file>:<line>:<col>: YAML syntax error (<what>)`, for clouds.yaml,
// snapflow.yaml and schedule files alike. The yaml library's own messages quote the
// offending line, which can hold a password: only the position and a description are
// kept. An unclosed quote or bracket is reported where it was opened: the library notices
// it only at the end of the file, and "line 40" for a typo on line 5 sends people looking
// in the wrong place.
import { Parser, parseDocument, type YAMLError } from 'yaml';

export type YamlParse = { ok: true; value: unknown } | { ok: false; problems: string[] };

const DESCRIPTIONS: Record<string, string> = {
  MISSING_CHAR: 'a quote or bracket is never closed',
  BAD_INDENT: 'bad indentation',
  TAB_AS_INDENT: 'tabs are not allowed as indentation',
  DUPLICATE_KEY: 'duplicate key',
  BLOCK_AS_IMPLICIT_KEY: 'a key is not followed by ": " or a value is misplaced',
  MULTILINE_IMPLICIT_KEY: 'a key must fit on one line',
  UNEXPECTED_TOKEN: 'unexpected character',
  MULTIPLE_DOCS: 'more than one YAML document',
};

interface Opened {
  offset: number;
  what: string;
}

/** Quoted scalars and flow collections that are never closed, in file order. */
function unclosed(text: string): Opened[] {
  const out: Opened[] = [];
  const visit = (node: unknown): void => {
    if (node === null || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) visit(n);
      return;
    }
    const t = node as { type?: unknown; offset?: unknown; source?: unknown; end?: unknown };
    if (typeof t.offset === 'number' && typeof t.type === 'string') {
      const src = typeof t.source === 'string' ? t.source : '';
      if (t.type === 'double-quoted-scalar' || t.type === 'single-quoted-scalar') {
        const q = src[0];
        if (src.length < 2 || src[src.length - 1] !== q)
          out.push({ offset: t.offset, what: `a ${q === '"' ? 'double' : 'single'} quote opened here is never closed` });
      } else if (t.type === 'flow-collection') {
        const ends = Array.isArray(t.end) ? (t.end as Array<{ type?: string }>) : [];
        if (!ends.some((e) => e.type === 'flow-map-end' || e.type === 'flow-seq-end')) {
          out.push({ offset: t.offset, what: 'a bracket opened here is never closed' });
        }
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'source' && typeof v === 'object') visit(v);
  };
  for (const token of new Parser().parse(text)) visit(token);
  return out.sort((a, b) => a.offset - b.offset);
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

function describe(text: string, source: string, err: YAMLError): string {
  const first = unclosed(text).find((o) => o.offset <= err.pos[0]);
  if (first) {
    const { line, col } = lineCol(text, first.offset);
    return `${source}:${line}:${col}: YAML syntax error (${first.what})`;
  }
  const pos = err.linePos?.[0];
  const what = DESCRIPTIONS[err.code] ?? err.code;
  return `${source}${pos ? `:${pos.line}:${pos.col}` : ''}: YAML syntax error (${what})`;
}

/**
 * Parses one YAML (or JSON) document. On a syntax error, one problem: the first error,
 * at the place it starts (later errors are usually its echoes).
 */
export function parseYamlText(text: string, source: string): YamlParse {
  const doc = parseDocument(text);
  const err = doc.errors[0];
  if (err) return { ok: false, problems: [describe(text, source, err)] };
  try {
    return { ok: true, value: doc.toJS() };
  } catch {
    // e.g. an alias to an anchor that does not exist; the message would quote the file
    return { ok: false, problems: [`${source}: YAML error (unresolvable alias or tag)`] };
  }
}
