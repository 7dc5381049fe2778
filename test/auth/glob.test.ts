import { describe, expect, it } from 'vitest';
import { checkTargetPattern, matchGlob, UNKNOWN_SEGMENT } from '../../shared/auth/glob';
import { canTarget, describeTarget, hasScope } from '../../shared/auth/principal';

const segs = (p: string) => p.split('/');

describe('matchGlob', () => {
  it.each([
    ['*', 'prod/p1/web-1', true],
    ['**', 'prod/p1/web-1', true],
    ['prod/*/web-*', 'prod/p1/web-1', true],
    ['prod/*/web-*', 'prod/p1/web-', true],
    ['prod/*/web-*', 'prod/p1/db-1', false],
    ['prod/*/web-*', 'test/p1/web-1', false],
    ['prod/*', 'prod/p1/web-1', false],
    ['prod/**', 'prod/p1/web-1', true],
    ['**/web-1', 'prod/p1/web-1', true],
    ['prod/**/web-1', 'prod/p1/web-1', true],
    ['prod/**/p1/web-1', 'prod/p1/web-1', true],
    ['prod/*/*', 'prod/p1/web-1', true],
    ['prod/p?/web-1', 'prod/p1/web-1', true],
    ['prod/p?/web-1', 'prod/p12/web-1', false],
    ['pr*d/p1/w*b-*', 'prod/p1/web-1', true],
    ['prod/p1/web.1', 'prod/p1/webx1', false], // regex metacharacters are literal
    ['prod/p1/web+1', 'prod/p1/web+1', true],
    ['prod/p1/web-1', 'prod/p1/web-10', false],
  ])('%s vs %s → %s', (pattern, target, want) => {
    expect(matchGlob(pattern, segs(target))).toBe(want);
  });

  it('keeps a server name containing "/" in one segment', () => {
    expect(matchGlob('prod/p1/*', ['prod', 'p1', 'a/b'])).toBe(true);
    expect(matchGlob('prod/p1/a/*', ['prod', 'p1', 'a/b'])).toBe(false);
  });

  it('lets only wildcards match an unknown project', () => {
    const t = ['prod', UNKNOWN_SEGMENT, 'web-1'] as const;
    expect(matchGlob('prod/*/web-1', t)).toBe(true);
    expect(matchGlob('prod/**', t)).toBe(true);
    expect(matchGlob('prod/p1/web-1', t)).toBe(false);
    expect(matchGlob('prod/p*/web-1', t)).toBe(false);
  });

  it('validates patterns', () => {
    expect(checkTargetPattern('prod/*/web-*')).toBeNull();
    expect(checkTargetPattern('')).toMatch(/empty/);
    expect(checkTargetPattern('prod//web')).toMatch(/empty segment/);
  });
});

describe('principal', () => {
  it('admin implies every scope', () => {
    for (const s of ['read', 'submit', 'admin', 'runner'] as const) expect(hasScope({ scopes: ['admin'] }, s)).toBe(true);
    expect(hasScope({ scopes: ['read'] }, 'submit')).toBe(false);
    expect(hasScope({ scopes: ['read', 'submit'] }, 'submit')).toBe(true);
    expect(hasScope({ scopes: ['runner'] }, 'read')).toBe(false);
  });

  it('canTarget checks every allowed pattern', () => {
    const p = { targets: ['prod/*/web-*', 'test/**'] };
    expect(canTarget(p, { cloud: 'prod', project: 'p1', server: 'web-1' })).toBe(true);
    expect(canTarget(p, { cloud: 'test', project: 'x', server: 'anything' })).toBe(true);
    expect(canTarget(p, { cloud: 'prod', project: 'p1', server: 'db-1' })).toBe(false);
    expect(canTarget(p, { cloud: 'prod', server: 'web-1' })).toBe(true);
    expect(canTarget({ targets: ['prod/p1/*'] }, { cloud: 'prod', server: 'web-1' })).toBe(false);
    expect(canTarget({ targets: [] }, { cloud: 'prod', project: 'p1', server: 'web-1' })).toBe(false);
    expect(describeTarget({ cloud: 'prod', server: 'web-1' })).toBe('prod/?/web-1');
  });
});
