/**
 * Bulk approval is for drafts a reviewer can judge from the queue row alone; each rule below is one
 * reason a row must instead be read on its own page.
 */
import { describe, expect, it } from 'vitest';
import { bulkRefusal, type QueueItem } from '../../src/review/queue.js';

type Row = Parameters<typeof bulkRefusal>[0];
const eligible: Row = {
  status: 'draft',
  peakSeverity: 'Low',
  warnings: 0,
  staleText: 0,
  approvals: [],
  insufficientEvidence: false,
};

describe('bulkRefusal', () => {
  it('lets a Low draft with no warning, stale text, approval or evidence gap through', () => {
    expect(bulkRefusal(eligible)).toBeNull();
    expect(bulkRefusal({ ...eligible, status: 'changes-requested', peakSeverity: 'None' })).toBeNull();
  });

  const refusals: [string, Partial<Pick<QueueItem, keyof Row>>, RegExp][] = [
    ['an approved draft', { status: 'approved' }, /not awaiting review/],
    ['a draft that was High at some revision', { peakSeverity: 'High' }, /never above Low/],
    ['a draft with a warning', { warnings: 1 }, /warnings/],
    ['a draft with stale text', { staleText: 2 }, /no longer matches/],
    ['a draft holding one approval', { approvals: ['alice'] }, /second reviewer/],
    ['a Low drawn from a listing that pins too few factors', { insufficientEvidence: true }, /too few factors/],
  ];
  it.each(refusals)('refuses %s, saying why', (_name, change, reason) => {
    expect(bulkRefusal({ ...eligible, ...change })).toMatch(reason);
  });
});
