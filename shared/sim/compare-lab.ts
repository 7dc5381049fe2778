// Shape diff between the simulator and a real cloud: `tsx shared/sim/compare-lab.ts`
// (OS_AUTH_URL defaults to the lab's http://127.0.0.1:5000/v3). It creates and deletes its own
// server, images and volume there. Prints, per step, the status codes and the JSON keys that differ.
import { startSimulator } from './server';

type J = Record<string, unknown>;
interface Target {
  name: string;
  auth: string;
  token: string;
  project: string;
  user: string;
  nova: string;
  glance: string;
  cinder: string;
}

async function connect(name: string, auth: string): Promise<Target> {
  const r = await fetch(`${auth}/auth/tokens`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      auth: {
        identity: {
          methods: ['password'],
          password: { user: { name: 'admin', domain: { id: 'default' }, password: process.env.OS_PASSWORD ?? 'admin-secret' } },
        },
        scope: { project: { name: 'admin', domain: { id: 'default' } } },
      },
    }),
  });
  const tok = (
    (await r.json()) as {
      token: { project: { id: string }; user: { id: string }; catalog: Array<{ type: string; endpoints: Array<{ interface: string; url: string }> }> };
    }
  ).token;
  const ep = (t: string) =>
    tok.catalog
      .find((c) => c.type === t)
      ?.endpoints.find((e) => e.interface === 'public')
      ?.url.replace(/\/$/, '') ?? '';
  return {
    name,
    auth,
    token: r.headers.get('x-subject-token')!,
    project: tok.project.id,
    user: tok.user.id,
    nova: ep('compute'),
    glance: ep('image'),
    cinder: ep('volumev3'),
  };
}

async function call(
  t: Target,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: J | null; headers: Headers }> {
  const mv = t.cinder && url.startsWith(t.cinder) ? 'volume 3.0' : 'compute 2.79';
  const h: Record<string, string> = { 'X-Auth-Token': t.token, 'OpenStack-API-Version': mv, ...headers };
  if (body !== undefined) h['Content-Type'] ??= 'application/json';
  const r = await fetch(url, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json: J | null = null;
  try {
    json = text ? (JSON.parse(text) as J) : null;
  } catch {
    json = null;
  }
  return { status: r.status, json, headers: r.headers };
}

const keys = (o: unknown): string[] => (o && typeof o === 'object' && !Array.isArray(o) ? Object.keys(o).sort() : []);
function diff(step: string, a: { status: number; json: unknown }, b: { status: number; json: unknown }, pick: (j: any) => unknown = (j) => j): void {
  const ka = keys(pick(a.json));
  const kb = keys(pick(b.json));
  const onlyLab = ka.filter((k) => !kb.includes(k));
  const onlySim = kb.filter((k) => !ka.includes(k));
  const ok = a.status === b.status && !onlyLab.length && !onlySim.length;
  console.log(
    `${ok ? 'SAME' : 'DIFF'} ${step}: status ${a.status}/${b.status}` +
      `${onlyLab.length ? ` only-lab=${onlyLab}` : ''}${onlySim.length ? ` only-sim=${onlySim}` : ''}`,
  );
}

async function until(t: Target, url: string, pick: (j: any) => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const r = await call(t, 'GET', url);
    if (r.json && pick(r.json)) return;
    await new Promise((ok) => setTimeout(ok, 250));
  }
  throw new Error(`timeout waiting on ${url}`);
}

async function scenario(t: Target): Promise<Record<string, { status: number; json: unknown }>> {
  const out: Record<string, { status: number; json: unknown }> = {};
  const imgs = await call(t, 'GET', `${t.glance}/v2/images?name=oslab-base`);
  const base = ((imgs.json?.images as J[] | undefined)?.[0] as J | undefined)?.id as string;
  out.flavor = await call(t, 'GET', `${t.nova}/flavors/42`);
  const c = await call(t, 'POST', `${t.nova}/servers`, { server: { name: 'simcmp', imageRef: base, flavorRef: '42', networks: 'none' } });
  out.create = c;
  const id = ((c.json as J).server as J).id as string;
  out.build = await call(t, 'GET', `${t.nova}/servers/${id}`);
  await until(t, `${t.nova}/servers/${id}`, (j) => j.server.status === 'ACTIVE');
  out.active = await call(t, 'GET', `${t.nova}/servers/${id}`);
  out.active21 = await call(t, 'GET', `${t.nova}/servers/${id}`, undefined, { 'OpenStack-API-Version': 'compute 2.1' });
  out.list = await call(t, 'GET', `${t.nova}/servers/detail?name=^simcmp$&limit=1`);
  const snap = await call(t, 'POST', `${t.nova}/servers/${id}/action`, { createImage: { name: 'simcmp-snap', metadata: { snapflow_job: 'cmp' } } });
  out.snap = snap;
  out.snapConflict = await call(t, 'POST', `${t.nova}/servers/${id}/action`, { createImage: { name: 'x' } });
  const imageId = (snap.json as J).image_id as string;
  await until(t, `${t.glance}/v2/images/${imageId}`, (j) => j.status === 'active');
  out.snapImage = await call(t, 'GET', `${t.glance}/v2/images/${imageId}`);
  await until(t, `${t.nova}/servers/${id}`, (j) => j.server['OS-EXT-STS:task_state'] === null);
  out.rebuild = await call(t, 'POST', `${t.nova}/servers/${id}/action`, { rebuild: { imageRef: base } });
  await until(t, `${t.nova}/servers/${id}`, (j) => j.server['OS-EXT-STS:task_state'] === null);
  out.del = await call(t, 'DELETE', `${t.nova}/servers/${id}`);
  await call(t, 'DELETE', `${t.glance}/v2/images/${imageId}`);
  const gi = await call(t, 'POST', `${t.glance}/v2/images`, { name: 'simcmp-img', disk_format: 'raw', container_format: 'bare' });
  out.imageCreate = gi;
  out.imageList = await call(t, 'GET', `${t.glance}/v2/images?limit=1`);
  await call(t, 'DELETE', `${t.glance}/v2/images/${(gi.json as J).id as string}`);
  if (t.cinder) {
    const v = await call(t, 'POST', `${t.cinder}/volumes`, { volume: { size: 1, name: 'simcmp-vol' } }, { 'OpenStack-API-Version': 'volume 3.60' });
    out.volCreate = v;
    const vid = ((v.json as J).volume as J).id as string;
    await until(t, `${t.cinder}/volumes/${vid}`, (j) => j.volume?.status === 'available');
    out.volGet = await call(t, 'GET', `${t.cinder}/volumes/${vid}`, undefined, { 'OpenStack-API-Version': 'volume 3.60' });
    const sn = await call(t, 'POST', `${t.cinder}/snapshots`, { snapshot: { volume_id: vid, name: 'simcmp-s', force: true } });
    out.snapCreate = sn;
    const sid = ((sn.json as J).snapshot as J).id as string;
    await until(t, `${t.cinder}/snapshots/${sid}`, (j) => j.snapshot.status === 'available');
    out.snapGet = await call(t, 'GET', `${t.cinder}/snapshots/${sid}`, undefined, { 'OpenStack-API-Version': 'volume 3.60' });
    await call(t, 'DELETE', `${t.cinder}/snapshots/${sid}`);
    await until(t, `${t.cinder}/snapshots/${sid}`, (j) => 'itemNotFound' in j);
    await call(t, 'DELETE', `${t.cinder}/volumes/${vid}`);
    await bootFromVolume(t, base, out);
  }
  return out;
}

/** Boot from an image-made volume, createImage (size-0 image + snapshot), delete everything. */
async function bootFromVolume(t: Target, base: string, out: Record<string, { status: number; json: unknown }>): Promise<void> {
  const v = await call(t, 'POST', `${t.cinder}/volumes`, { volume: { size: 1, name: 'simcmp-bfv', imageRef: base } });
  const vid = ((v.json as J).volume as J).id as string;
  await until(t, `${t.cinder}/volumes/${vid}`, (j) => j.volume.status === 'available');
  const c = await call(t, 'POST', `${t.nova}/servers`, {
    server: {
      name: 'simcmp-bfv',
      flavorRef: '42',
      networks: 'none',
      block_device_mapping_v2: [{ source_type: 'volume', destination_type: 'volume', uuid: vid, boot_index: 0, delete_on_termination: false }],
    },
  });
  const id = ((c.json as J).server as J).id as string;
  await until(t, `${t.nova}/servers/${id}`, (j) => j.server.status === 'ACTIVE');
  out.bfvServer = await call(t, 'GET', `${t.nova}/servers/${id}`);
  out.bfvVolume = await call(t, 'GET', `${t.cinder}/volumes/${vid}`, undefined, { 'OpenStack-API-Version': 'volume 3.60' });
  const snap = await call(t, 'POST', `${t.nova}/servers/${id}/action`, { createImage: { name: 'simcmp-bfv-snap', metadata: { snapflow_job: 'cmp' } } });
  const imageId = (snap.json as J).image_id as string;
  await until(t, `${t.glance}/v2/images/${imageId}`, (j) => j.status === 'active');
  out.bfvImage = await call(t, 'GET', `${t.glance}/v2/images/${imageId}`);
  const bdm = JSON.parse(((out.bfvImage.json as J).block_device_mapping as string) ?? '[]') as J[];
  out.bfvBdm = { status: 200, json: bdm[0] ?? null };
  out.bfvRebuild = await call(t, 'POST', `${t.nova}/servers/${id}/action`, { rebuild: { imageRef: imageId } });
  const exportId = await exportAndReimage(t, id, bdm[0]?.snapshot_id as string, out);
  await call(t, 'DELETE', `${t.nova}/servers/${id}`);
  await until(t, `${t.cinder}/volumes/${vid}`, (j) => j.volume?.status === 'available');
  for (const b of bdm) {
    await call(t, 'DELETE', `${t.cinder}/snapshots/${b.snapshot_id as string}`);
    await until(t, `${t.cinder}/snapshots/${b.snapshot_id as string}`, (j) => 'itemNotFound' in j);
  }
  await call(t, 'DELETE', `${t.cinder}/volumes/${vid}`);
  await call(t, 'DELETE', `${t.glance}/v2/images/${imageId}`);
  await call(t, 'DELETE', `${t.glance}/v2/images/${exportId}`);
}

/**
 * snapflow's export chain and the 2.93 re-image: a volume from the Cinder snapshot,
 * os-volume_upload_image (qcow2), the image (with what Cinder copies into it), rebuild at 2.93
 * with it and the root volume afterwards. Deletes the volume; returns the image id.
 */
async function exportAndReimage(t: Target, serverId: string, snapId: string, out: Record<string, { status: number; json: unknown }>): Promise<string> {
  await until(t, `${t.cinder}/snapshots/${snapId}`, (j) => j.snapshot?.status === 'available');
  const mv360 = { 'OpenStack-API-Version': 'volume 3.60' };
  const meta = { snapflow_job: 'cmp' };
  out.exportVolCreate = await call(
    t,
    'POST',
    `${t.cinder}/volumes`,
    { volume: { snapshot_id: snapId, name: 'simcmp-export', size: 1, metadata: meta } },
    mv360,
  );
  const vid = ((out.exportVolCreate.json as J).volume as J).id as string;
  await until(t, `${t.cinder}/volumes/${vid}`, (j) => j.volume?.status === 'available');
  out.exportVolGet = await call(t, 'GET', `${t.cinder}/volumes/${vid}`, undefined, mv360);
  out.exportVolImageMeta = { status: 200, json: (out.exportVolGet.json as J & { volume: J }).volume.volume_image_metadata ?? null };
  out.exportVolByMeta = await call(
    t,
    'GET',
    `${t.cinder}/volumes/detail?name=simcmp-export&metadata=${encodeURIComponent(JSON.stringify(meta))}`,
    undefined,
    mv360,
  );
  const body = { 'os-volume_upload_image': { image_name: 'simcmp-export', disk_format: 'qcow2', container_format: 'bare', force: false } };
  out.upload = await call(t, 'POST', `${t.cinder}/volumes/${vid}/action`, body);
  const imageId = ((out.upload.json as J)['os-volume_upload_image'] as J).image_id as string;
  out.uploadingVolume = await call(t, 'GET', `${t.cinder}/volumes/${vid}`, undefined, mv360);
  await until(t, `${t.glance}/v2/images/${imageId}`, (j) => j.status === 'active', 300_000);
  out.exportImage = await call(t, 'GET', `${t.glance}/v2/images/${imageId}`);
  await until(t, `${t.cinder}/volumes/${vid}`, (j) => j.volume?.status === 'available');
  await call(t, 'DELETE', `${t.cinder}/volumes/${vid}`);
  out.rebuild293 = await call(
    t,
    'POST',
    `${t.nova}/servers/${serverId}/action`,
    { rebuild: { imageRef: imageId } },
    { 'OpenStack-API-Version': 'compute 2.93' },
  );
  await until(t, `${t.nova}/servers/${serverId}`, (j) => j.server.status === 'ACTIVE' && j.server['OS-EXT-STS:task_state'] === null, 300_000);
  const after = await call(t, 'GET', `${t.nova}/servers/${serverId}`);
  const rootId = ((after.json as J & { server: J }).server['os-extended-volumes:volumes_attached'] as J[])[0]?.id as string;
  const root = await call(t, 'GET', `${t.cinder}/volumes/${rootId}`, undefined, mv360);
  const rootMeta = ((root.json as J & { volume: J }).volume.volume_image_metadata ?? {}) as J;
  out.reimagedVolumeMeta = { status: rootMeta.image_id === imageId ? 200 : 409, json: rootMeta };
  await until(t, `${t.cinder}/volumes/${vid}`, (j) => 'itemNotFound' in j);
  return imageId;
}

const sim = await startSimulator();
try {
  const lab = await scenario(await connect('lab', process.env.OS_AUTH_URL ?? 'http://127.0.0.1:5000/v3'));
  const mine = await scenario(await connect('sim', sim.authUrl));
  const inner: Record<string, (j: any) => unknown> = {
    flavor: (j) => j?.flavor,
    create: (j) => j?.server,
    build: (j) => j?.server,
    active: (j) => j?.server,
    active21: (j) => j?.server,
    list: (j) => j?.servers?.[0],
    rebuild: (j) => j?.server,
    volCreate: (j) => j?.volume,
    volGet: (j) => j?.volume,
    snapCreate: (j) => j?.snapshot,
    snapGet: (j) => j?.snapshot,
    imageList: (j) => j,
    bfvServer: (j) => j?.server,
    bfvVolume: (j) => j?.volume,
    exportVolCreate: (j) => j?.volume,
    exportVolGet: (j) => j?.volume,
    exportVolByMeta: (j) => j?.volumes?.[0],
    upload: (j) => j?.['os-volume_upload_image'],
    uploadingVolume: (j) => j?.volume,
    rebuild293: (j) => j?.server,
  };
  for (const k of Object.keys(lab)) diff(k, lab[k]!, mine[k] ?? { status: 0, json: null }, inner[k]);
  const st = (k: string) => `${(lab[k]?.json as { volume?: J })?.volume?.status ?? '?'}/${(mine[k]?.json as { volume?: J })?.volume?.status ?? '?'}`;
  console.log('volume status while uploading (lab/sim)', st('uploadingVolume'));
  console.log('list keys', keys(lab.list?.json), keys(mine.list?.json));
} finally {
  await sim.close();
}
