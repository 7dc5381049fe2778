// Nova's `name` filter is a (MySQL/Python) regular expression matched anywhere in the
// name, so a server called "web" also matches "web-2" and "a.b" matches "axb". Escape the
// name, anchor it, and still compare exactly on our side (the DB's regexp flavour and
// case rules are not ours).

const REGEX_SPECIALS = /[\\^$.*+?()[\]{}|]/g;

export function escapeNovaNameRegex(name: string): string {
  return name.replace(REGEX_SPECIALS, '\\$&');
}

/** The filter value for an exact-name lookup. */
export function exactNameFilter(name: string): string {
  return `^${escapeNovaNameRegex(name)}$`;
}
