/**
 * A listing read as an analyst reads it (pure): its statements (fields first, then sentences), the
 * kind of thing it describes, the signals its statements fire, and the features the calibration
 * scores. Everything the rules assessor writes is derived from this reading.
 */
import type { Listing } from '../../../schemas/listing.js';
import { KINDS } from './data/kinds.js';
import { SIGNALS } from './data/signals.js';
import type { Kind, Meaning, Signal } from './data/types.js';
import { readKind, type KindReading } from './kind.js';
import { matchSignals, type Firing } from './match.js';
import { levelsOf, type Levels } from './model.js';
import { readStatements, type Statement } from './statements.js';

export interface Reading {
  statements: Statement[];
  kinds: KindReading;
  firings: Firing[];
  levels: Levels;
}

/** Reads a listing with the given tables (the committed ones by default). */
export function readListing(listing: Listing, tables: { signals?: readonly Signal[]; kinds?: readonly Kind[] } = {}): Reading {
  const statements = readStatements(listing);
  const kinds = readKind(statements, listing.title, tables.kinds ?? KINDS);
  const firings = matchSignals(statements, tables.signals ?? SIGNALS);
  return { statements, kinds, firings, levels: levelsOf(kinds, firings) };
}

/**
 * One thing the listing establishes, kind or signal alike, as the layer texts, threats, CVSS and
 * mitigation read it. The primary kind counts fully; a secondary kind adds only notes and threats.
 */
export interface Contribution {
  id: string;
  label: string;
  source: 'kind' | 'signal';
  meaning: Meaning;
  quotes: string[];
  /** 1 stated, 0.5 hypothetical: hedged statements never pin a layer or move the CVSS vector. */
  strength: 1 | 0.5;
  mitigates: boolean;
  poc: boolean;
  /** True for a signal that raises some factor: a capability the summary names. */
  raises: boolean;
}

/** The reading's contributions: the primary kind (when a statement placed it), the secondary kind, then fired signals. */
export function contributionsOf(reading: Reading): Contribution[] {
  const out: Contribution[] = [];
  const { primary, secondary, quote } = reading.kinds;
  if (quote !== null) {
    out.push({ id: `kind:${primary.id}`, label: `is a ${primary.label}`, source: 'kind', meaning: primary, quotes: [quote], strength: 1, mitigates: false, poc: false, raises: false });
  }
  if (secondary !== null) {
    // A secondary kind adds what an analyst expects of it (notes, threats, the exploit path of its
    // form: a skill is still a component others deploy), but pins nothing.
    const meaning: Meaning = { pins: [], tells: {}, notes: secondary.notes, threats: secondary.threats, ...(secondary.cvss === undefined ? {} : { cvss: secondary.cvss }) };
    out.push({ id: `kind:${secondary.id}`, label: `is also a ${secondary.label}`, source: 'kind', meaning, quotes: quote === null ? [] : [quote], strength: 1, mitigates: false, poc: false, raises: false });
  }
  for (const { signal, quotes, strength } of reading.firings) {
    const raises = Object.values(signal.effects).some((level) => level > 0);
    out.push({ id: signal.id, label: signal.label, source: 'signal', meaning: signal, quotes, strength, mitigates: signal.mitigates === true, poc: signal.poc === true, raises });
  }
  return out;
}
