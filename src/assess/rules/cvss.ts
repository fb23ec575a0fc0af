/**
 * Builds the CVSS v4.0 base vector for the most plausible exploit path of an agent — indirect
 * prompt injection that drives its capabilities — from the fired signals' nudges (pure).
 */
import type { Assessment } from '../../../schemas/assessment.js';
import type { FiredSignal } from './match.js';
import type { CvssNudge } from './signals.js';

type Impact = 'H' | 'L' | 'N';
const RANK: Readonly<Record<Impact, number>> = { N: 0, L: 1, H: 2 };
const IMPACTS = ['VC', 'VI', 'VA', 'SC', 'SI', 'SA'] as const;

/** The starting point: a network-reachable assistant whose output a user acts on (low C/I impact). */
const START: Readonly<Record<(typeof IMPACTS)[number], Impact>> = { VC: 'L', VI: 'L', VA: 'N', SC: 'N', SI: 'N', SA: 'N' };

/** The vector and a rationale naming the signals that moved each metric. */
export function buildCvss(fired: readonly FiredSignal[]): Assessment['cvss'] {
  const impacts = { ...START };
  const movedBy: string[] = [];
  for (const { signal } of fired) {
    const nudge: CvssNudge = signal.cvss ?? {};
    const moved: string[] = [];
    for (const metric of IMPACTS) {
      const wanted = nudge[metric];
      if (wanted !== undefined && RANK[wanted] > RANK[impacts[metric]]) {
        impacts[metric] = wanted;
        moved.push(`${metric}:${wanted}`);
      }
    }
    if (moved.length > 0) movedBy.push(`${signal.id} → ${moved.join(' ')}`);
  }
  const ids = new Set(fired.map(({ signal }) => signal.id));
  const wantsLocal = fired.some(({ signal }) => signal.cvss?.AV === 'L');
  const networked = ids.has('hosted-service') || ids.has('tool-integrations') || ids.has('web-research') || ids.has('mcp-tools');
  const av = wantsLocal && !networked ? 'L' : 'N';
  const ui = fired.some(({ signal }) => signal.cvss?.UI === 'N') ? 'N' : fired.some(({ signal }) => signal.cvss?.UI === 'A') ? 'A' : 'P';
  const vector =
    `CVSS:4.0/AV:${av}/AC:L/AT:N/PR:N/UI:${ui}` +
    IMPACTS.map((metric) => `/${metric}:${impacts[metric]}`).join('');
  const rationale =
    `Most plausible path: content an attacker controls reaches the agent ${av === 'N' ? 'over the network' : 'on the local machine'} ` +
    `(AV:${av}), ${ui === 'N' ? 'with no user step in between' : ui === 'A' ? 'with a human actively in the loop' : 'when a user submits it'} (UI:${ui}), ` +
    `and steers what the agent can do. Starting from VC:L/VI:L (misleading or leaked output)` +
    (movedBy.length > 0 ? `; raised by ${movedBy.join('; ')}.` : '; no capability signal raises the impact.');
  return { vector, rationale: rationale.slice(0, 1200) };
}
