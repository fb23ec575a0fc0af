import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES, createRulesAssessor, RULES_VERSION, rulesVersion, type RulesTable } from '../../src/assess/rules/assess.js';
import { RULES_CODE_FILES, RULES_CODE_FINGERPRINT, RULES_CODE_LIBRARIES } from '../../src/assess/rules/code-version.js';
import { CALIBRATION } from '../../src/assess/rules/data/calibration.js';
import { KINDS } from '../../src/assess/rules/data/kinds.js';
import { SIGNALS } from '../../src/assess/rules/data/signals.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** The code of a file as the compiler prints it without comments: edits to comments or layout do not count. */
function codeOf(source: string, file: string): string {
  const parsed = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed }).printFile(parsed);
}

/** The version package-lock.json installs for a library (what `npm ci` puts in node_modules). */
function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

function fingerprint(read: (file: string) => string, libraryVersion: (name: string) => string = lockedVersion): string {
  const hash = createHash('sha256');
  for (const file of [...RULES_CODE_FILES].sort()) hash.update(file).update('\0').update(codeOf(read(file), file)).update('\0');
  for (const name of [...RULES_CODE_LIBRARIES].sort()) hash.update(`${name}@${libraryVersion(name)}`).update('\0');
  return hash.digest('hex');
}

const readSource = (file: string): string => readFileSync(join(ROOT, file), 'utf8');

/** Modules hashed at run time by rulesVersion (data), or the fingerprint itself. */
const HASHED = [
  'src/assess/rules/data/signals.ts',
  'src/assess/rules/data/kinds.ts',
  'src/assess/rules/data/calibration.ts',
  'src/assess/rules/data/context.ts',
  'src/assess/rules/data/fields.ts',
  'src/assess/rules/data/layers.ts',
  'src/assess/rules/data/threats.ts',
  'src/assess/rules/code-version.ts',
  // The threat catalogue: THREATS and CATALOGUE (taxonomies, mitigations, chain rules) are hashed.
  'schemas/catalogue/threats.ts',
  'schemas/catalogue/mitigations.ts',
  'schemas/catalogue/taxonomies.ts',
  'schemas/catalogue/chains.ts',
];
/** Modules the fingerprinted code uses that do not shape an assessment, a check or a score. */
const EXEMPT: Record<string, string> = {
  'src/errors.ts': 'error classes',
  'src/version.ts': 'the package version, recorded in provenance as threatdraftVersion',
  'schemas/assessment.ts': 'validation of the output, not its values',
};

/** Libraries the fingerprinted code imports that do not shape an assessment, a check or a score. */
const EXEMPT_LIBRARIES: Record<string, string> = {
  zod: 'validation, not values',
};

/** Package names a file imports for values (node: built-ins left out). */
function bareImports(file: string): string[] {
  const parsed = ts.createSourceFile(file, readSource(file), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const statement of parsed.statements) {
    if (!ts.isImportDeclaration(statement) || statement.importClause?.isTypeOnly === true) continue;
    const specifier = statement.moduleSpecifier;
    if (!ts.isStringLiteral(specifier) || specifier.text.startsWith('.') || specifier.text.startsWith('node:')) continue;
    out.push(specifier.text.startsWith('@') ? specifier.text.split('/').slice(0, 2).join('/') : (specifier.text.split('/')[0] ?? specifier.text));
  }
  return out;
}

/** The version actually installed in node_modules. */
function installedVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Relative modules a file imports for their values (type-only imports left out). */
function valueImports(file: string): string[] {
  const parsed = ts.createSourceFile(file, readSource(file), ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out: string[] = [];
  for (const statement of parsed.statements) {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(statement)) {
      const clause = statement.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.every((element) => element.isTypeOnly)));
      if (!typeOnly) specifier = statement.moduleSpecifier;
    } else if (ts.isExportDeclaration(statement) && !statement.isTypeOnly) specifier = statement.moduleSpecifier;
    if (specifier !== undefined && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) {
      out.push(normalize(join(dirname(file), specifier.text.replace(/\.js$/, '.ts'))).replace(/\\/g, '/'));
    }
  }
  return out;
}

describe('RULES_VERSION', () => {
  it('matches the committed fingerprint of the rules, checks and scoring code', () => {
    const actual = fingerprint(readSource);
    expect(
      actual,
      `The code behind the rules assessor changed (${RULES_CODE_FILES.join(', ')}). Its output may differ, so its version must change: ` +
        `set RULES_CODE_FINGERPRINT in src/assess/rules/code-version.ts to '${actual}' ` +
        '(this re-keys incremental reruns and the eval cache), then rerun the rules eval and update its baseline if the figures moved.',
    ).toBe(RULES_CODE_FINGERPRINT);
  });

  it('fingerprints every module the rules, checks and scoring code depends on for values', () => {
    const uncovered = RULES_CODE_FILES.flatMap((file) => valueImports(file).map((imported) => ({ file, imported }))).filter(
      ({ imported }) => !RULES_CODE_FILES.includes(imported) && !HASHED.includes(imported) && !(imported in EXEMPT),
    );
    expect(uncovered, 'add these modules to RULES_CODE_FILES in src/assess/rules/code-version.ts (or hash them as data)').toEqual([]);
  });

  it('fingerprints the locked version of every library the scoring code relies on for values', () => {
    const base = fingerprint(readSource);
    expect(fingerprint(readSource, (name) => (name === 'ae-cvss-calculator' ? '1.0.14' : lockedVersion(name)))).not.toBe(base);
    // Bare imports of the fingerprinted code are either fingerprinted libraries or listed as not shaping values.
    const bare = RULES_CODE_FILES.flatMap((file) => bareImports(file));
    expect(bare.filter((name) => !RULES_CODE_LIBRARIES.includes(name) && !(name in EXEMPT_LIBRARIES))).toEqual([]);
    expect(installedVersion('ae-cvss-calculator')).toBe(lockedVersion('ae-cvss-calculator'));
  });

  it('fingerprints code but not comments or layout', () => {
    const file = 'src/assess/rules/cvss.ts';
    const original = readSource(file);
    const read = (edit: (source: string) => string) => (name: string) => (name === file ? edit(original) : readSource(name));
    const base = fingerprint(readSource);
    expect(fingerprint(read((source) => `// a new comment\n${source.replace(/\n/g, '\n\n')}`))).toBe(base);
    expect(fingerprint(read((source) => source.replace("VC: 'L', VI: 'L'", "VC: 'H', VI: 'L'")))).not.toBe(base);
    expect(fingerprint(read((source) => source.replace('AC:L', 'AC:H')))).not.toBe(base);
  });

  it('is the version of the committed rule set, and the default assessor reports it', () => {
    expect(RULES_VERSION).toBe(rulesVersion(DEFAULT_RULES));
    expect(createRulesAssessor().version).toBe(RULES_VERSION);
    expect(createRulesAssessor({ ...DEFAULT_RULES }).version).toBe(RULES_VERSION);
    expect(RULES_VERSION).toMatch(/^rules-3\.[0-9a-f]{12}$/);
  });

  const variants: [string, Partial<RulesTable>][] = [
    ['a signal effect', { signals: SIGNALS.map((signal, index) => (index === 0 ? { ...signal, effects: { ...signal.effects, nonDeterminism: 3 as const } } : signal)) }],
    ['a signal pattern', { signals: SIGNALS.map((signal, index) => (index === 0 ? { ...signal, patterns: [/\bLLM\b/i] } : signal)) }],
    ['a signal ceiling', { signals: SIGNALS.map((signal, index) => (index === 0 ? { ...signal, ceilings: { autonomyOfAction: 0.5 } } : signal)) }],
    ['a kind prior', { kinds: KINDS.map((kind, index) => (index === 0 ? { ...kind, priors: { ...kind.priors, autonomyOfAction: 4 as const } } : kind)) }],
    ['a kind cue', { kinds: KINDS.map((kind, index) => (index === 0 ? { ...kind, cues: [/\bvision\b/i] } : kind)) }],
    [
      'a calibrated level value',
      { calibration: { ...CALIBRATION, factors: { ...CALIBRATION.factors, autonomyOfAction: { ...CALIBRATION.factors.autonomyOfAction, base: 0.2 } } } },
    ],
  ];

  it.each(variants)('changes with %s, and a custom-table assessor reports its own', (_name, overrides) => {
    const assessor = createRulesAssessor(overrides);
    expect(assessor.version).not.toBe(RULES_VERSION);
    expect(assessor.version).toBe(rulesVersion({ ...DEFAULT_RULES, ...overrides }));
    // The same custom table gives the same version (it is a content hash, not a counter).
    expect(createRulesAssessor(structuredClone(overrides)).version).toBe(assessor.version);
  });
});
