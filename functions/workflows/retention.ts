// The retention decision, pure: which of a policy's snapshots go. Rules (keep the newest
// N, and/or nothing older than maxAgeDays) only ever select; the protections always win:
// the newest active snapshot, an image a server runs, and an image still being written
// are never deleted.
import { z } from 'zod';

export const retentionCandidate = z.object({
  id: z.string(),
  name: z.string().nullable(),
  status: z.string(),
  createdAt: z.number(),
  volumeSnapshotIds: z.array(z.string()),
});
export type RetentionCandidate = z.infer<typeof retentionCandidate>;

export interface RetentionRules {
  keep?: number;
  maxAgeDays?: number;
}

const decided = retentionCandidate.extend({ reason: z.string() });
export type Decided = z.infer<typeof decided>;

/** What select-prunable decides and delete-images carries out (kept in the job context). */
export const retentionPlan = z.object({ toDelete: z.array(decided), kept: z.array(decided) });
export type RetentionPlan = z.infer<typeof retentionPlan>;

const IN_PROGRESS = new Set(['queued', 'saving', 'importing', 'uploading']);
const DAY_MS = 86_400_000;

/** `protect`: image id → why it must survive (a server runs it, the job just made it). */
export function planRetention(images: readonly RetentionCandidate[], rules: RetentionRules, protect: ReadonlyMap<string, string>, now: number): RetentionPlan {
  // Stable: within one second (Glance's precision) the caller's order (Glance's list order) decides.
  const sorted = [...images].sort((a, b) => b.createdAt - a.createdAt);
  const newestActive = sorted.find((i) => i.status === 'active');
  const plan: RetentionPlan = { toDelete: [], kept: [] };
  const keep = (i: RetentionCandidate, reason: string) => plan.kept.push({ ...i, reason });
  const drop = (i: RetentionCandidate, reason: string) => plan.toDelete.push({ ...i, reason });
  let rank = 0;
  for (const image of sorted) {
    const active = image.status === 'active';
    const position = active ? rank++ : -1;
    if (IN_PROGRESS.has(image.status)) keep(image, `still ${image.status}`);
    else if (protect.has(image.id)) keep(image, protect.get(image.id)!);
    else if (image === newestActive) keep(image, 'newest active snapshot');
    else if (image.status === 'killed') drop(image, 'failed snapshot (killed)');
    else if (!active) keep(image, `status ${image.status}: left alone`);
    else {
      const beyondKeep = rules.keep !== undefined && position >= rules.keep;
      const ageDays = (now - image.createdAt) / DAY_MS;
      const tooOld = rules.maxAgeDays !== undefined && ageDays > rules.maxAgeDays;
      if (beyondKeep || tooOld) {
        const why = [beyondKeep ? `beyond the newest ${rules.keep}` : '', tooOld ? `older than ${rules.maxAgeDays} days` : ''].filter(Boolean);
        drop(image, why.join(' and '));
      } else {
        const why = [
          rules.keep !== undefined ? `within the newest ${rules.keep}` : '',
          rules.maxAgeDays !== undefined ? `younger than ${rules.maxAgeDays} days` : '',
        ];
        keep(image, why.filter(Boolean).join(' and '));
      }
    }
  }
  return plan;
}
