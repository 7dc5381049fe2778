#!/usr/bin/env node
// wrangler.toml's custom build step (wrangler runs it before bundling, with WRANGLER_COMMAND
// set to its own command). `wrangler dev` works on a local D1 database whatever the id says;
// any other command (deploy, versions upload) would bind the Worker to a database that does
// not exist, and the API's error would not say which setting is at fault: this stops it
// first, naming the setting. SNAPFLOW_ALLOW_PLACEHOLDER_DB=1 lets `wrangler deploy --dry-run`
// bundle without an account.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const PLACEHOLDER = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const EX_CONFIG = 78;

const command = process.env.WRANGLER_COMMAND ?? '';
if (command === 'dev' || process.env.SNAPFLOW_ALLOW_PLACEHOLDER_DB === '1') process.exit(0);

const file = join(process.cwd(), 'wrangler.toml');
const toml = readFileSync(file, 'utf8');
const ids = [...toml.matchAll(/^\s*database_id\s*=\s*"([^"]*)"/gm)].map((m) => m[1]);
const placeholders = ids.filter((id) => PLACEHOLDER.test(id) || id === '');
if (ids.length === 0 || placeholders.length > 0) {
  console.error(
    `${file}: [[d1_databases]] database_id: still the placeholder; ` +
      'create the database with `npx wrangler d1 create snapflow` and put the id it prints there ' +
      `(\`wrangler ${command || 'deploy'}\` stopped before uploading anything)`,
  );
  process.exit(EX_CONFIG);
}
