import { z } from 'zod';
import { hexId } from './http-util';
import type { Server } from './model';
import { findServer } from './nova-servers';
import { IMAGE_QUOTA_500, imageQuotaExceeded, snapshotImageBacked, snapshotVolumeBacked } from './nova-snapshot';
import { serverView } from './nova-view';
import { novaInvalidInput } from './py-repr';
import type { Ctx, Route } from './router';
import { empty, fail, json, mvAtLeast, route } from './router';
import { imageVisible, reimageVolume } from './shared-ops';

const Meta = z.record(z.string(), z.string()).optional();
const CreateImage = z.object({ name: z.string().min(1).max(255), metadata: Meta });
const CreateBackup = z.object({
  name: z.string().min(1).max(255),
  backup_type: z.string(),
  rotation: z.union([z.number().int().min(0), z.string().regex(/^[0-9]+$/)]),
  metadata: Meta,
});
const Rebuild = z.object({ imageRef: z.string(), name: z.string().optional(), metadata: Meta });

/** nova.compute.api check_instance_state: vm_state first, then task_state. */
function checkState(ctx: Ctx, s: Server, action: string, vmStates: string[]): boolean {
  if (!vmStates.includes(s.vmState)) {
    fail(ctx, 409, `Cannot '${action}' instance ${s.id} while it is in vm_state ${s.vmState}`);
    return false;
  }
  if (s.taskState !== null) {
    fail(ctx, 409, `Cannot '${action}' instance ${s.id} while it is in task_state ${s.taskState}`);
    return false;
  }
  return true;
}

/** jsonschema's wording for the first problem (missing keys are the common case). */
function required(issues: z.core.$ZodIssue[], arg: unknown): string {
  const i = issues[0];
  const key = i?.path[0];
  const obj = arg && typeof arg === 'object' ? (arg as Record<string, unknown>) : undefined;
  if (key !== undefined && obj && obj[String(key)] === undefined) return `'${String(key)}' is a required property`;
  if (!obj) return `${pyReprType(arg)} is not of type 'object'`;
  return i?.message ?? 'invalid';
}
const pyReprType = (v: unknown): string => (v === null || v === undefined ? 'None' : JSON.stringify(v));

function transition(ctx: Ctx, s: Server, task: string, ms: number, done: () => void): void {
  s.taskState = task;
  s.updated = Date.now();
  ctx.state.after(ms, () => {
    if (!ctx.state.servers.has(s.id) || s.taskState !== task) return;
    done();
    s.taskState = null;
    s.updated = Date.now();
  });
}

function respondImage(ctx: Ctx, imageId: string): void {
  if (mvAtLeast(ctx, '2.45')) return json(ctx, 202, { image_id: imageId });
  // below 2.45 Nova answers with glance's image URL (the double slash is real)
  empty(ctx, 202, { Location: `${ctx.base}//images/${imageId}`, 'Content-Type': 'text/html; charset=UTF-8' });
}

function createImage(ctx: Ctx, s: Server, arg: unknown): void {
  const p = CreateImage.safeParse(arg);
  if (!p.success) return fail(ctx, 400, novaInvalidInput('createImage', arg, required(p.error.issues, arg)));
  if (!checkState(ctx, s, 'createImage', ['active', 'stopped'])) return;
  if (imageQuotaExceeded(ctx)) return fail(ctx, 500, IMAGE_QUOTA_500);
  const req = { name: p.data.name, metadata: p.data.metadata ?? {} };
  const img = s.imageId === null ? snapshotVolumeBacked(ctx, s, req) : snapshotImageBacked(ctx, s, req);
  respondImage(ctx, img.id);
}

function createBackup(ctx: Ctx, s: Server, arg: unknown): void {
  const p = CreateBackup.safeParse(arg);
  if (!p.success) return fail(ctx, 400, novaInvalidInput('createBackup', arg, required(p.error.issues, arg)));
  if (s.imageId === null) return fail(ctx, 400, 'Backup is not supported for volume-backed instances.');
  if (!checkState(ctx, s, 'createBackup', ['active', 'stopped'])) return;
  if (imageQuotaExceeded(ctx)) return fail(ctx, 500, IMAGE_QUOTA_500);
  const img = snapshotImageBacked(ctx, s, {
    name: p.data.name,
    metadata: p.data.metadata ?? {},
    backup: { type: p.data.backup_type, rotation: Number(p.data.rotation) },
  });
  respondImage(ctx, img.id);
}

function rebuild(ctx: Ctx, s: Server, arg: unknown): void {
  const st = ctx.state;
  const p = Rebuild.safeParse(arg);
  if (!p.success) return fail(ctx, 400, novaInvalidInput('rebuild', arg, required(p.error.issues, arg)));
  const img = st.images.get(p.data.imageRef);
  if (!img || !imageVisible(ctx, img)) return fail(ctx, 400, 'Cannot find image for rebuild');
  if (img.status !== 'active') return fail(ctx, 400, `Image ${img.id} is not active.`);
  if (!checkState(ctx, s, 'rebuild', ['active', 'stopped', 'error'])) return;
  const rootVol = s.imageId === null ? st.volumes.get(s.bdms[0]?.volumeId ?? '') : undefined;
  if (s.imageId === null && rootVol?.imageMeta?.image_id !== img.id && !mvAtLeast(ctx, '2.93')) {
    return fail(ctx, 400, 'Unable to rebuild with a different image for a volume-backed server.');
  }
  if (s.imageId !== null) s.imageId = img.id;
  if (p.data.name) s.name = p.data.name;
  if (p.data.metadata) s.metadata = p.data.metadata;
  const wasStopped = s.vmState === 'stopped';
  if (s.vmState === 'error') s.vmState = 'active';
  transition(ctx, s, 'rebuilding', st.delay('rebuild'), () => {
    // a SHUTOFF server stays SHUTOFF after a rebuild (seen on the lab)
    s.vmState = wasStopped ? 'stopped' : 'active';
    s.powerState = wasStopped ? 4 : 1;
    // Cinder refuses to re-image from an image without data (a boot-from-volume snapshot):
    // Nova reverts the task and the server keeps its old disk, without an API error (seen on the lab).
    if (rootVol && rootVol.imageMeta?.image_id !== img.id && st.volumes.has(rootVol.id) && (img.size ?? 0) > 0) reimageVolume(st, rootVol, img);
  });
  json(
    ctx,
    202,
    { server: { ...serverView(ctx, s, 'rebuild'), adminPass: hexId().slice(0, 12), user_data: null } },
    { location: `${ctx.base}/v2.1/servers/${s.id}` },
  );
}

async function action(ctx: Ctx): Promise<void> {
  const body = ctx.body as Record<string, unknown> | undefined;
  const name = body && typeof body === 'object' ? Object.keys(body)[0] : undefined;
  const s = findServer(ctx, ctx.params.id!);
  if (!s) return fail(ctx, 404, `Instance ${ctx.params.id} has no mapping to a cell.`);
  const arg = name ? body![name] : undefined;
  switch (name) {
    case 'os-stop':
      if (!checkState(ctx, s, 'stop', ['active', 'error'])) return;
      transition(ctx, s, 'powering-off', ctx.state.delay('stop'), () => {
        s.vmState = 'stopped';
        s.powerState = 4;
      });
      return empty(ctx, 202);
    case 'os-start':
      if (!checkState(ctx, s, 'start', ['stopped'])) return;
      transition(ctx, s, 'powering-on', ctx.state.delay('start'), () => {
        s.vmState = 'active';
        s.powerState = 1;
      });
      return empty(ctx, 202);
    case 'createImage':
      return createImage(ctx, s, arg);
    case 'createBackup':
      return createBackup(ctx, s, arg);
    case 'rebuild':
      return rebuild(ctx, s, arg);
    default:
      return fail(ctx, 400, `There is no such action: ${name ?? ''}`);
  }
}

export function novaActionRoutes(): Route[] {
  return [route('POST', '/v2.1/servers/{id}/action', 'nova', action, { action: true })];
}
