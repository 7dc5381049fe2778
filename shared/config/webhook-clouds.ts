// Checks the clouds the webhook rules name against the configured ones, once both are known
// (the configuration is read before clouds.yaml), as the schedules are checked: a cloud that
// is not configured at all is a typo, an error at start; one that is configured but unusable
// is a clouds.yaml problem, a warning (its jobs then fail naming the fault).
import type { WebhookConfig } from './load';

export interface KnownClouds {
  names: readonly string[];
  problem?(name: string): string | undefined;
}

export function checkWebhookClouds(webhooks: readonly WebhookConfig[], clouds: KnownClouds): { problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  for (const hook of webhooks) {
    hook.rules.forEach((rule, i) => {
      const cloud = rule.job.cloud;
      const where = `${hook.where}.rules.${i}.job.cloud`;
      if (!clouds.names.includes(cloud)) {
        const known = clouds.names.length ? `configured clouds: ${clouds.names.join(', ')}` : 'no cloud is configured';
        problems.push(`${where}: unknown cloud "${cloud}" (${known})`);
        return;
      }
      const problem = clouds.problem?.(cloud);
      if (problem) warnings.push(`${where}: cloud "${cloud}" is unusable, the jobs of webhook "${hook.name}" will fail: ${problem}`);
    });
  }
  return { problems, warnings };
}
