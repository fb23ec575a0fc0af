/**
 * Every entry of the rules assessor's data tables with its own examples, run as tests (as ESLint's
 * RuleTester runs each rule's valid and invalid cases): a change to one entry shows at once what it
 * matches and what it must not.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LAYER_NUMBERS } from '../../../schemas/factors.js';
import { modifierAt, sentenceContext } from '../../../src/assess/rules/context.js';
import { CONTEXT_TRIGGERS } from '../../../src/assess/rules/data/context.js';
import { FIELD_LABELS } from '../../../src/assess/rules/data/fields.js';
import { KINDS } from '../../../src/assess/rules/data/kinds.js';
import { ASPECTS } from '../../../src/assess/rules/data/layers.js';
import { APP_NAMES, MODEL_NAMES, SIGNALS } from '../../../src/assess/rules/data/signals.js';
import { DEFAULT_THREATS, THREATS } from '../../../src/assess/rules/data/threats.js';
import { readKind } from '../../../src/assess/rules/kind.js';
import { matchSignals } from '../../../src/assess/rules/match.js';
import { fieldKindOf, readStatements } from '../../../src/assess/rules/statements.js';
import { listingFromJson } from '../../../src/crawl/documents/index.js';
import { extractListing } from '../../../src/crawl/extract.js';
import { LISTING_FILES, type ListingFile } from '../../../evals/runner/case-schema.js';
import type { Listing } from '../../../schemas/listing.js';
import { createListing } from '../../factories/listing.js';
import { patternVariants } from '../pattern-variants.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** A listing whose text is the example, as one line (labelled lines become fields, as in real listings). */
function listingOf(text: string) {
  return createListing({ title: 'Probe', summary: '', text, fields: { capabilities: [], metadata: {}, repositories: [], category: null } });
}

function fires(signalId: string, text: string): boolean {
  const signal = SIGNALS.find((entry) => entry.id === signalId)!;
  return matchSignals(readStatements(listingOf(text)), [signal]).some((firing) => firing.strength === 1);
}

describe('signal table', () => {
  it('has unique ids, examples for every entry, and effects only on the ten factors', () => {
    const ids = SIGNALS.map((signal) => signal.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const signal of SIGNALS) {
      const fieldDriven = (signal.statedFields?.length ?? 0) + (signal.absentFields?.length ?? 0) > 0;
      expect(signal.examples.match.length, `${signal.id} needs sentences it must match`).toBeGreaterThan(0);
      expect(signal.examples.noMatch.length, `${signal.id} needs sentences it must not match`).toBeGreaterThan(0);
      expect(signal.patterns.length > 0 || fieldDriven, `${signal.id} reads nothing`).toBe(true);
    }
  });

  for (const signal of SIGNALS) {
    describe(signal.id, () => {
      it.each(signal.examples.match)('fires on %j', (text) => {
        expect(fires(signal.id, text)).toBe(true);
      });
      it.each(signal.examples.noMatch)('does not fire on %j', (text) => {
        expect(fires(signal.id, text)).toBe(false);
      });
    });
  }

  it('names only threats the threat table holds, on layers the threat belongs to', () => {
    const byId = new Map(THREATS.map((threat) => [threat.id, threat]));
    for (const entry of [...SIGNALS, ...KINDS]) {
      for (const [layer, ids] of Object.entries(entry.threats)) {
        for (const id of ids ?? []) {
          expect(byId.has(id), `${entry.id} names unknown threat ${id}`).toBe(true);
          expect(byId.get(id)!.layers, `${entry.id}: ${id} on layer ${layer}`).toContain(Number(layer));
        }
      }
    }
    for (const layer of LAYER_NUMBERS) for (const id of DEFAULT_THREATS[layer]) expect(byId.get(id)?.layers).toContain(layer);
  });

  it('uses every threat of the table, and suppresses threats only by signals that exist', () => {
    const used = new Set([...SIGNALS, ...KINDS].flatMap((entry) => Object.values(entry.threats).flatMap((ids) => [...(ids ?? [])])));
    for (const ids of Object.values(DEFAULT_THREATS)) for (const id of ids) used.add(id);
    const signalIds = new Set(SIGNALS.map((signal) => signal.id));
    for (const threat of THREATS) {
      expect(used.has(threat.id), `threat ${threat.id} is never named`).toBe(true);
      for (const id of threat.suppressedBy ?? []) expect(signalIds.has(id), `${threat.id} suppressed by unknown ${id}`).toBe(true);
    }
  });

  it('speaks only to aspects a layer has', () => {
    for (const entry of [...SIGNALS, ...KINDS]) {
      for (const [layer, aspects] of Object.entries(entry.tells)) {
        const known = Object.keys(ASPECTS[Number(layer) as keyof typeof ASPECTS]);
        for (const aspect of aspects ?? []) expect(known, `${entry.id}: L${layer} ${aspect}`).toContain(aspect);
      }
    }
  });

  it('gives ceilings only to limitations (signals that lower or only bound a factor)', () => {
    for (const signal of SIGNALS) {
      for (const [key, ceiling] of Object.entries(signal.ceilings ?? {})) {
        expect(ceiling).toBeGreaterThanOrEqual(0);
        expect(ceiling).toBeLessThanOrEqual(1);
        expect((signal.effects as Record<string, number>)[key] ?? -1, `${signal.id} raises ${key} it caps`).toBeLessThan(1);
      }
    }
  });
});

describe('kind table', () => {
  const kindOf = (category: string) =>
    readKind(readStatements(listingOf(`Category: ${category}`)), 'Probe').primary.id;

  for (const kind of KINDS) {
    describe(kind.id, () => {
      it.each(kind.examples.match)('reads %j as this kind', (text) => {
        const statements = readStatements(listingOf(`Category: ${text}`));
        const reading = readKind(statements, 'Probe');
        expect([reading.primary.id, reading.secondary?.id]).toContain(kind.id);
      });
      it.each(kind.examples.noMatch)('does not read %j as this kind', (text) => {
        expect(kindOf(text)).not.toBe(kind.id);
      });
    });
  }

  it('puts what a thing does before the form it takes', () => {
    expect(kindOf('Claude Code plugin (infra)')).toBe('ops-agent');
    expect(kindOf('coding agent skill (debugging)')).toBe('coding-agent');
    expect(kindOf('design skill')).toBe('agent-skill');
  });

  it('reads the lead sentence when there is no category, past the listing’s own name', () => {
    const listing = createListing({
      title: 'Kestrel',
      summary: '',
      text: 'Kestrel: open-weights 8B chat model for text generation.\nIt answers questions.',
      fields: { capabilities: [], metadata: {}, repositories: [], category: null },
    });
    const reading = readKind(readStatements(listing), listing.title);
    expect(reading.primary.id).toBe('foundation-model');
    expect(reading.quote).toBe('Kestrel: open-weights 8B chat model for text generation.');
  });

  it('has unique ids and a prior level for every factor', () => {
    const ids = KINDS.map((kind) => kind.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const kind of KINDS) expect(Object.keys(kind.priors)).toHaveLength(10);
  });
});

describe('context triggers', () => {
  for (const trigger of CONTEXT_TRIGGERS) {
    describe(trigger.id, () => {
      it.each(trigger.examples.match)('matches %j', (text) => {
        expect(trigger.pattern.test(text)).toBe(true);
      });
      it.each(trigger.examples.noMatch)('does not match %j', (text) => {
        expect(trigger.pattern.test(text)).toBe(false);
      });
    });
  }

  it('has unique ids', () => {
    const ids = CONTEXT_TRIGGERS.map((trigger) => trigger.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('keeps every trigger kind in use', () => {
    expect(new Set(CONTEXT_TRIGGERS.map((trigger) => trigger.kind))).toEqual(new Set(['negation', 'hypothetical', 'other-party', 'pseudo', 'terminator']));
    expect(modifierAt(sentenceContext('It does not store data'), 'It does not '.length, 'It does not store'.length)).toBe('negated');
  });
});

describe('field labels', () => {
  for (const entry of FIELD_LABELS) {
    describe(entry.kind, () => {
      it.each(entry.examples.match)('reads the label %j as this field', (label) => {
        expect(fieldKindOf(label)).toBe(entry.kind);
      });
      it.each(entry.examples.noMatch)('does not read the label %j as this field', (label) => {
        expect(fieldKindOf(label)).not.toBe(entry.kind);
      });
    });
  }
});

/** Every listing the project holds: the eval cases (reference and hand-written, pages and structured documents) and the demo directory. */
function corpus(): { id: string; reference: boolean; texts: string[] }[] {
  const options = { url: 'https://directory.example/x', sourceId: 'test', fetchedAt: '2026-01-01T00:00:00.000Z' };
  const texts = (listing: Listing) => readStatements(listing).map((statement) => statement.text);
  const load = (file: string) => texts(extractListing(readFileSync(file, 'utf8'), options));
  const loadCase = (dir: string) => {
    const file = (Object.keys(LISTING_FILES) as ListingFile[]).find((name) => existsSync(join(dir, name)))!;
    const kind = LISTING_FILES[file];
    return kind === 'html' ? load(join(dir, file)) : texts(listingFromJson(kind, JSON.parse(readFileSync(join(dir, file), 'utf8')), options));
  };
  const cases = join(ROOT, 'evals', 'cases');
  const demo = join(ROOT, 'examples', 'demo-directory', 'agents');
  return [
    ...readdirSync(cases).map((id) => ({ id, reference: id.startsWith('ref-'), texts: loadCase(join(cases, id)) })),
    ...readdirSync(demo).map((file) => ({ id: `demo/${file}`, reference: false, texts: load(join(demo, file)) })),
  ];
}

/**
 * The variants the generality guard checks. Alternations of knowledge lists (model families, business
 * applications) are kept whole: a list of names is knowledge about the world, not a phrase of one listing.
 */
function guardedVariants(source: string): string[] {
  const lists = [MODEL_NAMES, APP_NAMES].map((list, index) => ({ group: `(?:${list})`, token: String.fromCharCode(0xe000 + index) }));
  let masked = source;
  for (const { group, token } of lists) masked = masked.split(group).join(token);
  return patternVariants(masked).map((variant) => lists.reduce((text, { group, token }) => text.split(token).join(group), variant));
}

describe('table generality', () => {
  it('has no signal or kind pattern that matches exactly one reference listing and nothing else', () => {
    const listings = corpus();
    expect(listings.filter((listing) => listing.reference)).toHaveLength(35);
    const special: string[] = [];
    const entries = [
      ...SIGNALS.map((signal) => ({ id: signal.id, patterns: signal.patterns })),
      ...KINDS.map((kind) => ({ id: kind.id, patterns: kind.cues })),
    ];
    for (const { id, patterns } of entries) {
      for (const pattern of patterns) {
        for (const variant of guardedVariants(pattern.source)) {
          const narrow = new RegExp(variant, pattern.flags);
          const hits = listings.filter((listing) => listing.texts.some((text) => narrow.test(text)));
          if (hits.length === 1 && hits[0]!.reference) special.push(`${id}: /${variant}/ matches only ${hits[0]!.id}`);
        }
      }
    }
    // A rule that fires on one reference listing and no other listing is a memorised phrase, not a
    // principle: generalise it, drop it, or add a hand-written case it legitimately covers.
    expect(special).toEqual([]);
  });

  it('names none of the reference listings in any pattern', () => {
    const reference = readFileSync(join(ROOT, 'evals', 'reference-dev', 'reference.jsonl'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as { slug: string; name: string });
    const sources = [...SIGNALS.flatMap((signal) => signal.patterns), ...KINDS.flatMap((kind) => kind.cues)].map((pattern) =>
      pattern.source.toLowerCase().replace(/\\b/g, ''),
    );
    for (const item of reference) {
      const name = item.name.toLowerCase();
      const names = [item.slug, name, name.replace(/\s*\(.*\)$/, '')].filter((value) => value.length >= 3);
      for (const each of names) for (const source of sources) expect(source, `${item.slug} in /${source}/`).not.toContain(each);
    }
  });
});
