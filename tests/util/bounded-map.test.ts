import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../../src/util/bounded-map.js';

describe('a bounded map', () => {
  it('forgets the least recently used entries once their weight passes the capacity', () => {
    const map = new BoundedMap<string, string>(10, (value) => value.length);
    map.set('a', 'xxxx');
    map.set('b', 'xxxx');
    expect(map.get('a')).toBe('xxxx'); // a is now the most recently used
    map.set('c', 'xxxx'); // 12 > 10: b goes, the least recently used
    expect(map.get('b')).toBeUndefined();
    expect([map.get('a'), map.get('c')]).toEqual(['xxxx', 'xxxx']);
    expect(map.weight).toBe(8);
  });

  it('weighs a replaced entry once, and keeps a newest entry heavier than the whole capacity alone', () => {
    const map = new BoundedMap<string, string>(10, (value) => value.length);
    map.set('a', 'xxxx');
    map.set('a', 'xxxxxx');
    expect(map.weight).toBe(6);
    map.set('huge', 'x'.repeat(50));
    expect(map.size).toBe(1);
    expect(map.get('huge')).toHaveLength(50);
    map.delete('huge');
    expect(map.weight).toBe(0);
  });

  it('counts entries when nothing says what they weigh', () => {
    const map = new BoundedMap<number, number>(3);
    for (let i = 0; i < 5; i++) map.set(i, i);
    expect(map.size).toBe(3);
    expect(map.get(0)).toBeUndefined();
    expect(map.get(4)).toBe(4);
  });
});
