// Test helper: the `crons` array of the top-level `[triggers]` table of a wrangler.toml.
// A tiny reader for that one key (no TOML package is installed): handles comments,
// multi-line arrays, basic "..." (with escapes) and literal '...' strings.
export function wranglerCrons(tomlText: string): string[] {
  const lines = tomlText.split(/\r?\n/);
  let inTriggers = false;
  let buf: string | null = null;
  for (const raw of lines) {
    const line = buf === null ? raw.trim() : raw;
    if (buf === null) {
      if (/^\[\[?[^\]]*\]\]?\s*(#.*)?$/.test(line)) {
        inTriggers = /^\[\s*triggers\s*\]\s*(#.*)?$/.test(line);
        continue;
      }
      if (!inTriggers) continue;
      const m = /^crons\s*=\s*(.*)$/.exec(line);
      if (!m) continue;
      buf = m[1] ?? '';
    } else {
      buf += `\n${line}`;
    }
    const parsed = parseArray(buf);
    if (parsed !== null) return parsed;
  }
  if (buf !== null) throw new Error('wrangler.toml: [triggers] crons: unterminated array');
  return [];
}

/** Parses a TOML array of strings; null if the text ends before the closing bracket. */
function parseArray(text: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const skip = () => {
    for (;;) {
      while (i < text.length && /[\s,]/.test(text[i]!)) i++;
      if (text[i] === '#') {
        while (i < text.length && text[i] !== '\n') i++;
      } else return;
    }
  };
  skip();
  if (text[i] !== '[') throw new Error('wrangler.toml: [triggers] crons: expected an array');
  i++;
  for (;;) {
    skip();
    if (i >= text.length) return null;
    const ch = text[i]!;
    if (ch === ']') return out;
    if (ch === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return null;
      out.push(text.slice(i + 1, end));
      i = end + 1;
    } else if (ch === '"') {
      let s = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') {
          const n = text[i + 1];
          s += n === 'n' ? '\n' : n === 't' ? '\t' : (n ?? '');
          i += 2;
        } else s += text[i++];
      }
      if (i >= text.length) return null;
      out.push(s);
      i++;
    } else {
      throw new Error(`wrangler.toml: [triggers] crons: unexpected "${ch}"`);
    }
  }
}
