/**
 * Splits a signal pattern into the narrow patterns a reviewer would read as separate rules: each
 * top-level alternative, and each alternative with one inner alternation narrowed to one of its
 * options (`\bAI (?:tutor|platform)\b` gives `\bAI (?:tutor)\b` and `\bAI (?:platform)\b`). Groups
 * whose options are all inflection suffixes of at most three characters (`(?:s|ing)`, `(?:y|ies)`)
 * are not split; lookarounds are not split.
 */

interface Group {
  start: number;
  end: number;
  open: string;
  options: string[];
}

function parse(source: string): { alternatives: string[]; groups: Group[] } {
  const alternatives: string[] = [];
  const groups: Group[] = [];
  const stack: { start: number; bars: number[]; lookaround: boolean }[] = [];
  let inClass = false;
  let last = 0;
  for (let index = 0; index < source.length; index++) {
    const char = source[index];
    if (char === '\\') {
      index++;
      continue;
    }
    if (inClass) {
      if (char === ']') inClass = false;
      continue;
    }
    if (char === '[') inClass = true;
    else if (char === '(') stack.push({ start: index, bars: [], lookaround: /^\(\?(?:[=!]|<[=!])/.test(source.slice(index)) });
    else if (char === ')') {
      const group = stack.pop();
      if (group === undefined) throw new Error(`Unbalanced ) at ${index} in /${source}/`);
      if (group.bars.length > 0 && !group.lookaround) {
        const open = /^\(\?:|^\(\?<[A-Za-z]\w*>|^\(/.exec(source.slice(group.start))?.[0] ?? '(';
        const cuts = [group.start + open.length - 1, ...group.bars, index];
        const options = cuts.slice(0, -1).map((cut, at) => source.slice(cut + 1, cuts[at + 1]));
        groups.push({ start: group.start, end: index + 1, open, options });
      }
    } else if (char === '|') {
      const group = stack.at(-1);
      if (group === undefined) {
        alternatives.push(source.slice(last, index));
        last = index + 1;
      } else group.bars.push(index);
    }
  }
  alternatives.push(source.slice(last));
  return { alternatives, groups };
}

/** The narrow variants of a pattern, as regex sources (duplicates removed). */
export function patternVariants(source: string): string[] {
  const out = new Set<string>(parse(source).alternatives);
  for (const group of parse(source).groups) {
    if (group.options.every((option) => option.length <= 3)) continue;
    for (const option of group.options) {
      const narrowed = `${source.slice(0, group.start)}${group.open}${option})${source.slice(group.end)}`;
      for (const alternative of parse(narrowed).alternatives) out.add(alternative);
    }
  }
  return [...out];
}
