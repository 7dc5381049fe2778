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
      const job = rule.job;
      // a discard acts in the cloud of the clone it discards, checked on that clone's rule
      if (job.kind === 'discard') return;
      const named: Array<[string, string]> = [[job.cloud, 'job.cloud']];
      if (job.kind === 'clone' && job.to) named.push([job.to.cloud, 'job.to.cloud']);
      for (const [cloud, field] of named) {
        const where = `${hook.where}.rules.${i}.${field}`;
        if (!clouds.names.includes(cloud)) {
          const known = clouds.names.length ? `configured clouds: ${clouds.names.join(', ')}` : 'no cloud is configured';
          problems.push(`${where}: unknown cloud "${cloud}" (${known})`);
          continue;
        }
        const problem = clouds.problem?.(cloud);
        if (problem) warnings.push(`${where}: cloud "${cloud}" is unusable, the jobs of webhook "${hook.name}" will fail: ${problem}`);
      }
    });
  }
  return { problems, warnings };
}
