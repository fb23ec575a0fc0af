import { describe, expect, it } from 'vitest';
import { backoffDelayMs, parseRetryAfterMs } from '../../src/crawl/retry.js';

describe('parseRetryAfterMs', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Wed, 01 Jan 2025 00:00:30 GMT', 30_000],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
    ['soon', undefined],
    ['1.5', undefined],
    ['-3', undefined],
    [undefined, undefined],
  ])('%j gives %j ms', (value, expected) => {
    expect(parseRetryAfterMs(value, now)).toBe(expected);
  });
});

describe('backoffDelayMs', () => {
  const options = { baseDelayMs: 100, maxDelayMs: 1000 };
  it('doubles per attempt within [half, full] of the exponential', () => {
    expect([1, 2, 3].map((attempt) => backoffDelayMs(attempt, options, () => 0))).toEqual([50, 100, 200]);
    expect([1, 2, 3].map((attempt) => backoffDelayMs(attempt, options, () => 0.999999))).toEqual([100, 200, 400]);
  });

  it('caps the delay', () => {
    expect(backoffDelayMs(20, options, () => 0.999999)).toBe(1000);
  });
});
