import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../shared/metrics/registry';
import { createSnapflowMetrics } from '../../shared/metrics/snapflow-metrics';

describe('metrics registry', () => {
  it('renders counters, gauges and cumulative histogram buckets in text format 0.0.4', async () => {
    const r = createMetricsRegistry();
    const c = r.counter('t_calls_total', 'Calls\nper "service"', ['service']);
    const g = r.gauge('t_temp', 'Temperature');
    const hst = r.histogram('t_latency_seconds', 'Latency', ['op'], [0.1, 1]);
    c.inc({ service: 'com"pute\\x\ny' });
    c.inc({ service: 'image' }, 2.5);
    g.set({}, -3);
    g.inc();
    for (const v of [0.05, 0.5, 5]) hst.observe({ op: 'get' }, v);
    expect(await r.render()).toBe(
      [
        '# HELP t_calls_total Calls\\nper "service"',
        '# TYPE t_calls_total counter',
        't_calls_total{service="com\\"pute\\\\x\\ny"} 1',
        't_calls_total{service="image"} 2.5',
        '# HELP t_temp Temperature',
        '# TYPE t_temp gauge',
        't_temp -2',
        '# HELP t_latency_seconds Latency',
        '# TYPE t_latency_seconds histogram',
        't_latency_seconds_bucket{op="get",le="0.1"} 1',
        't_latency_seconds_bucket{op="get",le="1"} 2',
        't_latency_seconds_bucket{op="get",le="+Inf"} 3',
        't_latency_seconds_sum{op="get"} 5.55',
        't_latency_seconds_count{op="get"} 3',
        '',
      ].join('\n'),
    );
    expect(c.get({ service: 'image' })).toBe(2.5);
    expect(hst.get({ op: 'get' })).toEqual({ count: 3, sum: 5.55 });
  });

  it('refuses bad names, unknown labels, duplicate metrics and decreasing counters', () => {
    const r = createMetricsRegistry();
    const c = r.counter('ok_total', 'x', ['a']);
    expect(() => r.counter('ok_total', 'again')).toThrow(/twice/);
    expect(() => r.counter('bad-name', 'x')).toThrow(/invalid metric name/);
    expect(() => r.histogram('h', 'x', ['le'])).toThrow(/invalid label/);
    expect(() => c.inc({ b: '1' })).toThrow(/unknown label/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/only increase/);
  });

  it('runs collectors before rendering and survives a failing one', async () => {
    const m = createSnapflowMetrics();
    let calls = 0;
    m.trackJobStates(async (): Promise<Record<string, number>> => {
      calls++;
      return calls === 1 ? { queued: 2, running: 1 } : { succeeded: 5 };
    });
    m.registry.onCollect(() => {
      throw new Error('db down');
    });
    expect(await m.registry.render()).toContain('snapflow_jobs{state="queued"} 2');
    const second = await m.registry.render();
    expect(second).toContain('snapflow_jobs{state="succeeded"} 5');
    expect(second).not.toContain('state="queued"');
  });

  it('times steps from the event data, or from the previous event unless the job slept', () => {
    const m = createSnapflowMetrics();
    const ev = (type: string, at: number, step: string | null, data: Record<string, unknown> | null = null, toState = 'queued') => ({
      jobId: 'j1',
      kind: 'snapshot',
      event: { type, at, step, fromState: 'running', toState, data },
    });
    m.observeEngineEvent(ev('submitted', 1000, null));
    m.observeEngineEvent(ev('step.done', 1500, 'a'));
    m.observeEngineEvent(ev('step.wait', 1700, 'b', null, 'waiting'));
    m.observeEngineEvent(ev('step.done', 61_800, 'b'));
    m.observeEngineEvent(ev('step.done', 70_000, 'c', { durationMs: 250 }, 'succeeded'));
    const h = m.registry;
    return h.render().then((text) => {
      expect(text).toContain('snapflow_step_duration_seconds_sum{kind="snapshot",step="a",outcome="done"} 0.5');
      expect(text).toContain('snapflow_step_duration_seconds_sum{kind="snapshot",step="b",outcome="wait"} 0.2');
      // after a wait the gap is sleep, not work: not observed
      expect(text).not.toContain('step="b",outcome="done"');
      expect(text).toContain('snapflow_step_duration_seconds_sum{kind="snapshot",step="c",outcome="done"} 0.25');
      expect(text).toContain('snapflow_job_transitions_total{kind="snapshot",to_state="succeeded"} 1');
    });
  });
});
