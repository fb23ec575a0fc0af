/** The pure AIVSS scoring core: no I/O, no clock, no randomness. */
export { computeAivss, severityOf, validateFactors, type AivssInput, type FactorValues } from './compute.js';
export { cvssBaseScore, cvssOverallScore, parseCvssVector, type ParsedVector } from './cvss.js';
export { roundHalfEvenDouble } from './float.js';
