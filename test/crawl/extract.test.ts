import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'cheerio';
import { countTokens } from 'gpt-tokenizer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { listingSchema } from '../../schemas/listing.js';
import { stripControls } from '../../src/crawl/extract-text.js';
import { PROPERTY_TIME_BOUND_MS, timed } from '../helpers/bounded.js';
import { controlCharacters } from '../helpers/controls.js';
import {
  TRUNCATION_MARKER,
  canonicalRepoUrl,
  computeContentHash,
  extractListing,
  listingId,
  normalizeForMatch,
  readableText,
} from '../../src/crawl/extract.js';

const CASES = join(import.meta.dirname, '..', '..', 'evals', 'cases');
const BASE = { url: 'https://directory.example/agents/acme-agent', sourceId: 'demo', fetchedAt: '2026-01-01T00:00:00.000Z' };

interface Reference {
  slug: string;
  name: string;
}

const references: Reference[] = readFileSync(join(CASES, '..', 'reference-dev', 'reference.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Reference);

function page(slug: string): string {
  return readFileSync(join(CASES, `ref-${slug}`, 'listing.html'), 'utf8');
}

/** Bullets under capability-like headings, found independently of the extractor with plain cheerio. */
function expectedBullets(html: string): string[] {
  const $ = load(html);
  const bullets: string[] = [];
  $('h1, h2, h3, h4').each((_, heading) => {
    if (!/capabilities|features|what it can do|highlights/i.test($(heading).text())) return;
    $(heading)
      .nextAll('ul, ol')
      .first()
      .find('li')
      .each((__, li) => {
        bullets.push($(li).text().replace(/\s+/g, ' ').trim());
      });
  });
  return bullets;
}

describe('extractListing on the 35 reference pages', () => {
  it('has all 35 pages and one reference line per page', () => {
    const cases = readdirSync(CASES).filter((name) => name.startsWith('ref-'));
    expect(cases).toHaveLength(35);
    expect(references.map((reference) => `ref-${reference.slug}`).sort()).toEqual(cases.sort());
  });

  it.each(references.map((reference) => [reference.slug, reference] as const))(
    'keeps the title, summary and every capability bullet of %s in the readable text itself',
    (slug, reference) => {
      const html = page(slug);
      const listing = extractListing(html, { ...BASE, url: `https://directory.example/agents/${slug}.html` });
      expect(listingSchema.safeParse(listing).success).toBe(true);
      expect(listing.title).toBe(reference.name);
      expect(listing.summary.length).toBeGreaterThan(20);
      const bullets = expectedBullets(html);
      expect(bullets.length).toBeGreaterThan(0);
      expect(listing.fields.capabilities).toEqual(bullets);
      // The main text as extracted, before the grounding block that would add whatever it lacks:
      // checking listing.text instead could never fail, since that block appends missing items.
      const main = readableText(html);
      const text = normalizeForMatch(main);
      expect(text).toContain(normalizeForMatch(reference.name));
      expect(text).toContain(normalizeForMatch(listing.summary));
      for (const bullet of bullets) expect(text).toContain(normalizeForMatch(bullet));
      for (const [key, value] of Object.entries(listing.fields.metadata)) {
        expect(text).toContain(normalizeForMatch(`${key}: ${value}`));
      }
      // So nothing had to be appended: the listing's text is exactly the readable text.
      expect(listing.text).toBe(main);
      expect(listing.fields.metadata['Category']).toBe(listing.fields.category);
      expect(listing.truncated).toBe(false);
    },
  );
});

describe('readableText and the grounding block', () => {
  it('leaves out page chrome; the listing text adds back only the capabilities the main text lacks, in a marked block', () => {
    const html = `<html><body><header><h1>Relay Agent</h1></header>
      <main><p>Relay Agent forwards support tickets between teams and drafts answers for human review before anything is sent.</p>
      <p>It runs on the customer's own infrastructure and keeps an audit log of every drafted reply.</p></main>
      <aside><h2>Capabilities</h2><ul><li>Reads the ticket queue</li><li>Sends email on approval</li></ul></aside>
      <footer>© Directory</footer></body></html>`;
    const main = readableText(html);
    expect(main).toContain('Relay Agent forwards support tickets');
    expect(main).not.toContain('Reads the ticket queue');
    expect(main).not.toContain('© Directory');
    const listing = extractListing(html, BASE);
    expect(listing.fields.capabilities).toEqual(['Reads the ticket queue', 'Sends email on approval']);
    // The title is already in the main text (the first sentence names it); the capabilities are not.
    expect(listing.text).toBe(`${main}\n\nCapabilities:\n- Reads the ticket queue\n- Sends email on approval`);
  });

  it('never throws and returns an empty string for a page without text', () => {
    expect(readableText('')).toBe('');
    expect(readableText('<html><head><script>var a = 1;</script></head><body></body></html>')).toBe('');
  });
});

describe('extractListing metadata', () => {
  it('reads two-column table rows (td/td and th/td) and skips header rows', () => {
    const html = `<html><body><h1>Agent</h1><table>
      <tr><th>Field</th><th>Value</th></tr>
      <tr><th>License</th><td>MIT</td></tr>
      <tr><td>Category:</td><td>coding agent</td></tr>
      <tr><td>a</td><td>b</td><td>three cells</td></tr>
    </table></body></html>`;
    const listing = extractListing(html, BASE);
    expect(listing.fields.metadata).toEqual({ License: 'MIT', Category: 'coding agent' });
    expect(listing.fields.category).toBe('coding agent');
    expect(listing.text).toContain('License: MIT');
    expect(listing.text).toContain('Category: coding agent');
  });

  it('reads definition lists, including dt/dd pairs wrapped in div', () => {
    const html = `<body><h1>Agent</h1><dl>
      <dt>Deployment</dt><dd>Self-hosted (Docker)</dd>
      <div><dt>Memory</dt><dd>Postgres  vector store</dd></div>
    </dl></body>`;
    const listing = extractListing(html, BASE);
    expect(listing.fields.metadata).toEqual({ Deployment: 'Self-hosted (Docker)', Memory: 'Postgres vector store' });
    expect(listing.text).toContain('Deployment: Self-hosted (Docker)\nMemory: Postgres vector store');
    expect(listing.fields.category).toBeNull();
  });

  it('reads bold "Label:" list items as pairs', () => {
    const listing = extractListing('<body><h1>A</h1><ul><li><b>Auth:</b> OAuth 2.0</li><li>plain</li></ul></body>', BASE);
    expect(listing.fields.metadata).toEqual({ Auth: 'OAuth 2.0' });
  });
});

describe('extractListing selectors and fallbacks', () => {
  const html = `<html><head><title>Ignored — Directory</title>
    <meta property="og:title" content="OG Title"><meta property="og:description" content="OG description of the agent.">
    </head><body><h1>Page heading</h1>
    <div class="name">Selected Name</div><p class="blurb">Selected blurb.</p>
    <div class="abilities"><span>Reads files</span><span>Writes files</span></div>
    <a class="src" href="/code/repo">source</a>
    <a href="https://github.com/acme/agent.git">GitHub</a></body></html>`;

  it('uses the source selectors when they match', () => {
    const listing = extractListing(html, {
      ...BASE,
      fields: { title: '.name', description: '.blurb', capabilities: '.abilities span', repository: 'a.src' },
    });
    expect(listing.title).toBe('Selected Name');
    expect(listing.summary).toBe('Selected blurb.');
    expect(listing.fields.capabilities).toEqual(['Reads files', 'Writes files']);
    expect(listing.fields.repositories).toEqual(['https://directory.example/code/repo']);
  });

  it('falls back to the generic rules when a selector matches nothing or is invalid', () => {
    const listing = extractListing(html, { ...BASE, fields: { title: '.missing', description: '[[invalid' } });
    expect(listing.title).toBe('Page heading');
    expect(listing.summary).toBe('OG description of the agent.');
    expect(listing.fields.repositories).toEqual(['https://github.com/acme/agent']);
  });

  it('takes og:title without an h1, and the <title> without its site suffix without either', () => {
    const og = extractListing('<html><head><meta property="og:title" content="OG Only"></head><body><p>x</p></body></html>', BASE);
    expect(og.title).toBe('OG Only');
    const titled = extractListing('<html><head><title>Helper Bot — Agent Directory</title></head><body></body></html>', BASE);
    expect(titled.title).toBe('Helper Bot');
  });

  it('takes the first substantial paragraph as summary when there is no meta description', () => {
    const listing = extractListing(
      '<body><nav><p>Home | Agents | About us and more links here</p></nav><h1>A</h1><p>Short.</p><p>This agent triages support tickets and drafts replies for human agents.</p></body>',
      BASE,
    );
    expect(listing.summary).toBe('This agent triages support tickets and drafts replies for human agents.');
    expect(listing.text).not.toContain('Home | Agents');
  });

  it('collects repositories on code hosts, canonicalised and deduplicated', () => {
    const listing = extractListing(
      `<body><h1>A</h1>
      <a href="https://github.com/acme/tool/tree/main/src">tree</a>
      <a href="https://github.com/acme/tool">same</a>
      <a href="https://github.com/features">not a repo</a>
      <a href="https://gitlab.com/group/project">gl</a>
      <a href="https://huggingface.co/org/model">model</a>
      <a href="https://example.com/acme/tool">other host</a>
      <p>Source: https://codeberg.org/me/thing.</p></body>`,
      BASE,
    );
    expect(listing.fields.repositories).toEqual([
      'https://github.com/acme/tool',
      'https://gitlab.com/group/project',
      'https://huggingface.co/org/model',
      'https://codeberg.org/me/thing',
    ]);
    expect(canonicalRepoUrl('https://bitbucket.org/team/repo.git')).toBe('https://bitbucket.org/team/repo');
    expect(canonicalRepoUrl('https://github.com/onlyowner')).toBeUndefined();
  });

  it('finds capability lists under wrapped headings and bold labels', () => {
    const listing = extractListing(
      '<body><h1>A</h1><header><h2>Tools</h2></header><ul><li>web_search</li><li>run_python</li></ul><p><strong>Skills</strong></p><ol><li>SQL</li></ol></body>',
      BASE,
    );
    expect(listing.fields.capabilities).toEqual(['web_search', 'run_python', 'SQL']);
  });
});

describe('extractListing robustness and the token cap', () => {
  it.each([
    ['empty', ''],
    ['truncated mid-tag', '<html><head><title>Cut</title></head><body><h1>Cut off</h1><ul><li>one<li>tw'],
    ['garbage', '<<<>>> </div></div><td><tr>'],
    ['lone surrogate', '<h1>\ud800 broken</h1>'],
    ['deep nesting', `${'<div><span>'.repeat(3000)}deep text`],
  ])('does not throw on %s HTML and returns a valid listing', (_, html) => {
    const listing = extractListing(html, BASE);
    expect(listingSchema.safeParse(listing).success).toBe(true);
  });

  it('hardening #1 (hostile nesting): 100,000 nested divs extract with their text and a markup-capped warning', () => {
    const html = `<html><head><title>Deep Agent</title></head><body><h1>Deep Agent</h1>${'<div>'.repeat(100_000)}Calls tools on request.${'</div>'.repeat(100_000)}</body></html>`;
    const listing = extractListing(html, BASE);
    expect(listingSchema.parse(listing)).toEqual(listing);
    expect(listing.title).toBe('Deep Agent');
    expect(listing.text).toContain('Calls tools on request.');
    expect(listing.warnings).toEqual([
      {
        code: 'markup-capped',
        message: 'The page nests elements deeper than 256 levels: 99,746 start tags beyond that were left out (their text was kept)',
      },
    ]);
  });

  it('records no warning for a page within the caps, and the warning never changes the content hash', () => {
    expect(extractListing('<h1>Plain</h1><p>Calls tools.</p>', BASE).warnings).toBeUndefined();
    const deep = extractListing(`<h1>A</h1>${'<div>'.repeat(300)}text`, BASE);
    const shallow = extractListing(`<h1>A</h1>${'<div>'.repeat(200)}text`, BASE);
    expect(deep.warnings).toHaveLength(1);
    expect(deep.contentHash).toBe(shallow.contentHash);
  });

  it('calls the checkpoint between steps and stops when it throws (how a time budget ends extraction)', () => {
    const steps: string[] = [];
    extractListing('<h1>A</h1><p>text</p>', { ...BASE, checkpoint: (step) => steps.push(step) });
    expect(steps).toEqual(['parse', 'title and summary', 'fields', 'main text']);
    const stop = new Error('budget spent');
    expect(() =>
      extractListing('<h1>A</h1>', {
        ...BASE,
        checkpoint: (step) => {
          if (step === 'fields') throw stop;
        },
      }),
    ).toThrow(stop);
  });

  it('hardening #4 (control characters): strips C0/C1 controls from title, summary, text and fields, keeping tab and newline', () => {
    // Raw bytes and character references alike: an OSC 52 clipboard write, CSI clears, C1 CSI, NEL, DEL.
    const html = `<html><head><title>T</title><meta name="description" content="Reads &#x1b;]52;c;ZXZpbA==&#7;tickets and replies."></head><body>
<h1>Evil\u001b[2J Agent\u009b31m&#x9b;</h1>
<p>Line one\u0007 has a bell.</p><pre>col1\tcol2\r\nrow\u0085two\u007f</pre>
<h2>Capabilities</h2><ul><li>Shell\u001b[0m access</li><li>\u0000\u0001</li></ul>
<table><tr><th>Li&#x1b;cense</th><td>MIT\u009c</td></tr></table></body></html>`;
    const listing = extractListing(html, BASE);
    const strings = [listing.title, listing.summary, listing.text, ...listing.fields.capabilities, ...Object.entries(listing.fields.metadata).flat()];
    expect(controlCharacters(strings.join(''))).toEqual([]);
    // A character reference to 0x9B is U+203A by the HTML spec, not a control; the raw byte is one.
    expect(listing.title).toBe('Evil[2J Agent31m\u203a');
    expect(listing.summary).toBe('Reads ]52;c;ZXZpbA==tickets and replies.');
    expect(listing.fields.capabilities).toEqual(['Shell[0m access']);
    expect(listing.fields.metadata).toEqual({ License: 'MIT' });
    expect(listing.text).toContain('col1 col2\nrowtwo');
    expect(stripControls('a\tb\r\nc\rd\u001b[0m\u009b\u007f')).toBe('a\tb\nc\nd[0m');
  });

  it('keeps items of an unclosed list and separates words of an unclosed heading', () => {
    const listing = extractListing('<body><h1>Unclosed <ul><li>one<li>two', BASE);
    expect(listing.title).toBe('Unclosed one two');
    expect(listing.text).toContain('- one\n- two');
  });

  it('caps the text by tokens, marks the cut and keeps the head', () => {
    const paragraphs = Array.from({ length: 400 }, (_, i) => `<p>Paragraph ${i} describes the agent's tool use in detail.</p>`).join('');
    const listing = extractListing(`<body><h1>Long Agent</h1>${paragraphs}</body>`, { ...BASE, maxTokens: 300 });
    expect(listing.truncated).toBe(true);
    expect(listing.text.endsWith(`\n\n${TRUNCATION_MARKER}`)).toBe(true);
    expect(listing.text.startsWith('Long Agent')).toBe(true);
    expect(countTokens(listing.text)).toBeLessThanOrEqual(300);
    expect(countTokens(listing.text)).toBeGreaterThan(250);
  });

  it('counts special-token text as plain text instead of throwing', () => {
    const listing = extractListing(`<body><h1>A</h1><p>${'<|endoftext|> '.repeat(200)}</p></body>`, { ...BASE, maxTokens: 100 });
    expect(listing.truncated).toBe(true);
  });

  it('does not truncate text within the budget', () => {
    const listing = extractListing('<body><h1>Short</h1><p>Tiny.</p></body>', { ...BASE, maxTokens: 100 });
    expect(listing.truncated).toBe(false);
    expect(listing.text).not.toContain(TRUNCATION_MARKER);
  });

  it('runs Readability on long pages without main element and drops boilerplate', () => {
    const article = Array.from(
      { length: 30 },
      (_, i) => `<p>Section ${i}: the assistant connects to the customer's CRM, reads tickets, and proposes replies that a human approves before sending, with every action logged.</p>`,
    ).join('');
    const links = Array.from({ length: 80 }, (_, i) => `<a href="/c/${i}">Category ${i}</a>`).join(' ');
    const html = `<html><body><div class="sidebar">${links}</div><div class="story"><h1>Support Copilot</h1>${article}</div></body></html>`;
    const listing = extractListing(html, BASE);
    expect(listing.text).toContain('Section 29: the assistant connects');
    expect(listing.text).not.toContain('Category 79');
  });
});

describe('computeContentHash and listingId', () => {
  const html = page('n8n');

  it('is stable across whitespace-only changes, fetchedAt and URL', () => {
    const a = extractListing(html, BASE);
    const b = extractListing(html.replace(/\n/g, '\n\n   ').replace(/<li>/g, '<li>  '), {
      ...BASE,
      url: 'https://mirror.example/n8n',
      fetchedAt: '2027-06-01T00:00:00.000Z',
    });
    expect(b.contentHash).toBe(a.contentHash);
    expect(a.contentHash).toMatch(/^[a-f0-9]{64}$/);
  });

  it('changes when a word of the text changes', () => {
    const a = extractListing(html, BASE);
    const b = extractListing(html.replace('Can be self-hosted', 'Can be cloud-hosted'), BASE);
    expect(b.contentHash).not.toBe(a.contentHash);
  });

  it('includes the repository README, whose whitespace does not matter', () => {
    const repo = { url: 'https://github.com/n8n-io/n8n', readme: '# n8n\n\nWorkflow automation.', error: null, truncated: false };
    const without = extractListing(html, BASE);
    const withReadme = extractListing(html, { ...BASE, repo });
    const reformatted = extractListing(html, { ...BASE, repo: { ...repo, readme: '# n8n\nWorkflow   automation.' } });
    const changed = extractListing(html, { ...BASE, repo: { ...repo, readme: '# n8n\n\nNow with shell access.' } });
    expect(withReadme.repo).toEqual(repo);
    expect(withReadme.text).toBe(without.text);
    expect(withReadme.contentHash).not.toBe(without.contentHash);
    expect(reformatted.contentHash).toBe(withReadme.contentHash);
    expect(changed.contentHash).not.toBe(withReadme.contentHash);
  });

  it('hashes parts independently of metadata key order', () => {
    const fields = { capabilities: ['a'], metadata: { b: '2', a: '1' }, repositories: [], category: null };
    const reordered = { ...fields, metadata: { a: '1', b: '2' } };
    const parts = { title: 'T', summary: 'S', text: 'x' };
    expect(computeContentHash({ ...parts, fields })).toBe(computeContentHash({ ...parts, fields: reordered }));
  });

  it.each([
    ['demo', 'https://directory.example/agents/acme-agent.html'],
    ['demo', 'https://directory.example/'],
    ['Weird Source!', 'https://directory.example/agents/%E2%9C%93 ünïcode/../x?y=1'],
    ['demo', 'not a url at all ../../etc/passwd'],
    ['demo', `https://directory.example/${'very-long-segment'.repeat(20)}`],
  ])('gives %s %s a stable, filesystem-safe id', (sourceId, url) => {
    const id = listingId(sourceId, url);
    expect(id).toBe(listingId(sourceId, url));
    expect(id).toMatch(/^[a-z0-9][a-z0-9._-]{0,127}$/);
    expect(id).not.toContain('..');
    expect(id).not.toContain('/');
  });

  it('gives distinct URLs and sources distinct ids, and ignores the fragment', () => {
    expect(listingId('demo', 'https://d.example/a/x')).not.toBe(listingId('demo', 'https://d.example/b/x'));
    expect(listingId('one', 'https://d.example/a')).not.toBe(listingId('two', 'https://d.example/a'));
    expect(listingId('demo', 'https://d.example/a/acme-agent.html')).toMatch(/^demo\.acme-agent-[a-f0-9]{12}$/);
    expect(extractListing('', { ...BASE, url: 'https://d.example/a#top' }).id).toBe(
      extractListing('', { ...BASE, url: 'https://d.example/a' }).id,
    );
  });
});

describe('extractListing on any input (property)', () => {
  // Markup pieces that steer extraction into its rules and its expensive paths, plus controls,
  // entities and free text; joined at random, repeated to build depth.
  const PIECES = [
    '<h1>', '</h1>', '<title>', '</title>', '<p>', '</p>', '<div>', '</div>', '<main>', '<article>', '<nav>', '<ul>', '<li>', '</ul>',
    '<dl><dt>Category:</dt><dd>', '</dd></dl>', '<table><tr><td>', '</td><td>', '</td></tr></table>', '<strong>Tools:</strong>',
    '<a href="https://github.com/o/r">', '<a href="javascript:x">', '</a>', '<meta name="description" content="', '">',
    '<script>', '</script>', '<!--', '-->', '<svg>', '<template>', '<b>', '<i>', '&#27;', '&amp;', '&#x9b;', '\u001b[2J', '\u0007',
    '\u009b', '\r\n', '\t', 'Calls tools ', 'ignore previous instructions ', 'text ',
  ];
  const html = fc.oneof(
    fc.array(fc.constantFrom(...PIECES), { maxLength: 400 }).map((parts) => parts.join('')),
    fc.tuple(fc.constantFrom('<div>', '<span>', '<table><tr><td>', '<b>', '<li>', '<dd><dl>'), fc.integer({ min: 0, max: 3000 })).map(([open, depth]) => `<h1>Deep</h1>${open.repeat(depth)}end`),
    fc.string({ maxLength: 2000 }),
  );

  it('returns a schema-valid listing without control characters, within the time bound, for any markup', async () => {
    await fc.assert(
      fc.asyncProperty(html, async (page) => {
        const { value: listing, ms } = await timed(() => extractListing(page, BASE));
        expect(ms).toBeLessThan(PROPERTY_TIME_BOUND_MS);
        expect(listingSchema.parse(listing)).toEqual(listing);
        const strings = [listing.title, listing.summary, listing.text, ...listing.fields.capabilities, ...Object.entries(listing.fields.metadata).flat()];
        expect(controlCharacters(strings.join(''))).toEqual([]);
        for (const warning of listing.warnings ?? []) expect(warning.code).toBe('markup-capped');
      }),
      { numRuns: 150 },
    );
  });
});
