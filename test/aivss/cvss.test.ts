import { describe, expect, it } from 'vitest';
import { cvssBaseScore, parseCvssVector } from '../../src/aivss/index.js';
import { InputError } from '../../src/errors.js';

const VALID = 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N';

describe('parseCvssVector', () => {
  it('accepts a base vector and keeps the base part', () => {
    expect(parseCvssVector(VALID).baseVector).toBe(VALID);
  });

  it('accepts optional metrics in order and ignores them for the base score', () => {
    const parsed = parseCvssVector(`${VALID}/E:A/CR:H/MAV:L/S:P/U:Amber`);
    expect(parsed.optional).toEqual({ E: 'A', CR: 'H', MAV: 'L', S: 'P', U: 'Amber' });
    expect(cvssBaseScore(`${VALID}/E:U/CR:L`)).toBe(cvssBaseScore(VALID));
    expect(cvssBaseScore(VALID)).toBe(9.3);
  });

  it.each([
    ['metrics out of order', 'CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', /`cvss\.AV`.*metric AC is out of order/],
    ['a missing metric', 'CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N', /`cvss\.SA`: mandatory metric SA is missing/],
    ['a metric skipped in the middle', 'CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', /`cvss\.AT`.*metric PR is out of order/],
    ['a repeated metric', 'CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', /`cvss\.AC`.*metric AV is repeated/],
    ['a repeated base metric after the base', `${VALID}/AV:N`, /`cvss\.AV`: metric AV is repeated/],
    ['a repeated optional metric', `${VALID}/E:A/E:P`, /`cvss\.E`: metric E is repeated/],
    ['optional metrics out of order', `${VALID}/CR:H/E:A`, /`cvss\.E`: optional metric E is out of order/],
    ['an unknown value', 'CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', /`cvss\.AV`: expected one of N, A, L, P, found "X"/],
    ['an unknown metric', `${VALID}/ZZ:A`, /`cvss\.ZZ`: unknown metric/],
    ['a CVSS:3.1 prefix', 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', /expected the prefix "CVSS:4\.0\/", found "CVSS:3\.1\/"/],
    ['no prefix', 'AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N', /expected the prefix "CVSS:4\.0\/"/],
    ['trailing junk', `${VALID}/junk`, /expected METRIC:VALUE at position 12, found "junk"/],
    ['a trailing slash', `${VALID}/`, /expected METRIC:VALUE at position 12/],
    ['trailing spaces', `${VALID} `, /`cvss`/],
  ])('refuses %s, naming the metric', (_name, vector, message) => {
    expect(() => parseCvssVector(vector)).toThrow(InputError);
    expect(() => parseCvssVector(vector)).toThrow(message);
  });
});
