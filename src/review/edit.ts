/**
 * Reviewer edits, pure: the patch schema, applying a patch to an assessment, and rescoring with
 * the one AIVSS module. Every failure is an InputError that names the field (`factors.x.value`).
 */
import { z } from 'zod';
import { assessmentSchema, exploitMaturitySchema, mitigationSchema, type Assessment } from '../../schemas/assessment.js';
import { catalogueIdFor, namedThreat, THREAT_BY_ID, type NamedThreat } from '../../schemas/catalogue/index.js';
import type { Draft } from '../../schemas/draft.js';
import { LISTING_FACTOR_KEYS } from '../../schemas/factors.js';
import type { Score } from '../../schemas/score.js';
import { scoreWithRange } from '../assess/uncertainty.js';
import { InputError, ThreatdraftError } from '../errors.js';

const factorPatch = z.object({ value: z.number().optional(), rationale: z.string().optional() }).strict();
const factorsPatch = z
  .object(Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, factorPatch.optional()])) as Record<string, z.ZodOptional<typeof factorPatch>>)
  .strict();

const layerPatch = z
  .object({
    layer: z.number().int().min(1).max(7),
    certain: z.boolean().optional(),
    text: z.string().optional(),
    /** Catalogue threat ids (or names), each on a layer it belongs to. */
    threats: z.array(z.string()).optional(),
    /** Threats the catalogue does not hold, in words. */
    otherThreats: z.array(z.string()).optional(),
  })
  .strict();

/** What a reviewer may change; every part optional, unknown keys refused. */
export const editPatchSchema = z
  .object({
    summary: z.string().optional(),
    factors: factorsPatch.optional(),
    cvss: z.object({ vector: z.string().optional(), rationale: z.string().optional() }).strict().optional(),
    exploitMaturity: z.object({ value: exploitMaturitySchema.optional(), rationale: z.string().optional() }).strict().optional(),
    mitigation: z.object({ value: mitigationSchema.optional(), rationale: z.string().optional() }).strict().optional(),
    layers: z.array(layerPatch).max(7).optional(),
  })
  .strict();
export type EditPatch = z.infer<typeof editPatchSchema>;

/** The PATCH body: the patch plus the version it was made against, and an optional comment. */
export const editRequestSchema = editPatchSchema.extend({
  version: z.number().int().min(1),
  comment: z.string().max(2000).optional(),
});
export type EditRequest = z.infer<typeof editRequestSchema>;

/** An input error that carries the failing field's dotted path. */
export function fieldError(field: string, message: string): InputError {
  return new InputError('E_INPUT', `Invalid \`${field}\`: ${message}`, { field });
}

/** Parses with `schema`, or throws an InputError naming the first failing field. */
export function parseOrFieldError<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const path = issue === undefined ? '' : issue.path.map(String).join('.');
  const field = [prefix, path].filter((part) => part !== '').join('.') || '(body)';
  throw fieldError(field, issue?.message ?? 'invalid');
}

/** Applies a patch and returns the new assessment, validated against the assessment schema. */
export function applyPatch(assessment: Assessment, patch: EditPatch): Assessment {
  const next: Assessment = structuredClone(assessment);
  if (patch.summary !== undefined) next.summary = patch.summary.trim();
  for (const key of LISTING_FACTOR_KEYS) {
    const change = patch.factors?.[key];
    if (change === undefined) continue;
    if (change.value !== undefined) next.factors[key].value = change.value;
    if (change.rationale !== undefined) next.factors[key].rationale = change.rationale.trim();
  }
  if (patch.cvss?.vector !== undefined) next.cvss.vector = patch.cvss.vector.trim();
  if (patch.cvss?.rationale !== undefined) next.cvss.rationale = patch.cvss.rationale.trim();
  if (patch.exploitMaturity?.value !== undefined) next.exploitMaturity.value = patch.exploitMaturity.value;
  if (patch.exploitMaturity?.rationale !== undefined) next.exploitMaturity.rationale = patch.exploitMaturity.rationale.trim();
  if (patch.mitigation?.value !== undefined) next.mitigation.value = patch.mitigation.value;
  if (patch.mitigation?.rationale !== undefined) next.mitigation.rationale = patch.mitigation.rationale.trim();
  for (const change of patch.layers ?? []) {
    const layer = next.layers[change.layer - 1];
    if (layer === undefined) continue;
    if (change.certain !== undefined) layer.certain = change.certain;
    if (change.text !== undefined) layer.text = change.text.trim();
    if (change.threats !== undefined) layer.threats = catalogueThreats(change.layer, change.threats);
    if (change.otherThreats !== undefined) layer.otherThreats = change.otherThreats.map((threat) => threat.trim()).filter((threat) => threat !== '');
  }
  return parseOrFieldError(assessmentSchema, next);
}

/**
 * The catalogue threats a reviewer named for a layer (ids or names, once each), mapping what was
 * free text; a name the catalogue lacks, or a threat of another layer, is an error naming the field.
 */
function catalogueThreats(layer: number, names: readonly string[]): NamedThreat[] {
  const out: NamedThreat[] = [];
  for (const name of names.map((value) => value.trim()).filter((value) => value !== '')) {
    const id = catalogueIdFor(name);
    if (id === null) throw fieldError(`layers.${layer}.threats`, `${JSON.stringify(name)} is not in the threat catalogue; use a catalogue id, or list it under other threats`);
    const allowed = THREAT_BY_ID.get(id)?.layers ?? [];
    if (!(allowed as readonly number[]).includes(layer)) throw fieldError(`layers.${layer}.threats`, `${id} belongs to layer ${allowed.join(', ')}, not ${layer}`);
    if (!out.some((threat) => threat.id === id)) out.push(namedThreat(id));
  }
  return out;
}

/** Scores an assessment with the draft's formula, with its plausible range; a bad vector becomes an error naming `cvss.vector`. */
export function scoreAssessment(assessment: Assessment, formula: Draft['score']['formula'] = 'v0.8'): Score {
  try {
    return scoreWithRange(assessment, formula);
  } catch (error) {
    if (error instanceof ThreatdraftError) {
      const field = String(error.context['field'] ?? '');
      const mapped = field === 'cvss' || field.startsWith('cvss.') ? 'cvss.vector' : field.startsWith('factors.') ? `${field}.value` : field || 'cvss.vector';
      throw fieldError(mapped, error.message.replace(/^Invalid `[^`]*`: /, ''));
    }
    throw error;
  }
}

/** Applies and rescores: the new assessment and its score, or an InputError naming the field. */
export function previewEdit(draft: Draft, patch: EditPatch): { assessment: Assessment; score: Score } {
  const assessment = applyPatch(draft.assessment, patch);
  return { assessment, score: scoreAssessment(assessment, draft.score.formula) };
}

/**
 * Turns flat form fields (`factors.autonomyOfAction.value`, `layers.3.certain`, …) into a patch.
 * Numbers are parsed here so a non-number reaches zod as a string and is named in the error.
 */
export function patchFromForm(form: Readonly<Record<string, string>>): EditPatch {
  const patch: Record<string, unknown> = {};
  const factors: Record<string, Record<string, unknown>> = {};
  const layers = new Map<number, Record<string, unknown>>();
  const section = (name: 'cvss' | 'exploitMaturity' | 'mitigation'): Record<string, unknown> =>
    (patch[name] ??= {}) as Record<string, unknown>;
  const number = (text: string): number | string => (text.trim() !== '' && Number.isFinite(Number(text)) ? Number(text) : text);
  for (const [name, value] of Object.entries(form)) {
    const parts = name.split('.');
    if (name === 'summary') patch['summary'] = value;
    else if (parts[0] === 'factors' && parts.length === 3 && parts[1] !== undefined && parts[2] !== undefined) {
      const entry = (factors[parts[1]] ??= {});
      entry[parts[2]] = parts[2] === 'value' ? number(value) : value;
    } else if ((parts[0] === 'cvss' || parts[0] === 'exploitMaturity' || parts[0] === 'mitigation') && parts.length === 2 && parts[1] !== undefined) {
      section(parts[0])[parts[1]] = value;
    } else if (parts[0] === 'layers' && parts.length === 3 && parts[2] !== undefined) {
      const layer = Number(parts[1]);
      if (!Number.isInteger(layer)) throw fieldError(name, 'expected layers.<1-7>.<field>');
      const entry = layers.get(layer) ?? { layer };
      layers.set(layer, entry);
      entry[parts[2]] =
        parts[2] === 'certain' ? value === 'true' || value === 'on' : parts[2] === 'threats' || parts[2] === 'otherThreats' ? value.split(/[\n,]/) : value;
    }
  }
  if (Object.keys(factors).length > 0) patch['factors'] = factors;
  if (layers.size > 0) patch['layers'] = [...layers.values()].sort((a, b) => Number(a['layer']) - Number(b['layer']));
  return parseOrFieldError(editPatchSchema, patch);
}
