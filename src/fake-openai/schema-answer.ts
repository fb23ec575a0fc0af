/**
 * Answers made from a JSON schema alone, as a grammar-constrained engine makes them: it walks
 * only the schema it was sent (types, properties, items, enums, string and array bounds, number
 * bounds, anchored patterns) and knows nothing of any validator behind it. Strategies:
 *
 * - `minimal`: fewest items, shortest strings (empty when no `minLength`), lowest numbers (0 when
 *   unbounded), enum members by position (item i takes member i);
 * - `maximal`: most items, longest strings, highest numbers, enum members by position from the end;
 * - `first-choice`: as `minimal`, but every enum takes its first member, in every item;
 * - `{ seed }`: seeded random choices within whatever bounds the schema gives (numbers anywhere
 *   in range, off any grid; from -5 to 5 when unbounded).
 *
 * `ignore` lists keywords the engine does not enforce (llama.cpp ignores number bounds), so the
 * answer may break them. Pure; imports nothing from the project.
 */

export type SchemaStrategy = 'minimal' | 'maximal' | 'first-choice' | { seed: number };

/** Keywords an engine does not enforce, by node type. */
export interface IgnoredKeywords {
  number?: readonly string[];
  integer?: readonly string[];
  string?: readonly string[];
  array?: readonly string[];
}

type Node = { [keyword: string]: unknown };

/** mulberry32: a tiny, fast, seeded PRNG returning floats in [0, 1) (the fake's faults use it too). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Walk {
  strategy: SchemaStrategy;
  random: () => number;
  ignore: IgnoredKeywords;
}

const FILLER = 'abcdefghijklmnopqrstuvwxyz';

function numberKeyword(node: Node, keyword: string, type: 'number' | 'integer', walk: Walk): number | undefined {
  if ((walk.ignore[type] ?? []).includes(keyword)) return undefined;
  const value = node[keyword];
  return typeof value === 'number' ? value : undefined;
}

function pick<T>(choices: readonly T[], index: number, walk: Walk): T {
  const { strategy } = walk;
  if (typeof strategy === 'object') return choices[Math.floor(walk.random() * choices.length)] as T;
  if (strategy === 'first-choice') return choices[0] as T;
  if (strategy === 'maximal') return choices[choices.length - 1 - (index % choices.length)] as T;
  return choices[index % choices.length] as T;
}

/**
 * A string matching a small regex subset: anchors, literals, escapes, classes `[…]` with
 * ranges, groups with `|`, and the quantifiers `?`, `*`, `+`, `{n}`, `{n,m}`.
 */
export function stringFromPattern(pattern: string, high: boolean): string {
  let at = 0;
  const atom = (): string[] => {
    const char = pattern[at] ?? '';
    if (char === '\\') {
      const next = pattern[at + 1] ?? '';
      at += 2;
      return [next === 'd' ? '0' : next === 'w' ? 'a' : next === 's' ? ' ' : next];
    }
    if (char === '[') {
      const close = pattern.indexOf(']', at + 1);
      const body = pattern.slice(at + 1, close);
      at = close + 1;
      const chars: string[] = [];
      for (let i = 0; i < body.length; i++) {
        if (body[i] === '\\') chars.push(body[++i] ?? '');
        else if (body[i + 1] === '-' && i + 2 < body.length) {
          chars.push(body[i] as string, body[i + 2] as string);
          i += 2;
        } else chars.push(body[i] as string);
      }
      return [high ? (chars[chars.length - 1] ?? '') : (chars[0] ?? '')];
    }
    if (char === '(') {
      at += 1;
      const alternatives: string[] = [''];
      while (at < pattern.length && pattern[at] !== ')') {
        if (pattern[at] === '|') {
          alternatives.push('');
          at += 1;
        } else alternatives[alternatives.length - 1] += sequence(true).join('');
      }
      at += 1;
      return [alternatives[0] ?? ''];
    }
    at += 1;
    return [char === '.' ? 'a' : char];
  };
  const sequence = (inGroup = false): string[] => {
    const out: string[] = [];
    while (at < pattern.length) {
      const char = pattern[at];
      if (inGroup && (char === '|' || char === ')')) break;
      if (char === '^' || char === '$') {
        at += 1;
        continue;
      }
      const unit = atom().join('');
      const quantifier = pattern[at];
      let count = 1;
      if (quantifier === '?' || quantifier === '*') {
        count = high ? 1 : 0;
        at += 1;
      } else if (quantifier === '+') {
        count = 1;
        at += 1;
      } else if (quantifier === '{') {
        const close = pattern.indexOf('}', at);
        const [min = '1', max] = pattern.slice(at + 1, close).split(',');
        count = high && max !== undefined && max !== '' ? Math.min(Number(max), Number(min) + 3) : Number(min);
        at = close + 1;
      }
      out.push(unit.repeat(count));
      if (inGroup) break;
    }
    return out;
  };
  return sequence().join('');
}

function valueFor(node: Node, index: number, walk: Walk): unknown {
  const { strategy } = walk;
  if (Array.isArray(node['enum']) && node['enum'].length > 0) return pick(node['enum'], index, walk);
  const type = Array.isArray(node['type']) ? (node['type'].find((t) => t !== 'null') as string) : (node['type'] as string | undefined);
  switch (type) {
    case 'object': {
      const properties = (node['properties'] ?? {}) as Record<string, Node>;
      // An object inside an array passes its position on, so enums in it follow the item's place.
      return Object.fromEntries(Object.entries(properties).map(([key, child]) => [key, valueFor(child, index, walk)]));
    }
    case 'array': {
      const ignored = walk.ignore.array ?? [];
      const min = !ignored.includes('minItems') && typeof node['minItems'] === 'number' ? node['minItems'] : 0;
      const max = !ignored.includes('maxItems') && typeof node['maxItems'] === 'number' ? node['maxItems'] : min + 3;
      const count =
        typeof strategy === 'object' ? min + Math.floor(walk.random() * (max - min + 1)) : strategy === 'maximal' ? max : min;
      const items = (node['items'] ?? {}) as Node;
      return Array.from({ length: count }, (_, itemIndex) => valueFor(items, itemIndex, walk));
    }
    case 'string': {
      const ignored = walk.ignore.string ?? [];
      const pattern = !ignored.includes('pattern') && typeof node['pattern'] === 'string' ? node['pattern'] : undefined;
      if (pattern !== undefined) return stringFromPattern(pattern, strategy === 'maximal');
      const min = !ignored.includes('minLength') && typeof node['minLength'] === 'number' ? node['minLength'] : 0;
      const max = !ignored.includes('maxLength') && typeof node['maxLength'] === 'number' ? node['maxLength'] : min + 40;
      const length =
        typeof strategy === 'object' ? min + Math.floor(walk.random() * (max - min + 1)) : strategy === 'maximal' ? max : min;
      return Array.from({ length }, (_, i) => FILLER[(i + index) % FILLER.length]).join('');
    }
    case 'number':
    case 'integer': {
      const low = numberKeyword(node, 'minimum', type, walk);
      const high = numberKeyword(node, 'maximum', type, walk);
      let value: number;
      if (typeof strategy === 'object') {
        const from = low ?? -5;
        const to = high ?? 5;
        value = from + walk.random() * (to - from);
      } else if (strategy === 'maximal') value = high ?? 1e6;
      else value = low ?? 0;
      return type === 'integer' ? Math.round(value) : value;
    }
    case 'boolean':
      return typeof strategy === 'object' ? walk.random() < 0.5 : strategy === 'maximal' ? index % 2 === 0 : index % 2 === 1;
    case 'null':
      return null;
    default:
      return null;
  }
}

/** An answer the schema allows, made by `strategy`; `ignore` names keywords the engine does not enforce. */
export function answerFromSchema(schema: Node, strategy: SchemaStrategy, ignore: IgnoredKeywords = {}): unknown {
  const random = seededRandom(typeof strategy === 'object' ? strategy.seed : 1);
  return valueFor(schema, 0, { strategy, random, ignore });
}
