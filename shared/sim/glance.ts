import { rmSync } from 'node:fs';
import { z } from 'zod';
import { GLANCE_409_EXPLANATION, glance415 } from './errors';
import { PATCH_TYPES, parsePatch } from './glance-patch';
import { glanceVersions } from './glance-versions';
import { imageView, memberView, READ_ONLY, setAttr } from './glance-view';
import { send } from './http-util';
import type { Image, Member } from './model';
import type { Ctx, Route } from './router';
import { empty, fail, failWebob, json, route } from './router';
import { countImages, imageVisible } from './shared-ops';

const LIST_PARAMS = new Set(['limit', 'marker', 'sort_key', 'sort_dir', 'sort', 'member_status', 'name', 'status', 'owner', 'visibility', 'os_hidden']);
const CreateBody = z.record(z.string(), z.unknown());
const MemberBody = z.object({ member: z.string().min(1) });
const MemberStatusBody = z.object({ status: z.enum(['pending', 'accepted', 'rejected']) });
const isAdmin = (ctx: Ctx) => ctx.token!.roles.includes('admin');

export function findImage(ctx: Ctx, id: string): Image | undefined {
  const img = ctx.state.images.get(id);
  return img && imageVisible(ctx, img) ? img : undefined;
}
const notFound = (ctx: Ctx, id: string) => fail(ctx, 404, `No image found with ID ${id}`);
const forbidden = (ctx: Ctx, msg: string, detail?: string) => fail(ctx, 403, msg, detail);

function createImage(ctx: Ctx): void {
  const s = ctx.state;
  const parsed = CreateBody.safeParse(ctx.body);
  if (!parsed.success) return fail(ctx, 400, 'Body expected in request.');
  const body = parsed.data;
  const q = s.quotas.images;
  if (q !== null && countImages(s, ctx.token!.projectId) >= q) {
    // Glance answers this one as text/plain (webob plain template)
    const msg = `Project ${ctx.token!.projectId} is over a limit for [Resource image_count_total is over limit of ${q} due to current usage ${q} and delta 0]`;
    return send(ctx.res, 413, `413 Request Entity Too Large\n\n${msg}\n\n   `, {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-Openstack-Request-Id': ctx.reqId,
    });
  }
  const img = s.addImage({ owner: ctx.token!.projectId });
  for (const [k, v] of Object.entries(body)) {
    if (k === 'owner' && isAdmin(ctx) && typeof v === 'string') {
      img.owner = v;
      continue;
    }
    if (READ_ONLY.has(k) || k === 'owner') {
      s.images.delete(img.id);
      return forbidden(ctx, `Attribute '${k}' is read-only.`);
    }
    const err = setAttr(img, k, v);
    if (err) {
      s.images.delete(img.id);
      return fail(ctx, 400, err);
    }
  }
  json(ctx, 201, imageView(img), {
    Location: `${ctx.base}/v2/images/${img.id}`,
    'Openstack-Image-Import-Methods': 'glance-direct,web-download,copy-image',
    'Openstack-Image-Store-Ids': 'fs,os_glance_staging_store,os_glance_tasks_store',
  });
}

function listedByDefault(ctx: Ctx, img: Image, memberStatus: string): boolean {
  const p = ctx.token!.projectId;
  if (img.owner === p || img.visibility === 'public') return true;
  if (img.visibility === 'shared') {
    const m = img.members.get(p);
    if (m && (memberStatus === 'all' || m.status === memberStatus)) return true;
  }
  return isAdmin(ctx) && img.visibility !== 'community';
}

function listImages(ctx: Ctx): void {
  const q = ctx.url.searchParams;
  const memberStatus = q.get('member_status') ?? 'accepted';
  const vis = q.get('visibility');
  let list = [...ctx.state.images.values()].filter((i) => (vis === 'community' ? i.visibility === 'community' : listedByDefault(ctx, i, memberStatus)));
  if (vis && vis !== 'all' && vis !== 'community') list = list.filter((i) => i.visibility === vis);
  const hidden = q.get('os_hidden');
  list = list.filter((i) => i.hidden === (hidden === 'true'));
  for (const k of ['name', 'status', 'owner'] as const) {
    const v = q.get(k);
    if (v !== null) list = list.filter((i) => String(k === 'name' ? i.name : i[k]) === v);
  }
  for (const [k, v] of q) if (!LIST_PARAMS.has(k)) list = list.filter((i) => String(i.props[k] ?? '') === v && k in i.props);
  const sortKey = q.get('sort_key') ?? 'created_at';
  const dir = (q.get('sort_dir') ?? 'desc') === 'asc' ? 1 : -1;
  const keyOf = (i: Image): string | number => {
    const v = imageView(i)[sortKey];
    return typeof v === 'number' ? v : String(v ?? '');
  };
  list.sort((a, b) => {
    const x = keyOf(a),
      y = keyOf(b);
    if (x !== y) return (x < y ? -1 : 1) * dir;
    return (a.createdAt - b.createdAt || a.seq - b.seq) * dir;
  });
  const marker = q.get('marker');
  if (marker !== null) {
    const i = list.findIndex((x) => x.id === marker);
    if (i < 0) return fail(ctx, 400, `Invalid marker. Image ${marker} could not be found.`);
    list = list.slice(i + 1);
  }
  const limitRaw = q.get('limit');
  if (limitRaw !== null && !/^[0-9]+$/.test(limitRaw)) return fail(ctx, 400, 'limit param must be an integer');
  const limit = Math.min(limitRaw ? Number(limitRaw) : 25, 1000);
  const page = list.slice(0, limit);
  const qs = ctx.url.search;
  const body: Record<string, unknown> = { images: page.map(imageView), first: `/v2/images${qs}`, schema: '/v2/schemas/images' };
  const last = page[page.length - 1];
  if (last && page.length === limit) {
    const next = new URLSearchParams([...q].filter(([k]) => k !== 'marker'));
    next.append('marker', last.id);
    body.next = `/v2/images?${next}`;
  }
  json(ctx, 200, body);
}

function getImage(ctx: Ctx): void {
  const img = findImage(ctx, ctx.params.id!);
  if (!img) return notFound(ctx, ctx.params.id!);
  json(ctx, 200, imageView(img));
}

function patchImage(ctx: Ctx): void {
  const ct = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const draftVersion = PATCH_TYPES[ct];
  if (!draftVersion) return failWebob(ctx, 415, glance415(ct), { 'Accept-Patch': Object.keys(PATCH_TYPES).sort().join(', ') });
  const changes = parsePatch(ctx.body, draftVersion);
  if (!Array.isArray(changes)) return changes.status === 403 ? forbidden(ctx, changes.message) : fail(ctx, 400, changes.message);
  const img = findImage(ctx, ctx.params.id!);
  if (!img) return notFound(ctx, ctx.params.id!);
  if (img.owner !== ctx.token!.projectId && !isAdmin(ctx)) return forbidden(ctx, 'You are not permitted to modify this image.');
  const draft: Image = { ...img, props: { ...img.props }, tags: [...img.tags] };
  for (const { op, key, value } of changes) {
    const isProp = !(key in imageView({ ...draft, props: {} }));
    if (op === 'remove') {
      if (!isProp) return forbidden(ctx, 'Access was denied to this resource.', `Property ${key} may not be removed.`);
      if (!(key in draft.props)) return fail(ctx, 409, GLANCE_409_EXPLANATION, `Property ${key} does not exist.`);
      delete draft.props[key];
    } else {
      if (op === 'replace' && isProp && !(key in draft.props)) {
        return fail(ctx, 409, GLANCE_409_EXPLANATION, `Property ${key} does not exist.`);
      }
      const err = setAttr(draft, key, value);
      if (err) return fail(ctx, 400, err);
    }
  }
  Object.assign(img, draft, { updatedAt: Date.now() });
  json(ctx, 200, imageView(img));
}

function deleteImage(ctx: Ctx): void {
  const img = findImage(ctx, ctx.params.id!);
  if (!img) return fail(ctx, 404, `Failed to find image ${ctx.params.id} to delete`);
  if (img.owner !== ctx.token!.projectId && !isAdmin(ctx)) return forbidden(ctx, 'You are not permitted to delete this image.');
  if (img.protected) return forbidden(ctx, `Image ${img.id} is protected and cannot be deleted.`);
  ctx.state.images.delete(img.id);
  if (img.filePath) rmSync(img.filePath, { force: true });
  empty(ctx, 204);
}

function addMember(ctx: Ctx): void {
  const img = findImage(ctx, ctx.params.id!);
  if (!img) return notFound(ctx, ctx.params.id!);
  if (img.owner !== ctx.token!.projectId && !isAdmin(ctx)) return forbidden(ctx, 'You are not permitted to create image members for the image.');
  if (img.visibility !== 'shared') return forbidden(ctx, `Only shared images have members.`);
  const parsed = MemberBody.safeParse(ctx.body);
  if (!parsed.success) return fail(ctx, 400, 'Member to be added not specified');
  const memberId = parsed.data.member;
  if (img.members.has(memberId)) return fail(ctx, 409, `Member ${memberId} is duplicated for image ${img.id}`);
  const now = Date.now();
  const m: Member = { memberId, status: 'pending', createdAt: now, updatedAt: now };
  img.members.set(memberId, m);
  json(ctx, 200, memberView(img.id, m));
}

function memberOf(ctx: Ctx): { img: Image; m: Member } | undefined {
  const img = findImage(ctx, ctx.params.id!);
  const m = img?.members.get(ctx.params.member_id!);
  if (!img) notFound(ctx, ctx.params.id!);
  else if (!m) fail(ctx, 404, `${ctx.params.member_id} is not a member of image ${img.id}`);
  return img && m ? { img, m } : undefined;
}

function updateMember(ctx: Ctx): void {
  const f = memberOf(ctx);
  if (!f) return;
  const parsed = MemberStatusBody.safeParse(ctx.body);
  if (!parsed.success) return fail(ctx, 400, `Invalid status: ${String((ctx.body as { status?: unknown } | null)?.status)}`);
  const status = parsed.data.status;
  if (ctx.token!.projectId !== f.m.memberId && !isAdmin(ctx)) return forbidden(ctx, "You are not permitted to modify 'status' on this image member.");
  f.m.status = status;
  f.m.updatedAt = Date.now();
  json(ctx, 200, memberView(f.img.id, f.m));
}

export function glanceRoutes(): Route[] {
  return [
    route('GET', '/', 'glance', (c) => glanceVersions(c, 300), { auth: false }),
    route('GET', '/versions', 'glance', (c) => glanceVersions(c, 200), { auth: false }),
    route('POST', '/v2/images', 'glance', createImage),
    route('GET', '/v2/images', 'glance', listImages),
    route('GET', '/v2/images/{id}', 'glance', getImage),
    route('PATCH', '/v2/images/{id}', 'glance', patchImage),
    route('DELETE', '/v2/images/{id}', 'glance', deleteImage),
    route('POST', '/v2/images/{id}/members', 'glance', addMember),
    route('GET', '/v2/images/{id}/members', 'glance', (c) => {
      const img = findImage(c, c.params.id!);
      if (!img) return notFound(c, c.params.id!);
      json(c, 200, { members: [...img.members.values()].map((m) => memberView(img.id, m)), schema: '/v2/schemas/members' });
    }),
    route('GET', '/v2/images/{id}/members/{member_id}', 'glance', (c) => {
      const f = memberOf(c);
      if (f) json(c, 200, memberView(f.img.id, f.m));
    }),
    route('PUT', '/v2/images/{id}/members/{member_id}', 'glance', updateMember),
    route('DELETE', '/v2/images/{id}/members/{member_id}', 'glance', (c) => {
      const f = memberOf(c);
      if (!f) return;
      f.img.members.delete(f.m.memberId);
      empty(c, 204);
    }),
  ];
}
