import { describe, expect, it } from 'vitest';
import { redisUrlProblem } from '../../shared/validation.js';
import { parseRedisUrl } from '../cli/worker-command.js';
import { maskRedisUrl, maskRedisUrlIn } from '../../shared/redis-url.js';

describe('maskRedisUrl', () => {
  it('replaces the password, in the user info or the query, and nothing else', () => {
    expect(maskRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(maskRedisUrl('redis://:pw@h:6379/0')).toBe('redis://:***@h:6379/0');
    expect(maskRedisUrl('rediss://ops:p%40ss@h')).toBe('rediss://ops:***@h');
    expect(maskRedisUrl('rediss://ops@h:1')).toBe('rediss://ops@h:1');
    expect(maskRedisUrl('redis://h?password=x&db=1')).toBe('redis://h?password=***&db=1');
    expect(maskRedisUrl('not a url')).toBe('***');
  });

  it('masks the URL and its password inside a message', () => {
    const url = 'redis://:hunter22@10.0.0.1:6379';
    expect(maskRedisUrlIn(`cannot reach Redis at ${url}: WRONGPASS hunter22`, url)).toBe(
      'cannot reach Redis at redis://:***@10.0.0.1:6379: WRONGPASS ***',
    );
  });
});

describe('redisUrlProblem', () => {
  const samples = [
    'redis://127.0.0.1:6379',
    'rediss://ops:secret@redis.example.com:6380/2',
    'redis://[::1]:6379',
    'redis://',
    'redis://h:99999',
    'redis://bad host',
    'http://127.0.0.1:6379',
    'REDIS://h:1',
    '127.0.0.1:6379',
    '',
  ];

  it('accepts exactly what `worker --redis` accepts', () => {
    for (const value of samples) {
      let worker: boolean;
      try {
        parseRedisUrl(value);
        worker = true;
      } catch {
        worker = false;
      }
      expect(redisUrlProblem(value) === null, value).toBe(worker);
    }
  });

  it('says what it expected', () => {
    expect(redisUrlProblem('http://h:1')).toMatch(/^expected redis:\/\/host:port or rediss:\/\/host:port/);
    expect(redisUrlProblem(`redis://${'a'.repeat(3_000)}`)).toMatch(/at most 2048 characters/);
  });
});
