import { describe, expect, it } from 'vitest';
import { loadEnv } from '../src/config.js';
import { ConfigError } from '../src/errors.js';

describe('loadEnv', () => {
  it('applies defaults and treats empty strings as unset', () => {
    const env = loadEnv({ REDIS_URL: '', OPENAI_API_KEY: '', THREATDRAFT_MODEL: '' });
    expect(env).toMatchObject({ REDIS_URL: undefined, OPENAI_API_KEY: undefined, THREATDRAFT_MODEL: 'gpt-4o-mini', LOG_LEVEL: 'warn', THREATDRAFT_MODEL_CONCURRENCY: 4 });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('parses REDIS_CLUSTER_NODES into seed nodes', () => {
    expect(loadEnv({ REDIS_CLUSTER_NODES: '10.0.0.5:7000, 10.0.0.6:7001' }).REDIS_CLUSTER_NODES).toEqual([
      { host: '10.0.0.5', port: 7000 },
      { host: '10.0.0.6', port: 7001 },
    ]);
    expect(loadEnv({ REDIS_CLUSTER_NODES: '' }).REDIS_CLUSTER_NODES).toBeUndefined();
  });

  it('parses a price table from JSON', () => {
    const env = loadEnv({ THREATDRAFT_PRICES: '{"local-llama":{"inputPerMTokUsd":0,"outputPerMTokUsd":0.1}}' });
    expect(env.THREATDRAFT_PRICES).toEqual({ 'local-llama': { inputPerMTokUsd: 0, outputPerMTokUsd: 0.1 } });
  });

  it.each([
    [{ REDIS_URL: 'http://localhost:6379' }, /`REDIS_URL`: expected a redis:\/\/ or rediss:\/\/ URL/],
    [{ THREATDRAFT_MODEL_CONCURRENCY: 'many' }, /`THREATDRAFT_MODEL_CONCURRENCY`/],
    [{ THREATDRAFT_PRICES: '{not json' }, /`THREATDRAFT_PRICES`/],
    [{ THREATDRAFT_PRICES: '{"m":{"inputPerMTokUsd":"cheap","outputPerMTokUsd":1}}' }, /`THREATDRAFT_PRICES\.m\.inputPerMTokUsd`/],
    [{ LOG_LEVEL: 'loud' }, /`LOG_LEVEL`/],
    [{ REDIS_CLUSTER_NODES: '10.0.0.5:7000,10.0.0.6' }, /`REDIS_CLUSTER_NODES`: Expected host:port \(for example 10\.0\.0\.5:7000\), got "10\.0\.0\.6"/],
  ])('refuses %o, naming the variable', (env, message) => {
    expect(() => loadEnv(env)).toThrow(ConfigError);
    expect(() => loadEnv(env)).toThrow(message);
  });
});

describe('THREATDRAFT_TWO_PERSON', () => {
  it.each([
    [undefined, false],
    ['', false],
    ['1', true],
    ['ON', true],
    ['yes', true],
    ['0', false],
    ['off', false],
  ])('reads %j as %s', (value, expected) => {
    expect(loadEnv(value === undefined ? {} : { THREATDRAFT_TWO_PERSON: value }).THREATDRAFT_TWO_PERSON).toBe(expected);
  });

  it('refuses a value it cannot read instead of silently leaving the rule off', () => {
    expect(() => loadEnv({ THREATDRAFT_TWO_PERSON: 'enabled' })).toThrow(/`THREATDRAFT_TWO_PERSON`: expected 1, true, yes or on/);
  });
});
