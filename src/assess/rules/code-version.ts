/**
 * The code half of RULES_VERSION. The data tables (signals, kinds, calibration, context triggers,
 * field labels, layer aspects, threats) are
 * hashed at run time; the code that turns them into a scored draft cannot be, without reading source
 * files in a pure module. So the source of that code carries a committed fingerprint instead:
 * test/assess/rules-version.test.ts recomputes it (comments and formatting ignored) and fails,
 * printing the new value, until RULES_CODE_FINGERPRINT is updated. Updating it changes
 * RULES_VERSION, which re-keys the pipeline's incremental reruns, the model-response cache (the
 * rules values are the model's hints) and the eval result cache.
 */

/** The files whose code decides what the rules assessor, its checks and its score produce. */
export const RULES_CODE_FILES: readonly string[] = [
  'schemas/factors.ts',
  'schemas/score.ts',
  'src/aivss/compute.ts',
  'src/aivss/cvss.ts',
  'src/aivss/decimal.ts',
  'src/aivss/float.ts',
  'src/aivss/index.ts',
  'src/assess/assess.ts',
  'src/assess/checks.ts',
  'src/assess/summary-band.ts',
  'src/assess/text-paths.ts',
  'src/assess/uncertainty.ts',
  'schemas/catalogue/index.ts',
  'src/assess/rules/assess.ts',
  'src/assess/rules/context.ts',
  'src/assess/rules/cvss.ts',
  'src/assess/rules/kind.ts',
  'src/assess/rules/match.ts',
  'src/assess/rules/model.ts',
  'src/assess/rules/prose.ts',
  'src/assess/rules/read.ts',
  'src/assess/rules/regex.ts',
  'src/assess/rules/statements.ts',
];

/**
 * Libraries whose results the fingerprinted code passes on (the CVSS v4.0 base score): their
 * installed versions, from package-lock.json, are part of the fingerprint, so an upgrade that could
 * move a score changes RULES_VERSION too.
 */
export const RULES_CODE_LIBRARIES: readonly string[] = ['ae-cvss-calculator'];

/** sha256 of RULES_CODE_FILES without comments and of RULES_CODE_LIBRARIES' locked versions (see test/assess/rules-version.test.ts). */
export const RULES_CODE_FINGERPRINT = '7967d228ca29fbfd10059b340dc97f5e20cfcf27592e34b42e60cd8dc45f9ddc';
