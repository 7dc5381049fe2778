// Node-only: reads the configuration file. Workers use configFromEnv (load.ts).
import { existsSync, readFileSync } from 'node:fs';
import type { Config, Env } from './load';
import { buildConfig, ConfigError } from './load';
import { parseYamlText } from './yaml-errors';

export const DEFAULT_CONFIG_FILE = 'snapflow.yaml';

/** Parses YAML (or JSON, a subset of YAML); syntax errors are reported by position only. */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'read error';
    throw new ConfigError([`${path}: cannot read the configuration file (${code})`]);
  }
  const parsed = parseYamlText(text, path);
  if (!parsed.ok) throw new ConfigError(parsed.problems);
  return parsed.value ?? undefined;
}

/**
 * The file named by SNAPFLOW_CONFIG (which must exist), else ./snapflow.yaml if present,
 * else no file; then the environment on top.
 */
export async function loadConfigNode(env: Env = process.env): Promise<Config> {
  const explicit = env.SNAPFLOW_CONFIG;
  const path = explicit || (existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined);
  const file = path !== undefined ? readConfigFile(path) : undefined;
  return buildConfig(path !== undefined ? { file, source: path, env } : { env });
}
