import { describe, expect, it } from 'vitest';
import { assessWithRules } from '../../src/assess/rules/assess.js';
import { createListing } from '../factories/listing.js';

function assess(text: string) {
  return assessWithRules(
    createListing({ title: 'Probe', summary: '', text, fields: { capabilities: [], metadata: {}, repositories: [], category: null } }),
  );
}

function metrics(vector: string): Record<string, string> {
  return Object.fromEntries(vector.split('/').slice(1).map((part) => part.split(':') as [string, string]));
}

describe('rules assessor CVSS, maturity and mitigation mapping', () => {
  it('marks a component others deploy AT:P and a hosted service AT:N', () => {
    const component = assess('Probe is a skill for API design reviews. It relies on a language model.');
    expect(metrics(component.cvss.vector)['AT']).toBe('P');
    expect(component.cvss.rationale).toContain('AT:P because it is a component');
    const hosted = assess('Probe is a skill for API design reviews, offered as a hosted SaaS.');
    expect(metrics(hosted.cvss.vector)['AT']).toBe('N');
  });

  it('raises VC to H for sensitive data only when an exfiltration channel exists', () => {
    const chat = assess('Probe is an AI tutor chatbot. It keeps student profiles and performance data.');
    expect(metrics(chat.cvss.vector)['VC']).toBe('L');
    const withChannel = assess('Probe is an AI tutor chatbot. It keeps student profiles and sends emails to parents.');
    expect(metrics(withChannel.cvss.vector)['VC']).toBe('H');
    expect(withChannel.cvss.rationale).toContain('Exfiltration channel: sends-messages');
  });

  it('puts impact on subsequent systems for an agent that acts with credentials on infrastructure', () => {
    const ops = assess('Probe fixes cluster problems on its own. Scales deployments and restarts pods. Runs with a cluster-admin service account.');
    expect(ops.cvss.vector).toBe('CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:H/SC:H/SI:H/SA:H');
    expect(ops.cvss.rationale).toContain('UI:N because untrusted content is processed with no user step (autonomous)');
  });

  it('treats a browser agent that pays with a stored card as a zero-click path to money and accounts', () => {
    const shopper = assess('Probe is a browser agent that shops for you. Pays with your stored credit card.');
    const parts = metrics(shopper.cvss.vector);
    expect([parts['UI'], parts['SC'], parts['SI'], parts['VI']]).toEqual(['N', 'H', 'H', 'H']);
    expect(shopper.exploitMaturity.value).toBe('poc');
  });

  it('counts only preventive controls as mitigation, naming detective ones', () => {
    const logged = assess('Probe deletes failing resources on its own. All actions are written to the audit log.');
    expect(logged.mitigation.value).toBe('none');
    expect(logged.mitigation.rationale).toContain('Not counted, since they detect or attest rather than prevent: monitoring');
    const guarded = assess('Probe deletes failing resources. An input guardrail screens every request.');
    expect(guarded.mitigation.value).toBe('partial');
    expect(guarded.mitigation.rationale).toContain('guardrails');
  });

  it('reports proof-of-concept maturity for any agentic capability and unreported for a plain utility', () => {
    expect(assess('Probe rewrites its own system prompt after each task.').exploitMaturity.value).toBe('poc');
    const plain = assess('Probe removes subtitles from videos using deterministic computer-vision inpainting.');
    expect(plain.exploitMaturity.value).toBe('unreported');
  });

  it('keeps a local-only tool on AV:L unless it also takes network input', () => {
    expect(metrics(assess('Probe runs locally as a CLI.').cvss.vector)['AV']).toBe('L');
    expect(metrics(assess('Probe runs locally as a CLI and performs web search for you.').cvss.vector)['AV']).toBe('N');
  });
});
