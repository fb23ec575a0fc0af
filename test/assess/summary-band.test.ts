import { describe, expect, it } from 'vitest';
import { BAND_PHRASES, bandDisagreements, claimedBands } from '../../src/assess/summary-band.js';
import { SEVERITIES } from '../../schemas/score.js';

describe('summary wording against the band', () => {
  it.each([
    ['carries moderate inherent agentic risk', ['Medium']],
    ['AIVSS score is 9.2 (Critical), critical risk: a CVSS base of 8.6', ['Critical', 'Critical']],
    ['a High severity draft with high-privilege tokens', ['High']],
    ['low-risk utility; minimal risk overall', ['Low', 'Low']],
    ['it runs high-privilege containers and reads low-level logs', []],
    ['coding agent prior (high) +0.36; breadth (low) +0.1', []],
  ] as const)('reads %j as claiming %j', (text, bands) => {
    expect(claimedBands(text)).toEqual(bands);
  });

  it('agrees with its own phrase for every band, and flags another band', () => {
    for (const severity of SEVERITIES) expect(bandDisagreements(`Score 5.0, ${BAND_PHRASES[severity]}.`, severity)).toEqual([]);
    expect(bandDisagreements('moderate inherent agentic risk (factor sum 3.25 of 10)', 'Critical')).toEqual(['Medium']);
  });
});
