/** zod schemas for the requests the fake OpenAI server accepts (the parts it checks). */
import { z } from 'zod';

const role = z.enum(['system', 'developer', 'user', 'assistant', 'tool']);

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const content = z.union([z.string(), z.array(contentPart)]).nullable();

const jsonSchemaObject = z.record(z.string(), z.unknown()).refine((schema) => schema['type'] === 'object', {
  message: 'expected a JSON schema of type object',
});

/** A chat completions request: a model, messages with roles, and a json_schema response format (strict where the engine requires it). */
export const chatRequestSchema = z.looseObject({
  model: z.string().min(1, { message: 'you must provide a model parameter' }),
  messages: z.array(z.looseObject({ role, content })).min(1, { message: 'expected at least one message' }),
  response_format: z.object(
    {
      type: z.literal('json_schema', { message: "expected response_format.type 'json_schema'" }),
      json_schema: z.looseObject({
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
        strict: z.boolean().optional(),
        schema: jsonSchemaObject,
      }),
    },
    { message: 'response_format with a json_schema is required' },
  ),
  temperature: z.number().min(0).max(2).optional(),
  seed: z.number().int().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  stream: z.literal(false).optional(),
});
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** A Responses API request: a model, input (text or role messages), and a strict json_schema text format. */
export const responsesRequestSchema = z.looseObject({
  model: z.string().min(1, { message: 'you must provide a model parameter' }),
  instructions: z.string().nullable().optional(),
  input: z.union([z.string().min(1), z.array(z.looseObject({ role, content })).min(1)]),
  text: z.looseObject({
    format: z.looseObject(
      {
        type: z.literal('json_schema', { message: "expected text.format.type 'json_schema'" }),
        name: z.string().regex(/^[a-zA-Z0-9_-]{1,64}$/),
        strict: z.literal(true, { message: 'expected strict: true' }),
        schema: jsonSchemaObject,
      },
      { message: 'text.format with a strict json_schema is required' },
    ),
  }),
  temperature: z.number().min(0).max(2).optional(),
  stream: z.literal(false).optional(),
});
export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** Flattens message content (a string or text parts) to plain text. */
export function contentText(value: z.infer<typeof content>): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  return value.map((part) => part.text ?? '').join('');
}

/** One line of a Batch API input file. */
export const batchLineSchema = z.object({
  custom_id: z.string().min(1).max(512),
  method: z.literal('POST'),
  url: z.string(),
  body: z.record(z.string(), z.unknown()),
});

/** `POST /v1/batches`. */
export const batchCreateSchema = z.looseObject({
  input_file_id: z.string().min(1),
  endpoint: z.string(),
  completion_window: z.literal('24h', { message: "expected completion_window '24h'" }),
  metadata: z.record(z.string(), z.string()).nullable().optional(),
});
