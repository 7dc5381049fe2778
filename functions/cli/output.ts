// stdout carries the result (a human text or, with --json, the service's JSON document);
// stderr carries errors and progress chatter, so `snapflow … --json | jq` always parses.
export function printJson(doc: unknown): void {
  process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function printErr(text: string): void {
  process.stderr.write(`${text}\n`);
}
