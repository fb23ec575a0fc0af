/**
 * Builds the CVSS v4.0 base vector for the most plausible exploit path of an agent — content an
 * attacker controls (a prompt, a web page, a mail, another agent's message) steering what the agent
 * can do — from the nudges of what the listing establishes (pure). The vulnerable system is the
 * agent and what it holds (VC/VI/VA); the systems it acts on with its tools and credentials are the
 * subsequent systems (SC/SI/SA). Hypothetical statements nudge nothing.
 */
import type { Assessment } from '../../../schemas/assessment.js';
import type { CvssNudge } from './data/types.js';
import type { Contribution } from './read.js';

type Impact = 'H' | 'L' | 'N';
type ImpactMetric = (typeof IMPACTS)[number];
const RANK: Readonly<Record<Impact, number>> = { N: 0, L: 1, H: 2 };
const IMPACTS = ['VC', 'VI', 'VA', 'SC', 'SI', 'SA'] as const;

/** The starting point: a network-reachable assistant whose output a user acts on (low C/I impact). */
const START: Readonly<Record<ImpactMetric, Impact>> = { VC: 'L', VI: 'L', VA: 'N', SC: 'N', SI: 'N', SA: 'N' };

/** Ids of the contributions whose nudge sets `key` to `value`. */
function saying(stated: readonly Contribution[], key: 'AV' | 'AT' | 'UI', value: string): string[] {
  return stated.filter(({ meaning }) => meaning.cvss?.[key] === value).map(({ id }) => id);
}

function raise(impacts: Record<ImpactMetric, Impact>, wanted: CvssNudge['impact'], moved: string[]): void {
  for (const metric of IMPACTS) {
    const value = wanted?.[metric];
    if (value !== undefined && RANK[value] > RANK[impacts[metric]]) {
      impacts[metric] = value;
      moved.push(`${metric}:${value}`);
    }
  }
}

/** The vector and a rationale naming what set each metric. */
export function buildCvss(contributions: readonly Contribution[]): Assessment['cvss'] {
  const stated = contributions.filter(({ strength }) => strength === 1);
  const impacts = { ...START };
  const movedBy: string[] = [];
  // An exfiltration channel (outbound tools, messages, fetches) is what turns held data into a leak.
  const channels = stated.filter(({ meaning }) => meaning.cvss?.channel === true).map(({ id }) => id);
  for (const { id, meaning } of stated) {
    const moved: string[] = [];
    raise(impacts, meaning.cvss?.impact, moved);
    if (channels.length > 0) raise(impacts, meaning.cvss?.withChannel, moved);
    if (moved.length > 0) movedBy.push(`${id} → ${moved.join(' ')}`);
  }

  const local = saying(stated, 'AV', 'L');
  const networked = saying(stated, 'AV', 'N');
  const av = local.length > 0 && networked.length === 0 ? 'L' : 'N';
  const component = saying(stated, 'AT', 'P');
  const deployed = saying(stated, 'AT', 'N');
  const at = component.length > 0 && deployed.length === 0 ? 'P' : 'N';
  const unattended = saying(stated, 'UI', 'N');
  const approving = saying(stated, 'UI', 'A');
  const ui = unattended.length > 0 ? 'N' : approving.length > 0 ? 'A' : 'P';

  const vector = `CVSS:4.0/AV:${av}/AC:L/AT:${at}/PR:N/UI:${ui}` + IMPACTS.map((metric) => `/${metric}:${impacts[metric]}`).join('');
  const parts = [
    av === 'L'
      ? `AV:L because it runs only on the local machine (${local.join(', ')})`
      : `AV:N because attacker content reaches it over the network${networked.length > 0 ? ` (${networked.join(', ')})` : ''}`,
    at === 'P'
      ? `AT:P because it is a component others deploy, so exposure depends on the integrator (${component.join(', ')})`
      : 'AT:N',
    'PR:N (planted content or an ordinary account suffices)',
    ui === 'N'
      ? `UI:N because untrusted content is processed with no user step (${unattended.join(', ')})`
      : ui === 'A'
        ? `UI:A because a human approves or takes over (${approving.join(', ')})`
        : 'UI:P because a user has to submit or open the content',
  ];
  const rationale =
    `Most plausible path: content an attacker controls steers the agent. ${parts.join('; ')}. ` +
    `Impacts start at VC:L/VI:L (misleading or leaked output)` +
    (movedBy.length > 0 ? `; raised by ${movedBy.join('; ')}` : '; nothing in the listing raises them') +
    (channels.length > 0 ? `. Exfiltration channel: ${channels.join(', ')}.` : '.');
  return { vector, rationale: rationale.slice(0, 1200) };
}
