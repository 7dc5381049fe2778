import { describe, expect, it } from 'vitest';
import { escapeNovaNameRegex, exactNameFilter } from '../../../shared/openstack/nova-name';

describe('nova name filter escaping', () => {
  const names = ['web', 'web.prod', 'a+b', 'x(1)', '[db]', 'c:\\path', 'q?', 'a|b', '^start$', 'dollar$sign', 'brace{2}', 'star*'];

  it('matches only the exact name, whatever regex characters it holds', () => {
    const others = ['web-2', 'webXprod', 'aab', 'x1', 'd', 'c:path', 'q', 'a', 'start', 'dollarsign', 'bracee', 'starrr'];
    for (const name of names) {
      const re = new RegExp(exactNameFilter(name));
      expect(re.test(name)).toBe(true);
      for (const other of [...others, `${name}x`, `x${name}`]) expect(re.test(other)).toBe(false);
    }
  });

  it('escapes each special once and leaves ordinary characters alone', () => {
    expect(escapeNovaNameRegex('snapflow-contract-ab12')).toBe('snapflow-contract-ab12');
    expect(escapeNovaNameRegex('a.b*c')).toBe('a\\.b\\*c');
    expect(exactNameFilter('web.1')).toBe('^web\\.1$');
  });
});
