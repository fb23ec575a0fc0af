import { describe, expect, it } from 'vitest';
import { infoSaysCluster } from '../../src/store/redis-client.js';
import { clusterKeyPrefix, clusterTarget, hasHashTag, parseRedisNodes, redisTargetFrom, urlDatabase } from '../../src/store/redis-target.js';

describe('hash tags', () => {
  it.each([
    ['{threatdraft}:listing:x', true],
    ['threatdraft:{q}:assess', true],
    ['threatdraft:listing:x', false],
    ['{}:x', false],
    ['a{b', false],
  ])('hasHashTag(%j) is %s', (key, expected) => {
    expect(hasHashTag(key)).toBe(expected);
  });

  it.each([
    ['threatdraft:', '{threatdraft}:'],
    ['team-a:q', '{team-a:q}'],
    ['{already}:', '{already}:'],
    ['x:{tag}:', 'x:{tag}:'],
  ])('clusterKeyPrefix(%j) is %j', (prefix, expected) => {
    expect(clusterKeyPrefix(prefix)).toBe(expected);
  });

  it('refuses to tag an empty prefix', () => {
    expect(() => clusterKeyPrefix(':')).toThrow(RangeError);
  });
});

describe('cluster targets', () => {
  it('parses host:port lists, IPv6 in brackets, skipping blanks and duplicates', () => {
    expect(parseRedisNodes(' 10.0.0.5:7000, redis-b:7001,,[::1]:7002,10.0.0.5:7000 ')).toEqual([
      { host: '10.0.0.5', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: '::1', port: 7002 },
    ]);
  });

  it.each(['10.0.0.5', '10.0.0.5:0', 'host:70000', 'redis://h:1'])('refuses %j with the entry named', (text) => {
    expect(() => parseRedisNodes(text)).toThrow(JSON.stringify(text));
  });

  it('seeds a cluster with the URL node first, then the extra nodes', () => {
    expect(clusterTarget('redis://:pw@10.0.0.5:7000', [{ host: '10.0.0.6', port: 7000 }, { host: '10.0.0.5', port: 7000 }])).toEqual({
      kind: 'cluster',
      url: 'redis://:pw@10.0.0.5:7000',
      nodes: [
        { host: '10.0.0.5', port: 7000 },
        { host: '10.0.0.6', port: 7000 },
      ],
    });
  });

  it('takes REDIS_URL alone as a URL to detect, and with REDIS_CLUSTER_NODES as a cluster', () => {
    expect(redisTargetFrom(undefined, [{ host: 'h', port: 1 }])).toBeUndefined();
    expect(redisTargetFrom('redis://h:6379', undefined)).toBe('redis://h:6379');
    expect(redisTargetFrom('redis://h:6379', [])).toBe('redis://h:6379');
    expect(redisTargetFrom('redis://h', [{ host: 'g', port: 7000 }])).toEqual({
      kind: 'cluster',
      url: 'redis://h',
      nodes: [
        { host: 'h', port: 6379 },
        { host: 'g', port: 7000 },
      ],
    });
  });

  it('reads the database number from a URL', () => {
    expect(urlDatabase('redis://h:1/3')).toBe(3);
    expect(urlDatabase('redis://h:1')).toBe(0);
  });

  it('reads cluster_enabled from INFO cluster', () => {
    expect(infoSaysCluster('# Cluster\r\ncluster_enabled:1\r\n')).toBe(true);
    expect(infoSaysCluster('# Cluster\r\ncluster_enabled:0\r\n')).toBe(false);
  });
});
