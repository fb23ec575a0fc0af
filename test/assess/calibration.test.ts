import { describe, expect, it } from 'vitest';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import { calibrate, formatReport, loadReferenceCases } from '../../evals/reference-dev/calibration.js';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { SIGNALS } from '../../src/assess/rules/signals.js';

describe('rules assessor calibration on evals/reference-dev', () => {
  const cases = loadReferenceCases();
  const report = calibrate(cases, (listing) => assessWithRules(listing));

  it('covers the 35 reference cases', () => {
    expect(report.cases).toBe(35);
    console.log(formatReport(report));
  });

  it.each(LISTING_FACTOR_KEYS)('keeps the mean absolute error of %s at most 0.12', (key) => {
    expect(report.factorMae[key]).toBeLessThanOrEqual(0.12);
  });

  it('keeps the overall mean absolute error at most 0.12', () => {
    expect(report.overallMae).toBeLessThanOrEqual(0.12);
  });

  it('agrees with the reference on which visible layers are uncertain at least 80% of the time', () => {
    expect(report.layerAgreement).toBeGreaterThanOrEqual(0.8);
  });
});

describe('signal table generality', () => {
  it('names none of the reference listings in any pattern', () => {
    const sources = SIGNALS.flatMap((signal) => signal.patterns.map((pattern) => pattern.source.toLowerCase().replace(/\\b/g, '')));
    for (const item of loadReferenceCases()) {
      const name = item.name.toLowerCase();
      const names = [item.slug, name, name.replace(/\s*\(.*\)$/, '')].filter((value) => value.length >= 3);
      for (const name of names) for (const source of sources) expect(source, `${item.slug} in /${source}/`).not.toContain(name);
    }
  });
});
