// Destructive kinds need a yes: asked on a terminal, `--yes` everywhere else (a CI job or a
// pipe must never hang on a question nobody sees, nor go ahead without being told to).
import { createInterface } from 'node:readline/promises';
import { CliError } from './cli-error';
import { EXIT } from './exit-codes';

export async function confirmOrExit(question: string, yes: boolean): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new CliError(EXIT.usage, `${question.split('?')[0]}? not confirmed: pass --yes (no terminal to ask on)`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  // Ctrl-D closes the input: that is a no, not a hang
  const closed = new Promise<string>((r) => rl.once('close', () => r('')));
  try {
    const answer = await Promise.race([rl.question(`${question} [y/N] `), closed]);
    if (!/^y(es)?$/i.test(answer.trim())) throw new CliError(EXIT.usage, 'not confirmed: nothing was submitted');
  } finally {
    rl.close();
  }
}
