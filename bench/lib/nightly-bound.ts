// The ideal wall time of a nightly run, set by the limits alone: each project works through
// its servers in waves of `limit` snapshots, projects in parallel, and a snapshot cannot take
// less than the cloud's own time plus the calls no implementation can skip.
import { meanLatency } from '../../shared/sim/state';
import type { NightlyShape } from './nightly-world';

export interface Bound {
  waves: number;
  /** one snapshot's unavoidable time, at full scale */
  perJobMs: number;
  /** sequential API calls counted as unavoidable per snapshot */
  minCalls: number;
  /** the bound at the run's scale */
  valueMs: number;
  formula: string;
}

/**
 * Calls a snapshot job cannot do without, one after the other while it holds its slot:
 * createImage; one image GET that sees it active; retention's image list, server list (no
 * image a server boots from is deleted) and the DELETE of the night that falls out of `keep`.
 * With `stop`: os-stop, a GET that sees SHUTOFF, os-start, a GET that sees ACTIVE.
 */
export function unavoidableCalls(shape: NightlyShape): number {
  return 5 + (shape.stop ? 4 : 0);
}

export function idealBound(shape: NightlyShape): Bound {
  const l = shape.latency;
  const waves = Math.ceil(shape.serversPerProject / shape.limit);
  const minCalls = unavoidableCalls(shape);
  const snapshot = meanLatency(l.snapshot);
  const actions = shape.stop ? meanLatency(l.stop) + meanLatency(l.start) : 0;
  const api = meanLatency(l.api);
  const perJobMs = snapshot + actions + minCalls * api;
  const s = (ms: number) => `${(ms / 1000).toFixed(ms < 1000 ? 3 : 1)} s`;
  const parts = [
    `${s(snapshot)} image active`,
    ...(shape.stop ? [`${s(actions)} stop+start (means)`] : []),
    `${minCalls} calls × ${s(api)} (mean API latency)`,
  ];
  const valueMs = waves * perJobMs * shape.scale;
  const formula =
    `ceil(${shape.serversPerProject}/${shape.limit}) waves × (${parts.join(' + ')}) × scale ${shape.scale}` +
    ` = ${waves} × ${s(perJobMs)} × ${shape.scale} = ${s(valueMs)}`;
  return { waves, perJobMs, minCalls, valueMs, formula };
}
