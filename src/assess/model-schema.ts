/**
 * The model-facing shape of an Assessment and the mapping back to the real schema.
 *
 * `schemas/assessment.ts` stays the source of truth. Strict structured outputs accept only a subset
 * of JSON Schema, and OpenAI-compatible servers (vLLM, Ollama, llama.cpp) differ in which keywords
 * they enforce or reject, so the schema sent to the model keeps the structure, enums, and the
 * 0..1 bounds, but drops string lengths, regexes and refinements. Every answer is then validated
 * against `assessmentSchema`, whose issues drive the one repair request.
 */
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { assessmentSchema, type Assessment } from '../../schemas/assessment.js';
import { LISTING_FACTOR_KEYS, type ListingFactorKey } from '../../schemas/factors.js';

const modelFactorSchema = z.object({
  value: z.number().min(0).max(1),
  rationale: z.string(),
  evidence: z.array(z.string()),
});

const modelFactorShape = Object.fromEntries(LISTING_FACTOR_KEYS.map((key) => [key, modelFactorSchema])) as Record<
  ListingFactorKey,
  typeof modelFactorSchema
>;

/** The Assessment as the model is asked to produce it: every field required, nothing optional. */
export const modelAssessmentSchema = z.object({
  summary: z.string(),
  factors: z.object(modelFactorShape),
  cvss: z.object({ vector: z.string(), rationale: z.string() }),
  exploitMaturity: z.object({ value: z.enum(['attacked', 'poc', 'unreported']), rationale: z.string() }),
  mitigation: z.object({ value: z.enum(['none', 'partial', 'strong']), rationale: z.string() }),
  layers: z.array(
    z.object({
      layer: z.number().int().min(1).max(7),
      certain: z.boolean(),
      threats: z.array(z.string()),
      text: z.string(),
      evidence: z.array(z.string()),
    }),
  ),
});

/** The `response_format` sent with every request (strict json_schema named `assessment`). */
export function assessmentResponseFormat(): ReturnType<typeof zodResponseFormat<typeof modelAssessmentSchema>> {
  return zodResponseFormat(modelAssessmentSchema, 'assessment');
}

/** The result of mapping raw model output onto the Assessment schema. */
export type ModelOutputResult =
  | { ok: true; assessment: Assessment }
  | { ok: false; kind: 'not-json' | 'schema'; issues: string[] };

/** Rounds a factor value that is within float noise of the 0.05 grid, leaving real misses to the schema. */
function snap(value: unknown): unknown {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const steps = Math.round(value * 20);
  return Math.abs(value * 20 - steps) < 1e-6 ? steps / 20 : value;
}

/** Parses the model's content and validates it against `assessmentSchema` (pure). */
export function parseModelOutput(content: string | null): ModelOutputResult {
  if (content === null || content.trim() === '') {
    return { ok: false, kind: 'not-json', issues: ['the answer was empty; expected one JSON object'] };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(content);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    return { ok: false, kind: 'not-json', issues: [`the answer is not valid JSON (${reason})`] };
  }
  if (raw !== null && typeof raw === 'object' && 'factors' in raw) {
    const factors = (raw as { factors: unknown }).factors;
    if (factors !== null && typeof factors === 'object') {
      for (const factor of Object.values(factors as Record<string, unknown>)) {
        if (factor !== null && typeof factor === 'object' && 'value' in factor) {
          (factor as { value: unknown }).value = snap((factor as { value: unknown }).value);
        }
      }
    }
  }
  const parsed = assessmentSchema.safeParse(raw);
  if (parsed.success) return { ok: true, assessment: parsed.data };
  const issues = parsed.error.issues.slice(0, 20).map((issue) => {
    const path = issue.path.length > 0 ? issue.path.map(String).join('.') : '(root)';
    return `${path}: ${issue.message}`;
  });
  return { ok: false, kind: 'schema', issues };
}
