import { describe, expect, it } from 'vitest';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../../schemas/factors.js';
import type { Calibration, FactorCalibration, Levels } from '../../../src/assess/rules/model.js';
import { designRow, discounted, estimate, valueOf } from '../../../src/assess/rules/model.js';

const FACTOR: FactorCalibration = { base: 0.1, kindSteps: [0.1, 0.1, 0.1, 0.1], upSteps: [0.05, 0.1, 0.15], downSteps: [0.05, 0.05, 0.05], breadth: 0.2 };
const CALIBRATION: Calibration = {
  factors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, FACTOR])) as Record<ListingFactorKey, FactorCalibration>,
  fit: { cases: 0, referenceCases: 0, lambda: 0, inSampleMae: 0, crossValidatedMae: 0, folds: 0 },
};

function levels(overrides: Partial<Levels> = {}): Levels {
  return {
    kind: { id: 'test', label: 'test kind', priors: Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, 2])) as Levels['kind']['priors'] },
    signals: [],
    breadth: 0,
    ceilings: {},
    ...overrides,
  };
}

const signal = (id: string, level: 1 | 2 | 3 | -1 | -2 | -3, strength = 1) => ({ id, label: id, effect: { autonomyOfAction: level }, strength, hedged: strength < 1 });

describe('factor model', () => {
  it('starts at the base plus the kind prior’s steps', () => {
    expect(valueOf(levels(), FACTOR, 'autonomyOfAction')).toBe(0.3);
  });

  it('adds a signal by its level (cumulative steps) and halves a hedged one', () => {
    expect(designRow(levels({ signals: [signal('a', 3)] }), 'autonomyOfAction').slice(4, 7)).toEqual([1, 1, 1]);
    expect(valueOf(levels({ signals: [signal('a', 3)] }), FACTOR, 'autonomyOfAction')).toBe(0.6);
    expect(designRow(levels({ signals: [signal('a', 2, 0.5)] }), 'autonomyOfAction').slice(4, 7)).toEqual([0.5, 0.5, 0]);
  });

  it('counts further signals on the same factor less and less, strongest first', () => {
    const ranked = discounted(levels({ signals: [signal('weak', 1), signal('strong', 3), signal('mid', 2)] }), 'autonomyOfAction');
    expect(ranked.map(({ id, weight }) => [id, weight])).toEqual([
      ['strong', 1],
      ['mid', 0.5],
      ['weak', 0.25],
    ]);
  });

  it('lowers for negative levels and caps at a stated limitation’s ceiling, naming it', () => {
    const lowered = levels({ signals: [signal('approval', -2)] });
    expect(valueOf(lowered, FACTOR, 'autonomyOfAction')).toBe(0.2);
    const capped = levels({ signals: [signal('a', 3)], ceilings: { autonomyOfAction: { value: 0.4, id: 'human-approval' } } });
    const result = estimate(capped, CALIBRATION).autonomyOfAction;
    expect(result.value).toBe(0.4);
    expect(result.ceiling).toEqual({ value: 0.4, id: 'human-approval' });
    expect(result.parts.map((part) => part.id)).toEqual(['kind:test', 'a']);
  });

  it('clamps to [0, 1] on the 0.05 grid', () => {
    const many = levels({ signals: [signal('a', 3), signal('b', 3), signal('c', 3)], breadth: 1 });
    expect(valueOf(many, { ...FACTOR, upSteps: [0.5, 0.5, 0.5] }, 'autonomyOfAction')).toBe(1);
    expect(valueOf(levels({ signals: [signal('a', -3)] }), { ...FACTOR, base: 0, kindSteps: [0, 0, 0, 0] }, 'autonomyOfAction')).toBe(0);
  });
});
